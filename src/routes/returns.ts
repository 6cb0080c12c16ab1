import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses } from '../schema/api/common.js';
import { ReturnDetailSchema, ReturnIdParams, ReturnListQuery, ReturnListSchema, SubmitReturnQuery, SubmitReturnSchema } from '../schema/api/returns.js';
import type { LinkageSettings } from '../services/linkage/relink.js';
import { deriveLinkageTokens } from '../services/linkage/tokens.js';
import { getReturn, listReturns } from '../services/returns/read-returns.js';
import { submitReturn } from '../services/returns/submit-return.js';

export interface ReturnRoutesOptions {
  linkageSecret: string;
  linkageSettings: LinkageSettings;
}

const returnRoutes: FastifyPluginAsyncTypebox<ReturnRoutesOptions> = async (app, options) => {
  const deriveTokens = (slk581: string) => deriveLinkageTokens(slk581, options.linkageSecret);

  app.post(
    '/v1/returns',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'submitReturn',
        tags: ['Returns'],
        summary: 'Submit a quarterly return (one record per referral)',
        description:
          'Accepted whole or rejected whole: any invalid record rejects the return with 422 listing every problem, and nothing is stored. Submitting again for the same service and period creates version N+1, which supersedes the earlier one. `victim.linkage.slk581` is turned into a keyed hash on arrival and never stored or returned.',
        security: [{ bearerAuth: [] }],
        querystring: SubmitReturnQuery,
        body: SubmitReturnSchema,
        response: { 201: Type.Ref('ReturnSummary'), 200: Type.Ref('DryRunResult'), ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const result = await submitReturn(app.db, {
        principal: principalOf(request),
        body: request.body,
        dryRun: request.query.dryRun,
        deriveTokens,
        linkageSettings: options.linkageSettings,
      });
      if ('dryRun' in result) return reply.status(200).send(result);
      const { summary, linkage } = result;
      request.log.info(
        { returnId: summary.id, service: summary.service, period: summary.period, version: summary.version, recordCount: summary.recordCount },
        'return accepted',
      );
      if (linkage.ok) request.log.info({ returnId: summary.id, linkage: linkage.stats }, 'persons relinked');
      else request.log.error({ err: linkage.error, returnId: summary.id }, 'linkage failed after the return was stored; run POST /v1/linkage/relink');
      return reply.status(201).send(summary);
    },
  );

  app.get(
    '/v1/returns',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'listReturns',
        tags: ['Returns'],
        summary: 'List returns and their versions (providers see their own services only)',
        security: [{ bearerAuth: [] }],
        querystring: ReturnListQuery,
        response: { 200: ReturnListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => listReturns(app.db, { principal: principalOf(request), ...request.query }),
  );

  app.get(
    '/v1/returns/:id',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'getReturn',
        tags: ['Returns'],
        summary: 'Read one version of a return with its records and the list of all its versions',
        security: [{ bearerAuth: [] }],
        params: ReturnIdParams,
        response: { 200: ReturnDetailSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getReturn(app.db, principalOf(request), request.params.id),
  );
};

export default returnRoutes;
