/** Schemas of `GET /v1/overlaps`: people across services, the service-pair matrix, onward referrals. */
import { Type } from 'typebox';
import { formatQueryProperty, ScopeQueryProperties } from './analytics.js';

const Value = { value: Type.Union([Type.Integer(), Type.Null()]), status: Type.String({ enum: ['ok', 'suppressed'] }) };

export const OverlapQuery = Type.Object({
  ...ScopeQueryProperties,
  ...formatQueryProperty(
    '`csv` (or `Accept: text/csv`) returns the same figures as one CSV table, its `table` column naming the part of the JSON a row comes from.',
  ),
});

export const OverlapSchema = Type.Object({
  period: Type.Ref('Scope'),
  unit: Type.String(),
  people: Type.Object(Value),
  byServiceCount: Type.Array(Type.Object({ services: Type.String({ enum: ['1', '2', '3', '4+'] }), ...Value })),
  services: Type.Array(Type.Object({ service: Type.String(), ...Value })),
  pairs: Type.Array(Type.Object({ a: Type.String(), b: Type.String(), ...Value })),
  onwardReferrals: Type.Object({
    unit: Type.String(),
    windowDays: Type.Integer(),
    cells: Type.Array(Type.Object({ serviceType: Type.String(), outcome: Type.String({ enum: ['found', 'not_found', 'untraceable'] }), ...Value })),
  }),
  linkage: Type.Optional(
    Type.Ref('LinkageCurrency', { description: 'How current the persons counted are: returns still waiting for linkage count by their exact key.' }),
  ),
  disclosure: Type.Ref('Disclosure'),
});
