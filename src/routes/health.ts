import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schema/api/common.js';
import { HealthSchema, ReadinessSchema } from '../schema/api/health.js';
import { checkReadiness } from '../services/health.js';

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      logLevel: 'warn',
      schema: {
        operationId: 'getHealth',
        tags: ['Health'],
        summary: 'Liveness: the process is up',
        description: 'For load balancers and orchestrators: answers 200 while the process runs, without touching the database. No API key.',
        security: [],
        response: { 200: HealthSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      logLevel: 'warn',
      schema: {
        operationId: 'getReadiness',
        tags: ['Health'],
        summary: 'Readiness: the database answers',
        description:
          'Answers 200 with the database kind when a query succeeds, 503 (a problem document, with Retry-After) when the database cannot be reached. No API key. ' +
          "With a read replica for analysts' reads (DATABASE_READ_URL), `replica` says whether it answers and how far behind it is; an unreachable replica alone does not make the answer 503.",
        security: [],
        response: {
          200: ReadinessSchema,
          ...errorResponses(503 as number),
        },
      },
    },
    async () => checkReadiness(app.db, app.databaseKind, app.hasReadReplica ? app.readDb : undefined),
  );
};

export default healthRoutes;
