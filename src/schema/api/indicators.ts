/**
 * Schemas of `GET /v1/indicators`. Inline (no `$id`) so they need no registration in `app.ts`; the
 * period query and the disclosure description are shared with `GET /v1/completeness`.
 */
import { Type, type Static } from 'typebox';
import { PERIOD_PATTERN, QUARTER_PATTERN } from '../../lib/periods.js';
import { AreaCodeSchema, ServiceIdSchema, ServiceTypeSchema } from './common.js';

/** Which quarters an analytic query covers: `period`, or `from` and `to`. */
export const PeriodQueryProperties = {
  period: Type.Optional(
    Type.String({ pattern: PERIOD_PATTERN, description: 'A quarter (`2022-23-Q1`) or a financial year (`2022-23`). Give this or `from`/`to`.' }),
  ),
  from: Type.Optional(Type.String({ pattern: QUARTER_PATTERN, description: 'First quarter of a range, e.g. `2022-23-Q1`.' })),
  to: Type.Optional(Type.String({ pattern: QUARTER_PATTERN, description: 'Last quarter of a range (inclusive), e.g. `2022-23-Q2`.' })),
};

export const IndicatorQuery = Type.Object({
  ...PeriodQueryProperties,
  service: Type.Optional(ServiceIdSchema),
  serviceType: Type.Optional(ServiceTypeSchema),
  area: Type.Optional(AreaCodeSchema),
});
export type IndicatorQueryInput = Static<typeof IndicatorQuery>;

export const ScopeDescriptionSchema = Type.Object(
  {
    period: Type.String({ description: 'The period asked for: a quarter, a financial year, or `from/to`.' }),
    quarters: Type.Array(Type.String(), { description: 'The quarters covered.' }),
    service: Type.Optional(Type.String()),
    serviceType: Type.Optional(Type.String()),
    area: Type.Optional(Type.String()),
  },
  { description: 'The scope the figures cover.' },
);

export const DisclosureSchema = Type.Object(
  {
    applied: Type.Boolean({ description: 'True for analysts. Admins get exact figures.' }),
    rule: Type.String(),
    threshold: Type.Integer({ description: 'Counts from 1 to threshold − 1 are suppressed (`VAWG_SUPPRESS_BELOW`).' }),
    primary: Type.String(),
    secondary: Type.String(),
    rates: Type.String(),
  },
  { description: 'The disclosure-control rule in force for this response.' },
);

const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const IndicatorSchema = Type.Object({
  id: Type.String({ description: 'Stable identifier, e.g. `repeatReferralRate`, `notKnownShare.ethnicity`.' }),
  label: Type.String(),
  definition: Type.String({ description: 'How the numerator and denominator are counted.' }),
  numerator: NullableInteger,
  denominator: Type.Union([Type.Integer(), Type.Null()], { description: 'Null for plain counts.' }),
  value: Type.Union([Type.Number(), Type.Null()], {
    description: 'A count, a fraction from 0 to 1 (unit `rate`), or a rate per population; null when suppressed or not available.',
  }),
  percent: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'For unit `rate`: value × 100, rounded half-up to 1 decimal place.' })),
  unit: Type.String({ description: '`referrals`, `people`, `children`, `perpetrators`, `rate`, `per 1,000 population` or `per 10,000 adult females`.' }),
  status: Type.String({
    enum: ['ok', 'suppressed', 'not_available'],
    description: '`suppressed`: withheld by disclosure control; `not_available`: no denominator (nothing in scope, or no population figure).',
  }),
});
export type Indicator = Static<typeof IndicatorSchema>;

export const IndicatorListSchema = Type.Object({
  period: ScopeDescriptionSchema,
  indicators: Type.Array(IndicatorSchema),
  disclosure: DisclosureSchema,
});
export type IndicatorList = Static<typeof IndicatorListSchema>;
