/** Schemas of `GET /v1/completeness`; the period query, scope and disclosure come from `analytics.ts`. */
import { Type, type Static } from 'typebox';
import { AreaCodeSchema, ServiceTypeSchema } from './common.js';
import { PeriodQueryProperties } from './analytics.js';

export const CompletenessQuery = Type.Object({
  ...PeriodQueryProperties,
  serviceType: Type.Optional(ServiceTypeSchema),
  area: Type.Optional(AreaCodeSchema),
});

const SuppressionStatus = Type.String({ enum: ['ok', 'suppressed'] });

export const QuarterSubmissionSchema = Type.Object({
  period: Type.String({ description: 'The quarter, e.g. `2022-23-Q1`.' }),
  submitted: Type.Boolean({ description: 'A return for the quarter has been accepted.' }),
  version: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'The current version, the one that counts; null when not submitted.' }),
  receivedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the current version was received.' }),
  recordCount: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'Records in the current version; null when not submitted or suppressed.',
  }),
  status: SuppressionStatus,
});

export const ServiceCompletenessSchema = Type.Object({
  service: Type.String(),
  name: Type.String(),
  serviceType: Type.String(),
  area: Type.String(),
  quarters: Type.Array(QuarterSubmissionSchema),
});
export type ServiceCompleteness = Static<typeof ServiceCompletenessSchema>;

export const FieldCompletenessSchema = Type.Object({
  path: Type.String({ description: 'Dotted field path, e.g. `victim.ethnicity`.' }),
  label: Type.String(),
  known: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Records with a known answer (not null, not `not_known`).' }),
  total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Current records in scope.' }),
  completeness: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'known ÷ total, a fraction from 0 to 1.' }),
  status: Type.String({ enum: ['ok', 'suppressed', 'not_available'] }),
});
export type FieldCompleteness = Static<typeof FieldCompletenessSchema>;

export const CompletenessSchema = Type.Object({
  period: Type.Ref('Scope'),
  services: Type.Array(ServiceCompletenessSchema, { description: 'Every registered service in scope, with each quarter in scope.' }),
  fields: Type.Array(FieldCompletenessSchema, { description: 'Victim fields whose answer may be unknown, over the current records in scope.' }),
  disclosure: Type.Ref('Disclosure'),
});
export type Completeness = Static<typeof CompletenessSchema>;
