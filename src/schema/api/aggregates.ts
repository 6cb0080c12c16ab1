import { Type } from 'typebox';
import { ageBandSets } from '../dataset/derived.js';
import { ScopeQueryProperties } from './analytics.js';

export const AggregateQuery = Type.Object({
  measure: Type.String({
    enum: ['referrals', 'people'],
    default: 'referrals',
    description: '`referrals` counts records; `people` counts distinct persons across all services in scope.',
  }),
  groupBy: Type.Optional(
    Type.String({ pattern: '^[A-Za-z]+(,[A-Za-z]+)*$', description: 'Comma-separated dimensions, at most 4 (see the Aggregate schema for the list).' }),
  ),
  ageBands: Type.String({ enum: Object.keys(ageBandSets), default: 'five_year', description: 'The age-band set for `ageBand` and `perpetratorAgeBand`.' }),
  format: Type.String({ enum: ['json', 'csv'], default: 'json', description: '`csv` (or `Accept: text/csv`) returns the same table as CSV.' }),
  ...ScopeQueryProperties,
});

export const PublishedValueSchema = Type.Object(
  {
    value: Type.Union([Type.Number(), Type.Null()]),
    status: Type.String({ enum: ['ok', 'suppressed'] }),
  },
  { $id: 'PublishedValue' },
);

const Key = Type.Record(Type.String(), Type.String());

export const AggregateSchema = Type.Object(
  {
    measure: Type.String({ enum: ['referrals', 'people'] }),
    unit: Type.String({ description: 'What a value counts: referrals (records) or people (de-duplicated persons).' }),
    groupBy: Type.Array(Type.String()),
    period: Type.Ref('Scope'),
    multiValued: Type.Array(Type.String(), { description: 'Dimensions where a record counts once per value (so cells can add up to more than the total).' }),
    cells: Type.Array(
      Type.Object({
        key: Key,
        value: Type.Union([Type.Number(), Type.Null()]),
        status: Type.String({ enum: ['ok', 'suppressed'] }),
        populationShare: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
        representation: Type.Optional(Type.Union([Type.Number(), Type.Null(), Type.String({ description: 'share of referrals ÷ share of population' })])),
      }),
    ),
    totals: Type.Object({
      overall: Type.Ref('PublishedValue'),
      byDimension: Type.Record(Type.String(), Type.Array(Type.Object({ key: Key, value: Type.Union([Type.Number(), Type.Null()]), status: Type.String() }))),
    }),
    population: Type.Optional(Type.Object({ areas: Type.Array(Type.String()), year: Type.Integer(), dimension: Type.String() })),
    disclosure: Type.Ref('Disclosure'),
  },
  { $id: 'Aggregate' },
);
