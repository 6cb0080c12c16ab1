import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../plugins/auth.js';
import { AggregateQuery } from '../schema/api/aggregates.js';
import { aggregateExamples } from '../schema/api/examples.js';
import { errorResponses } from '../schema/api/common.js';
import type { AgeBandSetId } from '../schema/dataset/derived.js';
import { formatAggregateCsv } from '../services/analytics/aggregate-csv.js';
import { computeAggregate, dimensionsHelp, parseGroupBy } from '../services/analytics/aggregates.js';

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
          200: {
            description: 'The table, as JSON or (with `format=csv` or `Accept: text/csv`) CSV.',
            content: { 'application/json': { schema: Type.Ref('Aggregate'), examples: aggregateExamples }, 'text/csv': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { query } = request;
      const aggregate = await computeAggregate(app.db, {
        ...query,
        measure: query.measure as 'referrals' | 'people',
        groupBy: parseGroupBy(query.groupBy),
        ageBands: query.ageBands as AgeBandSetId,
        exact: principalOf(request).role === 'admin',
        threshold: options.suppressBelow,
      });
      if (query.format === 'csv' || request.headers.accept?.includes('text/csv')) {
        return reply.type('text/csv; charset=utf-8').send(formatAggregateCsv(aggregate));
      }
      return aggregate;
    },
  );
};

export default aggregateRoutes;
