import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendAnswer } from '../lib/csv-response.js';
import { principalOf } from '../plugins/auth.js';
import { AggregateQuery } from '../schema/api/aggregates.js';
import { jsonOrCsvResponse } from '../schema/api/analytics.js';
import { aggregateExamples } from '../schema/api/examples.js';
import { errorResponses } from '../schema/api/common.js';
import { dimensionsHelp } from '../services/analytics/aggregates.js';
import { answerAggregate } from '../services/analytics/answers.js';
import { aggregateCsvExample } from '../services/analytics/csv-examples.js';

export interface AnalyticsRoutesOptions {
  suppressBelow: number;
}

const aggregateRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, options) => {
  app.get(
    '/v1/aggregates',
    {
      onRequest: app.requireRole('analyst', 'admin'),
      schema: {
        operationId: 'getAggregates',
        tags: ['Analytics'],
        summary: 'Counts of referrals or people by dimensions, with disclosure control for analysts',
        description: `Only the current version of each return counts. Cells are complete (zeros included). Dimensions: ${dimensionsHelp()}.`,
        security: [{ bearerAuth: [] }],
        querystring: AggregateQuery,
        response: {
          200: jsonOrCsvResponse(
            'The table, as JSON or (with `format=csv` or `Accept: text/csv`) CSV.',
            { schema: Type.Ref('Aggregate'), examples: aggregateExamples },
            aggregateCsvExample,
          ),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    // The read replica when DATABASE_READ_URL is set (docs/scaling.md): this answer must never write.
    async (request, reply) =>
      sendAnswer(
        reply,
        await answerAggregate(app.readDb, {
          query: request.query,
          accept: request.headers.accept,
          principal: principalOf(request),
          threshold: options.suppressBelow,
        }),
      ),
  );
};

export default aggregateRoutes;
