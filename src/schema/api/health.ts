/** Schemas of the liveness and readiness probes. */
import { Type } from 'typebox';

export const HealthSchema = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is up.' });

/** Present only when analysts' reads go to a streaming replica (DATABASE_READ_URL). */
export const ReplicaReadinessSchema = Type.Object(
  {
    status: Type.String({
      enum: ['ready', 'unreachable'],
      description: 'Whether the replica answers. An unreachable replica does not make the instance unready: submissions go on, analytic reads answer 503.',
    }),
    inRecovery: Type.Optional(Type.Boolean({ description: 'True on a hot standby; false means DATABASE_READ_URL names a server that is not a replica.' })),
    replicationLagSeconds: Type.Optional(
      Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
        description:
          'Seconds since the last transaction the replica replayed, 0 when it has replayed everything it received; null when it cannot tell (nothing replayed yet, or not a replica).',
      }),
    ),
  },
  { description: "The read replica analysts' figures come from." },
);

export const ReadinessSchema = Type.Object(
  { status: Type.Literal('ready'), database: Type.String({ enum: ['postgres', 'pglite'] }), replica: Type.Optional(ReplicaReadinessSchema) },
  { description: 'The database answers.' },
);
