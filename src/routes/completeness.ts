import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnalyticsRoutesOptions } from './aggregates.js';
import { principalOf } from '../plugins/auth.js';
import { errorResponses } from '../schema/api/common.js';
import { CompletenessQuery, CompletenessSchema } from '../schema/api/completeness.js';
import { computeCompleteness } from '../services/analytics/completeness.js';

const completenessRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, options) => {
  app.get(
    '/v1/completeness',
    {
      onRequest: app.requireRole('analyst', 'admin'),
      schema: {
        operationId: 'getCompleteness',
        tags: ['Analytics'],
        summary: 'Which services submitted which quarters, on time or late, and how complete the victim fields are',
        description:
          'Every registered service in scope, with each quarter in scope: whether a return was submitted, its current version, when it was received and its record count. ' +
          "Against each service's reporting schedule, each quarter also says whether a return is expected, its deadline, when version 1 arrived, and whether it was " +
          '`on_time`, `late`, `missing`, `due` (deadline not yet passed), `not_expected` or `submitted_unscheduled`; `timeliness` counts them over the scope. ' +
          'Then, over the current records in scope, the share of known answers for each victim field that may be unknown. ' +
          'For analysts, small numbers are suppressed as described in `disclosure`; admins get exact figures.',
        security: [{ bearerAuth: [] }],
        querystring: CompletenessQuery,
        response: { 200: CompletenessSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => computeCompleteness(app.db, { ...request.query, role: principalOf(request).role, threshold: options.suppressBelow }),
  );
};

export default completenessRoutes;
