/**
 * Schemas of `GET /v1/indicators`; the scope query, scope and disclosure come from `analytics.ts`.
 */
import { Type, type Static } from 'typebox';
import { formatQueryProperty, ScopeQueryProperties } from './analytics.js';

export const IndicatorQuery = Type.Object({
  ...ScopeQueryProperties,
  ...formatQueryProperty('`csv` (or `Accept: text/csv`) returns the same indicators as a CSV table, one row each.'),
});

const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const IndicatorSchema = Type.Object(
  {
    id: Type.String({ description: 'Stable identifier, e.g. `repeatReferralRate`, `notKnownShare.ethnicity`.' }),
    label: Type.String(),
    definition: Type.String({ description: 'How the numerator and denominator are counted.' }),
    numerator: NullableInteger,
    denominator: Type.Union([Type.Integer(), Type.Null()], { description: 'Null for plain counts.' }),
    value: Type.Union([Type.Number(), Type.Null()], {
      description: 'A count, a fraction from 0 to 1 (unit `rate`), or a rate per population; null when suppressed or not available.',
    }),
    percent: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'For unit `rate`: value × 100, rounded half-up to 1 decimal place.' })),
    unit: Type.String({
      description: '`referrals`, `people`, `children`, `perpetrators`, `onward referrals`, `rate`, `per 1,000 population` or `per 10,000 adult females`.',
    }),
    status: Type.String({
      enum: ['ok', 'suppressed', 'not_available'],
      description: '`suppressed`: withheld by disclosure control; `not_available`: no denominator (nothing in scope, or no population figure).',
    }),
    suppression: Type.Optional(
      Type.String({
        enum: ['primary', 'complementary'],
        description:
          'On suppressed indicators: `primary` when its own count is small, `complementary` when it is withheld so that a small count cannot be derived from the published figures by subtraction.',
      }),
    ),
    reason: Type.Optional(
      Type.String({
        enum: ['no_denominator', 'no_population', 'not_collected', 'service_type_not_in_scope'],
        description:
          'On `not_available` indicators, why: `no_denominator` (nothing in scope to divide by), `no_population` (no population figure for an area), ' +
          '`not_collected` (no record in scope carries the field, so no share of unknowns can be given: not 0%), `service_type_not_in_scope` ' +
          '(the indicator counts one service type, e.g. Marac cases, and none is in scope).',
      }),
    ),
  },
  { $id: 'Indicator', description: 'One headline indicator: a count or a rate, with how it is counted.' },
);
export type Indicator = Static<typeof IndicatorSchema>;

export const IndicatorListSchema = Type.Object({
  period: Type.Ref('Scope'),
  indicators: Type.Array(Type.Ref('Indicator')),
  linkage: Type.Optional(
    Type.Ref('LinkageCurrency', {
      description: 'How current the persons counted are (the people indicators): returns still waiting for linkage count by their exact key.',
    }),
  ),
  disclosure: Type.Ref('Disclosure'),
});
/** `indicators` refers to the named `Indicator` schema, so its static type is spelt out. */
export type IndicatorList = Omit<Static<typeof IndicatorListSchema>, 'indicators'> & { indicators: Indicator[] };
