import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnalyticsRoutesOptions } from './aggregates.js';
import { sendAnswer } from '../lib/csv-response.js';
import { principalOf } from '../plugins/auth.js';
import { jsonOrCsvResponse } from '../schema/api/analytics.js';
import { errorResponses } from '../schema/api/common.js';
import { indicatorListExamples } from '../schema/api/examples.js';
import { IndicatorListSchema, IndicatorQuery } from '../schema/api/indicators.js';
import { answerIndicators } from '../services/analytics/answers.js';
import { indicatorListCsvExample } from '../services/analytics/csv-examples.js';

const indicatorsRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, options) => {
  app.get(
    '/v1/indicators',
    {
      onRequest: app.requireRole('analyst', 'admin'),
      schema: {
        operationId: 'getIndicators',
        tags: ['Analytics'],
        summary: 'Headline indicators for a period: counts, rates, rates per population, SafeLives Marac and data-quality measures',
        description:
          'Give `period` (a quarter `2022-23-Q1` or a financial year `2022-23`) or `from` and `to` (quarters), and optionally `service`, `serviceType` or `area`. ' +
          'Only the current version of each return counts. Rates are fractions from 0 to 1 in `value`, with `percent` rounded half-up to 1 decimal place. ' +
          'For analysts, small numbers are suppressed as described in `disclosure`; admins get exact figures.',
        security: [{ bearerAuth: [] }],
        querystring: IndicatorQuery,
        response: {
          200: jsonOrCsvResponse(
            'The indicators, as JSON or (with `format=csv` or `Accept: text/csv`) a CSV table with one row per indicator.',
            { schema: IndicatorListSchema, examples: indicatorListExamples },
            indicatorListCsvExample,
          ),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    // The read replica when DATABASE_READ_URL is set (docs/scaling.md): this answer must never write.
    async (request, reply) =>
      sendAnswer(
        reply,
        await answerIndicators(app.readDb, {
          query: request.query,
          accept: request.headers.accept,
          principal: principalOf(request),
          threshold: options.suppressBelow,
        }),
      ),
  );
};

export default indicatorsRoutes;
