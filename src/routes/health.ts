import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DatabaseUnavailableError } from '../db/database-errors.js';
import { errorResponses } from '../schema/api/common.js';

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
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'The process is up.' }) },
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
          'Answers 200 with the database kind when a query succeeds, 503 (a problem document, with Retry-After) when the database cannot be reached. No API key.',
        security: [],
        response: {
          200: Type.Object(
            { status: Type.Literal('ready'), database: Type.String({ enum: ['postgres', 'pglite'] }) },
            { description: 'The database answers.' },
          ),
          ...errorResponses(503 as number),
        },
      },
    },
    async () => {
      try {
        await app.db.execute(sql`select 1`);
      } catch (error) {
        // Whatever the failure, the instance cannot serve: the error handler answers 503 with Retry-After.
        throw new DatabaseUnavailableError('the database is not reachable', { cause: error });
      }
      return { status: 'ready' as const, database: app.databaseKind };
    },
  );
};

export default healthRoutes;
