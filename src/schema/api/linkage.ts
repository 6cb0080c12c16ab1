/** Schemas of the linkage routes (admin only): relinking, the persons of a record, the model in use. */
import { Type } from 'typebox';
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
  candidatePairs: Type.Integer(),
  linkedPairs: Type.Integer(),
  clusters: Type.Integer(),
  refusedMerges: Type.Integer(),
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
