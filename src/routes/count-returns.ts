/**
 * Count returns (contract 1.1 §5): services that report totals (police, helplines, courts) send
 * counts of the catalogue's measures by area. Thin: the rules are in `services/counts/`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';
import { problem } from '../lib/problem.js';
import { errorResponse, errorResponses, jsonResponse, locationHeader, responseHeaders } from '../schema/api/common.js';
import {
  CountDryRunSchema,
  CountMeasureCatalogueSchema,
  CountReturnDetailSchema,
  CountReturnIdParams,
  CountReturnListQuery,
  CountReturnListSchema,
  CountReturnSchema,
  CsvCountReturnBody,
  SubmitCountReturnQuery,
  SubmitCountReturnSchema,
} from '../schema/api/count-returns.js';
import { CountReturnTemplateCsvSchema } from '../schema/api/dataset.js';
import { SubmitReturnHeaders } from '../schema/api/returns.js';
import { countCsvColumns, countMeasures, derivedCountMeasures } from '../schema/counts/measures.js';
import { listCountReturns, readCountReturn } from '../services/counts/read-count-returns.js';
import { countReturnTemplateCsv } from '../services/dataset-files.js';
import { receiveCountReturn, type CountIntake } from '../services/counts/receive-count-return.js';

export interface CountReturnRoutesOptions {
  idempotencyTtlHours: number;
}

const replayed = responseHeaders('idempotent-replayed');

const countReturnRoutes: FastifyPluginAsyncTypebox<CountReturnRoutesOptions> = async (app, options) => {
  const intake: CountIntake = { db: app.db, log: app.log, idempotencyTtlHours: options.idempotencyTtlHours };

  // Count files are small: read whole, within the server's body limit.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (request, body, done) => {
    const charset = /charset=([^;\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(problem(415, 'unsupportedMediaType', `CSV count returns must be UTF-8; this one says charset=${charset}`), undefined);
      return;
    }
    done(null, body);
  });

  app.get(
    '/v1/count-measures',
    {
      schema: {
        operationId: 'getCountMeasures',
        tags: ['Dataset'],
        summary: 'The count-measure catalogue: what a count return may report, with definitions, units and breakdowns',
        description:
          'Measures services report as totals (helpline calls, police domestic-abuse incidents, offences and sanction detections, sexual and rape offences, DVPNs and DVPOs, court cases, convictions, early guilty pleas, pre-sentence reports), each with the breakdown dimensions a count may carry; and the derived measures (rates) computed from two of them.',
        security: [],
        response: { 200: jsonResponse('The catalogue of count measures.', CountMeasureCatalogueSchema) },
      },
    },
    async () => ({ measures: countMeasures, derived: derivedCountMeasures, csvColumns: [...countCsvColumns] }),
  );

  app.get(
    '/v1/count-measures/template.csv',
    {
      schema: {
        operationId: 'getCountReturnTemplate',
        tags: ['Dataset'],
        summary: 'The CSV template of a count return: its header row and a row per measure to fill',
        description:
          'The columns `POST /v1/count-returns` reads (`measure,area,value` and one per breakdown dimension, e.g. `sex`), then one row per measure of the catalogue with `area` and `value` empty: ' +
          'delete the measures you do not report, copy a row per area or breakdown, fill `area` (a GSS code) and `value`, and leave a breakdown cell empty for the total. ' +
          'Starts with a UTF-8 byte order mark so spreadsheets open it as UTF-8.',
        produces: ['text/csv'],
        security: [],
        response: { 200: CountReturnTemplateCsvSchema },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="vawg-count-return-template.csv"')
        .send(countReturnTemplateCsv()),
  );

  app.post(
    '/v1/count-returns',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'submitCountReturn',
        tags: ['Returns'],
        summary: 'Submit a count return (totals by measure and area), as JSON or CSV',
        description:
          'For services that report counts rather than records (police, helplines, courts). Accepted whole or rejected whole: any invalid count rejects the return with 422 listing every problem (`/counts/3/value`, or `row 4, column value` in CSV), and nothing is stored. ' +
          "Each count names a measure of `GET /v1/count-measures`, an area (a local authority GSS code: a national helpline reports calls by caller's area), a whole number and optionally a breakdown the measure allows; each (measure, area, breakdown) once. " +
          'Submitting again for the same service and period creates version N+1, which supersedes the earlier one; a locked period answers 409. CSV (`Content-Type: text/csv`) names the service and period in the query. `Idempotency-Key` makes retries safe, as for returns.',
        security: [{ bearerAuth: [] }],
        querystring: SubmitCountReturnQuery,
        headers: SubmitReturnHeaders,
        body: {
          content: {
            'application/json': { schema: SubmitCountReturnSchema },
            'text/csv': { schema: CsvCountReturnBody },
          },
        },
        response: {
          201: jsonResponse('Accepted and stored as the current version.', CountReturnSchema, {
            headers: { location: locationHeader('Where the count return is read: `/v1/count-returns/{id}`.'), ...replayed },
          }),
          200: jsonResponse('Dry run (`dryRun=true`): valid, nothing stored.', CountDryRunSchema, { headers: replayed }),
          ...errorResponses(401, 403, 409, 413, 415),
          400: errorResponse(400, undefined, ['idempotent-replayed']),
          422: errorResponse(422, undefined, ['idempotent-replayed']),
        },
      },
    },
    async (request, reply) => {
      const isCsv = (request.headers['content-type'] ?? '').toLowerCase().startsWith('text/csv');
      const response = await receiveCountReturn(intake, {
        principal: principalOf(request),
        requestId: request.id,
        body: isCsv ? { format: 'csv', text: request.body as string } : { format: 'json', value: request.body },
        query: request.query,
        idempotencyKey: request.headers['idempotency-key'],
      });
      reply.headers(response.headers);
      // A replayed problem is the stored document, under this request's id.
      if (response.status >= 400)
        return reply
          .status(response.status as 422)
          .type('application/problem+json')
          .send({ ...(response.body as object), requestId: request.id } as never);
      return reply.status(response.status as 201).send(response.body as never);
    },
  );

  app.get(
    '/v1/count-returns',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'listCountReturns',
        tags: ['Returns'],
        summary: 'List count returns and their versions (providers see their own services only)',
        description:
          'Filtered by `service`, `period` (a quarter or a financial year) and `status` (`current` for the versions that count), paginated with `limit` and `offset`. Counts are not included: read one count return for them.',
        security: [{ bearerAuth: [] }],
        querystring: CountReturnListQuery,
        response: { 200: jsonResponse('One page of count returns, with the total that match.', CountReturnListSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => listCountReturns(app.db, { principal: principalOf(request), ...request.query }),
  );

  app.get(
    '/v1/count-returns/:id',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'getCountReturn',
        tags: ['Returns'],
        summary: 'Read one version of a count return with its counts and the list of all its versions',
        description: 'Providers can read count returns of their own services only.',
        security: [{ bearerAuth: [] }],
        params: CountReturnIdParams,
        response: {
          200: jsonResponse('The version with its counts, and every version of its service and period.', CountReturnDetailSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => readCountReturn(app.db, principalOf(request), request.params.id),
  );
};

export default countReturnRoutes;
