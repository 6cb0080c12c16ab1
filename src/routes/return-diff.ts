import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { ReturnDiffQuery, ReturnDiffSchema } from '../schema/api/return-diff.js';
import { ReturnIdParams } from '../schema/api/returns.js';
import { diffReturns } from '../services/returns/diff-returns.js';

const returnDiffRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/returns/:id/diff',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'diffReturnVersions',
        tags: ['Returns'],
        summary: 'What changed between two versions of a return: records added, removed and changed',
        description:
          'Compares the version `id` with `from` (a version number or return id of the same service and period; default the previous version). ' +
          'Records are matched by `referralId`; `changed` lists, for each, the dotted paths of the fields that differ. Values are never returned, ' +
          'and linkage keys are compared by their keyed hash only. Providers see their own services. Audited as `return.diff_read`.',
        security: [{ bearerAuth: [] }],
        params: ReturnIdParams,
        querystring: ReturnDiffQuery,
        response: {
          200: jsonResponse('The two versions compared, and the referralIds added, removed and changed.', ReturnDiffSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => diffReturns(app.db, { principal: principalOf(request), id: request.params.id, from: request.query.from, requestId: request.id }),
  );
};

export default returnDiffRoutes;
