/** Schemas of `/v1/periods`: quarters, and the locks that close them to new versions. */
import { Type } from 'typebox';
import { QUARTER_PATTERN } from '../../lib/periods.js';

const Quarter = (description: string) => Type.String({ pattern: QUARTER_PATTERN, description });

export const PeriodParams = Type.Object({ period: Quarter('A UK financial quarter, e.g. `2022-23-Q1`.') });

export const LockPeriodSchema = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'Why the period is closed, e.g. "2022-23 annual report published". No personal data.' }),
    ),
  },
  { additionalProperties: false },
);

export const PeriodLockSchema = Type.Object(
  {
    period: Type.String(),
    locked: Type.Literal(true),
    reason: Type.Union([Type.String(), Type.Null()]),
    lockedAt: Type.String({ format: 'date-time' }),
    lockedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The API key that locked it.' }),
  },
  { $id: 'PeriodLock', description: 'A period closed to new versions of its returns.' },
);

export const PeriodUnlockedSchema = Type.Object({ period: Type.String(), locked: Type.Literal(false) });

export const PeriodListQuery = Type.Object({
  from: Type.Optional(Quarter('First quarter to list (inclusive).')),
  to: Type.Optional(Quarter('Last quarter to list (inclusive).')),
});

export const PeriodListSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      period: Type.String(),
      start: Type.String({ format: 'date', description: 'First day of the quarter.' }),
      end: Type.String({ format: 'date', description: 'Last day of the quarter.' }),
      servicesSubmitted: Type.Integer({ minimum: 0, description: 'Services with a (record) return for the quarter.' }),
      versions: Type.Integer({ minimum: 0, description: 'Versions of returns received for the quarter, over all services.' }),
      countReturnServices: Type.Integer({ minimum: 0, description: 'Services with a count return (totals, `POST /v1/count-returns`) for the quarter.' }),
      countReturnVersions: Type.Integer({ minimum: 0, description: 'Versions of count returns received for the quarter, over all services.' }),
      locked: Type.Boolean({ description: 'Locked periods refuse new versions (409) until an admin unlocks them.' }),
      lock: Type.Union([
        Type.Object({
          reason: Type.Union([Type.String(), Type.Null()]),
          lockedAt: Type.String({ format: 'date-time' }),
          lockedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
        }),
        Type.Null(),
      ]),
    }),
    { description: 'Quarters with a return, a count return or a lock, oldest first.' },
  ),
});
