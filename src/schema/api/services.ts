import { Type, type Static } from 'typebox';
import { QUARTER_PATTERN } from '../../lib/periods.js';
import { AreaCodeSchema, ServiceIdSchema, ServiceTypeSchema } from './common.js';

/** A quarter or null, as one type rather than a union, so a bad value gets one error rather than one per branch. */
const QuarterOrNull = (description: string) => Type.Unsafe<string | null>({ type: ['string', 'null'], pattern: QUARTER_PATTERN, description });

const scheduleFields = {
  expectedFrom: QuarterOrNull(
    "The first quarter a return is expected for, e.g. `2022-23-Q1`; null: no schedule is set, and the quarters expected are inferred from the service's first return onwards.",
  ),
  expectedUntil: QuarterOrNull('The last quarter a return is expected for (inclusive); null: no end.'),
  deadlineDays: Type.Integer({
    minimum: 0,
    maximum: 365,
    description: 'A return is due by the end of (UTC) the day this many days after its quarter ends.',
  }),
};

export const CreateServiceSchema = Type.Object(
  {
    id: ServiceIdSchema,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    serviceType: ServiceTypeSchema,
    area: AreaCodeSchema,
    expectedFrom: Type.Optional(scheduleFields.expectedFrom),
    expectedUntil: Type.Optional(scheduleFields.expectedUntil),
    deadlineDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, description: 'A return is due this many days after its quarter ends (default 30).' })),
  },
  { additionalProperties: false },
);
export type CreateService = Static<typeof CreateServiceSchema>;

export const ScheduleSchema = Type.Object(
  {
    expectedFrom: scheduleFields.expectedFrom,
    expectedUntil: Type.Optional(scheduleFields.expectedUntil),
    deadlineDays: scheduleFields.deadlineDays,
  },
  { additionalProperties: false },
);
export type Schedule = Static<typeof ScheduleSchema>;

export const ServiceIdParams = Type.Object({ id: ServiceIdSchema });

export const ServiceSchema = Type.Object(
  {
    id: ServiceIdSchema,
    name: Type.String(),
    serviceType: ServiceTypeSchema,
    area: AreaCodeSchema,
    schedule: Type.Object(
      {
        expectedFrom: scheduleFields.expectedFrom,
        expectedUntil: scheduleFields.expectedUntil,
        deadlineDays: scheduleFields.deadlineDays,
      },
      { description: 'Which quarters a return is expected for, and when each is due; completeness reports on time, late and missing from it.' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Service' },
);

export const ServiceListSchema = Type.Object({ items: Type.Array(Type.Ref('Service')) });
