/** Schemas of the liveness and readiness probes. */
import { Type } from 'typebox';

export const HealthSchema = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is up.' });

export const ReadinessSchema = Type.Object(
  { status: Type.Literal('ready'), database: Type.String({ enum: ['postgres', 'pglite'] }) },
  { description: 'The database answers.' },
);
