import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnalyticsRoutesOptions } from './aggregates.js';
import { sendAnswer } from '../lib/csv-response.js';
import { principalOf } from '../plugins/auth.js';
import { jsonOrCsvResponse } from '../schema/api/analytics.js';
import { errorResponses } from '../schema/api/common.js';
import { CompletenessQuery, CompletenessSchema } from '../schema/api/completeness.js';
import { answerCompleteness } from '../services/analytics/answers.js';
import { completenessCsvExample } from '../services/analytics/csv-examples.js';

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
          'Every registered service in scope, with each quarter in scope: whether a return was submitted (`kind`: a record return, a count return of totals, or both), ' +
          'its current version, when it was received, its record count and, for a count return, its cell count. ' +
          "Against each service's reporting schedule (or, when none is set, the quarters from its first return to the current one: `schedule.basis` says which), " +
          'each quarter also says whether a return is expected, its deadline, when version 1 arrived, and whether it was ' +
          '`on_time`, `late`, `missing`, `due` (deadline not yet passed), `not_expected` or `submitted_unscheduled`; `timeliness` counts them over the scope. ' +
          'Then, over the current records in scope, the share of known answers for each victim field that may be unknown; and in `recordFields` (dataset 1.1.0) ' +
          'the same for `victim.localAuthority`, `supportProvided` and each field of `closure` and of the service modules, over the records carrying the module. ' +
          '`subject`, `localAuthority` and `basis` narrow the records the fields are measured over (submissions are whole returns, by quarter). ' +
          'For analysts, small numbers are suppressed as described in `disclosure`; admins get exact figures. An `area` no service or registered area has answers 404.',
        security: [{ bearerAuth: [] }],
        querystring: CompletenessQuery,
        response: {
          200: jsonOrCsvResponse(
            'Submissions, timeliness and field completeness, as JSON or (with `format=csv` or `Accept: text/csv`) one CSV table whose `table` column names the part of the JSON a row comes from.',
            { schema: CompletenessSchema },
            completenessCsvExample,
          ),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    // The read replica when DATABASE_READ_URL is set (docs/scaling.md): this answer must never write.
    async (request, reply) =>
      sendAnswer(
        reply,
        await answerCompleteness(app.readDb, {
          query: request.query,
          accept: request.headers.accept,
          principal: principalOf(request),
          threshold: options.suppressBelow,
        }),
      ),
  );
};

export default completenessRoutes;
