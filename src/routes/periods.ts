import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { LockPeriodSchema, PeriodListQuery, PeriodListSchema, PeriodParams, PeriodUnlockedSchema } from '../schema/api/periods.js';
import { listPeriods, lockPeriod, unlockPeriod } from '../services/period-locks.js';

const periodRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/periods',
    {
      onRequest: app.requireRole('admin', 'analyst'),
      schema: {
        operationId: 'listPeriods',
        tags: ['Periods'],
        summary: 'Quarters with returns, count returns or locks, and whether each is locked',
        description: 'Oldest first; `from` and `to` (quarters, inclusive) narrow the list. Counts are of services and returns, never of people.',
        security: [{ bearerAuth: [] }],
        querystring: PeriodListQuery,
        response: { 200: jsonResponse('The quarters, oldest first.', PeriodListSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => listPeriods(app.db, request.query),
  );

  app.put(
    '/v1/periods/:period/lock',
    {
      onRequest: app.requireRole('admin'),
      // The reason is optional, so a bare `PUT` with no body at all locks too.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        operationId: 'lockPeriod',
        tags: ['Periods'],
        summary: 'Lock a quarter: no new version of its returns is accepted',
        description:
          "Once a quarter's figures are published, locking it keeps them stable: a submission for a locked quarter is refused with 409 (`urn:vawg:problem:period-locked`). " +
          'Idempotent: locking a locked quarter answers the existing lock unchanged. Audited as `period.locked`.',
        security: [{ bearerAuth: [] }],
        params: PeriodParams,
        body: LockPeriodSchema,
        response: {
          200: jsonResponse('The lock in force: new, or the existing one unchanged.', Type.Ref('PeriodLock')),
          ...errorResponses(400, 401, 403, 413, 415, 422),
        },
      },
    },
    async (request) =>
      lockPeriod(app.db, { period: request.params.period, reason: request.body.reason, principal: principalOf(request), requestId: request.id }),
  );

  app.delete(
    '/v1/periods/:period/lock',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'unlockPeriod',
        tags: ['Periods'],
        summary: 'Unlock a quarter, so amended returns are accepted again',
        description: '404 when the quarter is not locked. Audited as `period.unlocked`, with the reason and time of the lock it lifts.',
        security: [{ bearerAuth: [] }],
        params: PeriodParams,
        response: { 200: jsonResponse('Unlocked: new versions are accepted again.', PeriodUnlockedSchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => unlockPeriod(app.db, { period: request.params.period, principal: principalOf(request), requestId: request.id }),
  );
};

export default periodRoutes;
