import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendAnswer } from '../lib/csv-response.js';
import { principalOf } from '../plugins/auth.js';
import { jsonOrCsvResponse } from '../schema/api/analytics.js';
import { errorResponses } from '../schema/api/common.js';
import { OverlapQuery, OverlapSchema } from '../schema/api/overlaps.js';
import { answerOverlaps } from '../services/analytics/answers.js';
import { overlapCsvExample } from '../services/analytics/csv-examples.js';
import type { AnalyticsRoutesOptions } from './aggregates.js';

const overlapRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, options) => {
  app.get(
    '/v1/overlaps',
    {
      onRequest: app.requireRole('analyst', 'admin'),
      schema: {
        operationId: 'getOverlaps',
        tags: ['Analytics'],
        summary: 'People seen by one, two, three or more services; the service-pair matrix; onward referrals found or not',
        description:
          'People are de-duplicated across services by linkage. An onward referral is `found` when the same person has a referral at a receiving service (that service, or one of that type) within 183 days after it, `not_found` otherwise (unmet need or a lost referral), and `untraceable` when the referring record has no linkage key.',
        security: [{ bearerAuth: [] }],
        querystring: OverlapQuery,
        response: {
          200: jsonOrCsvResponse(
            'The overlaps, as JSON or (with `format=csv` or `Accept: text/csv`) one CSV table whose `table` column names the part of the JSON a row comes from.',
            { schema: OverlapSchema },
            overlapCsvExample,
          ),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    // The read replica when DATABASE_READ_URL is set (docs/scaling.md): this answer must never write.
    async (request, reply) =>
      sendAnswer(
        reply,
        await answerOverlaps(app.readDb, {
          query: request.query,
          accept: request.headers.accept,
          principal: principalOf(request),
          threshold: options.suppressBelow,
        }),
      ),
  );
};

export default overlapRoutes;
