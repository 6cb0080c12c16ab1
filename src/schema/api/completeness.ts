/** Schemas of `GET /v1/completeness`; the period query, scope and disclosure come from `analytics.ts`. */
import { Type, type Static } from 'typebox';
import { AreaCodeSchema, ServiceTypeSchema } from './common.js';
import { formatQueryProperty, PeriodQueryProperties, RecordScopeQueryProperties } from './analytics.js';

export const CompletenessQuery = Type.Object({
  ...PeriodQueryProperties,
  serviceType: Type.Optional(ServiceTypeSchema),
  area: Type.Optional(AreaCodeSchema),
  // They narrow the records fields are measured over; submissions are of whole returns, by quarter.
  ...RecordScopeQueryProperties,
  ...formatQueryProperty(
    '`csv` (or `Accept: text/csv`) returns the same figures as one CSV table, its `table` column naming the part of the JSON a row comes from.',
  ),
});

const SuppressionStatus = Type.String({ enum: ['ok', 'suppressed'] });

export const TIMELINESS = ['on_time', 'late', 'missing', 'due', 'not_expected', 'submitted_unscheduled'] as const;
export type Timeliness = (typeof TIMELINESS)[number];

export const SUBMISSION_KINDS = ['records', 'counts', 'records_and_counts'] as const;

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** Counts of service-quarters, never of people, so they are published exactly to analysts too. */
export const TimelinessSummarySchema = Type.Object(
  {
    expected: count('Service-quarters in scope a return is expected for.'),
    expectedInferred: count(
      "Of those, the service-quarters expected from the service's own history (no schedule set): from its first return to the current quarter.",
    ),
    onTime: count('Expected returns whose version 1 arrived by the deadline.'),
    late: count('Expected returns whose version 1 arrived after the deadline.'),
    missing: count('Expected returns not received, the deadline passed.'),
    due: count('Expected returns not yet received, the deadline not yet passed.'),
    notExpected: count('Service-quarters with no return expected and none received.'),
    submittedUnscheduled: count('Returns received for a quarter none was expected for.'),
  },
  { description: 'Service-quarters in scope by timeliness.' },
);
export type TimelinessSummary = Static<typeof TimelinessSummarySchema>;

export const QuarterSubmissionSchema = Type.Object({
  period: Type.String({ description: 'The quarter, e.g. `2022-23-Q1`.' }),
  submitted: Type.Boolean({ description: 'A return for the quarter has been accepted: a record return, a count return (contract 1.1 §5), or both.' }),
  kind: Type.Union([Type.String({ enum: [...SUBMISSION_KINDS] }), Type.Null()], {
    description:
      'What was submitted for the quarter: `records` (a return, `POST /v1/returns`), `counts` (a count return of totals, `POST /v1/count-returns`) or `records_and_counts`; null when nothing was.',
  }),
  version: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
    description: 'The current version, the one that counts: of the record return, or of the count return when only counts were sent; null when not submitted.',
  }),
  receivedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When that current version was received.' }),
  recordCount: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description:
      'Records in the current version of the record return; null when there is none or the count is suppressed, and for analysts when its records are no longer held (`recordsDeletedAt`: nothing is left to protect the count with).',
  }),
  recordsDeletedAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        "When the record return's records were deleted at the end of the retention period (`VAWG_RETENTION_YEARS`): the quarter was received (`submitted`, `timeliness` stand) but is no longer held, so no figure counts it. Absent while its records are held.",
    }),
  ),
  cellCount: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'Counts (cells) in the current version of the count return; null when there is none. Cells, not people: never suppressed.',
  }),
  status: SuppressionStatus,
  expected: Type.Boolean({
    description:
      "The quarter is within the service's reporting schedule, or, with no schedule set, within the quarters inferred from its history (see the service's `schedule.basis`).",
  }),
  deadline: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
    description: 'When an expected return is due: the end (UTC) of this day, `deadlineDays` after the quarter ends. Null when none is expected.',
  }),
  firstReceivedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      'When version 1 was received (of the record return or the count return, whichever came first): the one that counts for timeliness, so a later amendment never makes a return late.',
  }),
  timeliness: Type.String({
    enum: [...TIMELINESS],
    description:
      '`on_time` or `late`: expected, and version 1 arrived by or after the deadline; `missing`: expected, the deadline has passed and nothing arrived; ' +
      '`due`: expected, not yet arrived, the deadline not yet passed; `not_expected`: none expected and none arrived; `submitted_unscheduled`: arrived though none was expected.',
  }),
});

export const ExpectedScheduleSchema = Type.Object(
  {
    basis: Type.String({
      enum: ['schedule', 'inferred', 'none'],
      description:
        '`schedule`: the reporting schedule set on the service; `inferred`: none is set, so a return is expected for every quarter from its first return to the current quarter ' +
        '(or its latest return, if later); `none`: no schedule and no return yet, so none is expected.',
    }),
    expectedFrom: Type.Union([Type.String(), Type.Null()], { description: 'The first quarter a return is expected for.' }),
    expectedUntil: Type.Union([Type.String(), Type.Null()], { description: 'The last quarter a return is expected for (inclusive); null: no end.' }),
    deadlineDays: Type.Integer({ minimum: 0, description: 'Days after the end of a quarter its return is due.' }),
  },
  { description: "The quarters timeliness was measured against, and where they come from: the service's schedule or its history." },
);

export const ServiceCompletenessSchema = Type.Object({
  service: Type.String(),
  name: Type.String(),
  serviceType: Type.String(),
  area: Type.String(),
  schedule: ExpectedScheduleSchema,
  quarters: Type.Array(QuarterSubmissionSchema),
});
export type ServiceCompleteness = Static<typeof ServiceCompletenessSchema>;

export const FieldCompletenessSchema = Type.Object({
  path: Type.String({ description: 'Dotted field path, e.g. `victim.ethnicity`.' }),
  label: Type.String(),
  known: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Records with a known answer (not null, not `not_known`).' }),
  total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description:
      'Current records in scope the field applies to: all of them, or for a field of a module (`sanctuary.tenure`) or of `closure` the records carrying it.',
  }),
  completeness: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'known ÷ total, a fraction from 0 to 1.' }),
  status: Type.String({ enum: ['ok', 'suppressed', 'not_available'] }),
});
export type FieldCompleteness = Static<typeof FieldCompletenessSchema>;

export const CompletenessSchema = Type.Object({
  period: Type.Ref('Scope'),
  services: Type.Array(ServiceCompletenessSchema, { description: 'Every registered service in scope, with each quarter in scope.' }),
  timeliness: TimelinessSummarySchema,
  fields: Type.Array(FieldCompletenessSchema, { description: 'Victim fields whose answer may be unknown, over the current records in scope.' }),
  recordFields: Type.Optional(
    Type.Array(FieldCompletenessSchema, {
      description:
        'Dataset 1.1.0: the record fields `victim.localAuthority` and `supportProvided` over the current records in scope, then each field of `closure` and of each service module ' +
        '(`sanctuary.tenure`…) over the records carrying it (`total`: the records with that module; `not_available` when none has it). Disclosure control as for `fields`.',
    }),
  ),
  disclosure: Type.Ref('Disclosure'),
});
export type Completeness = Static<typeof CompletenessSchema>;
