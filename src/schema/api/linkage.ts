/** Schemas of the linkage routes (admin only): relinking, the persons of a record, the model in use. */
import { Type } from 'typebox';
import { LINKAGE_MODES } from '../../config.js';
import { QUARTER_PATTERN } from '../../lib/periods.js';
import { ServiceIdSchema } from './common.js';

const Levels = Type.Record(Type.String(), Type.String());

export const RelinkBody = Type.Object(
  { estimate: Type.Optional(Type.Boolean({ default: false, description: 'Re-estimate m and u probabilities from the data first.' })) },
  { additionalProperties: false },
);

export const RelinkResultSchema = Type.Object({
  records: Type.Integer(),
  modelVersion: Type.String(),
  estimated: Type.Boolean({ description: 'Whether a new model was estimated (EM needs at least 1,000 records).' }),
  coveredReturns: Type.Integer({ minimum: 0, description: 'Returns waiting for linkage (or left failed by it) that this relink brought current.' }),
  candidatePairs: Type.Integer(),
  linkedPairs: Type.Integer(),
  clusters: Type.Integer(),
  refusedMerges: Type.Integer(),
  exactKeyMerges: Type.Integer({
    minimum: 0,
    description: 'Merges made because records share the whole linkage key: people are never counted more often than their distinct keys.',
  }),
  exactKeyBelowThreshold: Type.Integer({
    minimum: 0,
    description: 'Of those, merges of a pair whose match weight alone was below the threshold (their recorded attributes disagree).',
  }),
  perpetrators: Type.Object(
    {
      records: Type.Integer({ description: 'Current perpetrator entries with a linkage key.' }),
      candidatePairs: Type.Integer(),
      linkedPairs: Type.Integer(),
      clusters: Type.Integer({ description: 'Perpetrator persons: people who harm, counted once across services.' }),
      refusedMerges: Type.Integer(),
    },
    {
      description:
        "The alleged perpetrators' keys, matched with the same model and threshold but only with each other: a victim and a perpetrator are never joined, even with the same key.",
    },
  ),
});

export const PersonQuery = Type.Object({
  service: ServiceIdSchema,
  period: Type.String({ pattern: QUARTER_PATTERN }),
  referralId: Type.String({ minLength: 1, maxLength: 64 }),
});

export const PersonSchema = Type.Object({
  personId: Type.Union([Type.Integer(), Type.Null()]),
  linked: Type.Boolean(),
  modelVersion: Type.String(),
  records: Type.Array(
    Type.Object({ recordId: Type.Integer(), service: Type.String(), period: Type.String(), referralId: Type.String(), referralDate: Type.String() }),
  ),
  links: Type.Array(Type.Object({ recordA: Type.Integer(), recordB: Type.Integer(), weight: Type.Number(), levels: Levels, modelVersion: Type.String() })),
});

export const LinkageModelSchema = Type.Object({ version: Type.String(), threshold: Type.Number(), model: Type.Object({}, { additionalProperties: true }) });

/** How current persons are; in the linkage status and beside every analytic answer that counts people. */
export const LinkageCurrencySchema = Type.Object(
  {
    current: Type.Boolean({ description: 'Every accepted return has been linked: people are counted as linkage joins them.' }),
    pendingReturns: Type.Integer({
      minimum: 0,
      description:
        'Accepted returns waiting for linkage. Until linked, their records count as people by their exact linkage key (a record without one as a person of its own), so people may be over-counted.',
    }),
    failedReturns: Type.Integer({
      minimum: 0,
      description: 'Returns linkage gave up on after repeated failures; an admin brings them current with `POST /v1/linkage/relink`.',
    }),
    oldestPendingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the oldest waiting return was accepted.' }),
    lastRunAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When linkage last brought a return current (or a full relink ran); null before the first.',
    }),
  },
  { $id: 'LinkageCurrency', description: 'How current the persons people are counted by are: returns waiting for linkage, and when it last ran.' },
);

export const LinkageStatusSchema = Type.Object({
  ...LinkageCurrencySchema.properties,
  mode: Type.String({
    enum: [...LINKAGE_MODES],
    description: "This instance's `VAWG_LINKAGE_MODE`: `background` links after answering, `inline` before, `none` leaves linkage to another instance.",
  }),
  modelVersion: Type.String({ description: 'The linkage model in force.' }),
  trainedOnRecords: Type.Integer({ minimum: 0, description: 'How many records the model in force was estimated on (the default model: its design size).' }),
});
