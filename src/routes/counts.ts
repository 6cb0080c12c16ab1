import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendAnswer } from '../lib/csv-response.js';
import { principalOf } from '../plugins/auth.js';
import { jsonOrCsvResponse } from '../schema/api/analytics.js';
import { errorResponses } from '../schema/api/common.js';
import { CountQuery, countTableExamples } from '../schema/api/counts.js';
import { answerCounts } from '../services/counts/read-counts.js';

export interface CountRoutesOptions {
  suppressBelow: number;
}

const CSV_EXAMPLE =
  'rowType,area,areaLabel,period,periodLabel,helpline_calls,status,suppression,ratePer1000,populationYear,population\r\n' +
  'cell,E09000001,City of London,2020-21-Q3,2020-21 Q3 (October to December 2020),44,ok,,5.714285714285714,2018,7700\r\n' +
  'dimension_total,E09000001,City of London,total,Total,44,ok,,5.714285714285714,2018,7700\r\n' +
  'grand_total,total,Total,total,Total,44,ok,,,,\r\n';

const countRoutes: FastifyPluginAsyncTypebox<CountRoutesOptions> = async (app, options) => {
  app.get(
    '/v1/counts',
    {
      onRequest: app.requireRole('analyst', 'admin'),
      schema: {
        operationId: 'getCounts',
        tags: ['Analytics'],
        summary: 'Counts services report as totals (police, helplines, courts), by area and period, with rates per 1,000',
        description:
          'Sums the cells of the current version of each count return in scope (a superseded version never counts). ' +
          '`ratePer1000` uses the area’s population for the latest year at or before the start of the period’s financial year, and states the year. ' +
          'Derived measures give numerator, denominator and their quotient. For analysts, each table is protected as aggregates are ' +
          '(small counts suppressed with complementary suppression, then cell key noise) and rates come from the published figures; admins see exact figures.',
        security: [{ bearerAuth: [] }],
        querystring: CountQuery,
        response: {
          200: jsonOrCsvResponse(
            'The table, as JSON or (with `format=csv` or `Accept: text/csv`) CSV.',
            { schema: Type.Ref('CountTable'), examples: countTableExamples },
            CSV_EXAMPLE,
          ),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    // The read replica when DATABASE_READ_URL is set (docs/scaling.md): this answer must never write.
    async (request, reply) =>
      sendAnswer(
        reply,
        await answerCounts(app.readDb, {
          query: request.query,
          accept: request.headers.accept,
          principal: principalOf(request),
          threshold: options.suppressBelow,
        }),
      ),
  );
};

export default countRoutes;
