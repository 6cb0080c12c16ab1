import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DEFAULT_EMBEDDED_MAX_RECORDS } from '../config.js';
import { principalOf } from '../plugins/auth.js';
import { errorResponse, errorResponses, jsonResponse, locationHeader, responseHeaders } from '../schema/api/common.js';
import { returnExamples, submitReturnCsvExamples, submitReturnJsonExamples, validationProblemExamples, withExamples } from '../schema/api/examples.js';
import {
  CsvReturnBody,
  ReturnDetailSchema,
  ReturnIdParams,
  ReturnListQuery,
  ReturnListSchema,
  SubmitReturnHeaders,
  SubmitReturnQuery,
  SubmitReturnSchema,
} from '../schema/api/returns.js';
import { problem, problemDocument, problemTypes } from '../lib/problem.js';
import { createLinkageTokenDeriver } from '../services/linkage/tokens.js';
import { listReturns, readReturn } from '../services/returns/read-returns.js';
import { embeddedLimitProblem } from '../services/returns/incoming-return.js';
import { receiveReturn, type ReturnIntake } from '../services/returns/receive-return.js';

export interface ReturnRoutesOptions {
  linkageSecret: string;
  asyncReturnBytes: number;
  bodyLimitBytes: number;
  uploadDir: string;
  idempotencyTtlHours: number;
  /** The most records (updates included) one return may have on the embedded database; PostgreSQL has no limit. */
  embeddedMaxRecords?: number | undefined;
}

/** A response a later request with the same Idempotency-Key may get again, marked as replayed. */
const replayed = responseHeaders('idempotent-replayed');

const returnRoutes: FastifyPluginAsyncTypebox<ReturnRoutesOptions> = async (app, options) => {
  const intake: ReturnIntake = {
    db: app.db,
    jobs: app.jobs,
    linkage: app.linkage,
    statistics: app.tableStatistics,
    log: app.log,
    deriveTokensForReturn: () => createLinkageTokenDeriver(options.linkageSecret),
    recordPool: app.recordPool,
    asyncAboveBytes: options.asyncReturnBytes,
    bodyLimitBytes: options.bodyLimitBytes,
    uploadDir: options.uploadDir,
    idempotencyTtlHours: options.idempotencyTtlHours,
    embeddedMaxRecords: app.databaseKind === 'pglite' ? options.embeddedMaxRecords : undefined,
  };

  // CSV bodies reach the handler as the raw stream: the intake spools them to disk as they arrive.
  app.addContentTypeParser('text/csv', (request, payload, done) => {
    const charset = /charset=([^;\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      payload.resume();
      done(problem(415, 'unsupportedMediaType', `CSV returns must be UTF-8; this one says charset=${charset}`), undefined);
      return;
    }
    done(null, payload);
  });

  app.post(
    '/v1/returns',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'submitReturn',
        tags: ['Returns'],
        summary: 'Submit a quarterly return (one record per referral), as JSON or CSV',
        description:
          'Accepted whole or rejected whole: any invalid record rejects the return with 422 listing every problem, and nothing is stored. Submitting again for the same service and period creates version N+1, which supersedes the earlier one; a locked period answers 409. ' +
          'CSV returns (`Content-Type: text/csv`) name the service and period in the query. Bodies larger than the configured size (`VAWG_ASYNC_RETURN_MB`, 10 MiB by default) are answered with 202 and a job to poll. ' +
          'On the embedded database (no `DATABASE_URL`) a return with more records, updates included, than `VAWG_EMBEDDED_MAX_RECORDS` (10,000 by default) is refused with 413: it would hold the one connection too long. ' +
          '`victim.linkage.slk581` is turned into a keyed hash on arrival and never stored or returned. ' +
          'Updates (dataset 1.1.0 on): a version is everything the service sends for the quarter, its records and its `updates` of referrals received in earlier quarters (their closure, status, refuge, court, programme, housing or sanctuary as they stand now), applied field by field in quarter order while the version is current; superseding it withdraws them. ' +
          'A JSON return carries both. A CSV file carries one part: `kind=records` (the default) sends the records, and the new version keeps the updates of the current version of the service and period; `kind=updates` sends the updates (columns `referralId`, `referralPeriod`, then the status, closure and module columns as the records CSV names them), and the new version keeps the records of the current version, copied unchanged (none when there is no current version). ' +
          'So sending the records and then the updates as two CSV files gives versions N+1 and N+2, the latter holding both.',
        security: [{ bearerAuth: [] }],
        querystring: SubmitReturnQuery,
        headers: SubmitReturnHeaders,
        body: {
          content: {
            'application/json': { schema: withExamples(SubmitReturnSchema, submitReturnJsonExamples) },
            'text/csv': { schema: withExamples(CsvReturnBody, submitReturnCsvExamples) },
          },
        },
        response: {
          201: jsonResponse('Accepted and stored as the current version.', Type.Ref('Return'), {
            examples: returnExamples,
            headers: { location: locationHeader('Where the return is read: `/v1/returns/{id}`.'), ...replayed },
          }),
          200: jsonResponse('Dry run (`dryRun=true`): valid, nothing stored.', Type.Ref('DryRunResult'), { headers: replayed }),
          202: jsonResponse('A large body: accepted for processing; poll the job.', Type.Ref('Job'), {
            headers: { location: locationHeader('Where the job is polled: `/v1/jobs/{id}`.'), ...replayed },
          }),
          ...errorResponses(401, 403, 409, 415),
          413: {
            ...(errorResponse(413, {
              embeddedLimit: {
                summary: 'More records than the embedded database takes in one return',
                value: {
                  ...problemDocument(413, embeddedLimitProblem(DEFAULT_EMBEDDED_MAX_RECORDS).message, '/v1/returns', problemTypes.embeddedLimit),
                  requestId: '2d8ea66a-0355-4599-8cc0-b723d64f34bd',
                },
              },
            }) as object),
            description:
              'Body larger than `VAWG_BODY_LIMIT_MB`; or, on the embedded database only (no `DATABASE_URL`), more records (updates included) than `VAWG_EMBEDDED_MAX_RECORDS` (`urn:vawg:problem:embedded-limit`; a job ends failed with it). Nothing is stored.',
          } as unknown as ReturnType<typeof errorResponse>,
          // Problems that depend only on the request are kept under its Idempotency-Key and replayed.
          400: errorResponse(400, undefined, ['idempotent-replayed']),
          422: errorResponse(422, validationProblemExamples, ['idempotent-replayed']),
        },
      },
    },
    async (request, reply) => {
      const isCsv = (request.headers['content-type'] ?? '').toLowerCase().startsWith('text/csv');
      const response = await receiveReturn(intake, {
        principal: principalOf(request),
        requestId: request.id,
        body: isCsv ? { format: 'csv', stream: request.body as Readable } : { format: 'json', value: request.body, bytes: request.bodyBytes },
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
    '/v1/returns',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'listReturns',
        tags: ['Returns'],
        summary: 'List returns and their versions (providers see their own services only)',
        description:
          'Newest first, filtered by `service`, `period` (a quarter or a financial year) and `status` (`current` for the versions that count), paginated with `limit` and `offset`. Records are not included: read one return for them.',
        security: [{ bearerAuth: [] }],
        querystring: ReturnListQuery,
        response: { 200: jsonResponse('One page of returns, newest first, with the total that match.', ReturnListSchema), ...errorResponses(400, 401, 403) },
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
        description:
          'Record-level data: every read is recorded in the audit log. Providers can read returns of their own services only. Linkage keys are never returned. ' +
          "`updates` lists the version's updates of referrals of earlier quarters as they were sent (`updateCount` how many); the records are shown as sent, not as later updates left them. `GET /v1/returns/{id}/diff` compares records only, not updates.",
        security: [{ bearerAuth: [] }],
        params: ReturnIdParams,
        response: {
          200: jsonResponse('The version with its records, and every version of its service and period.', ReturnDetailSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => readReturn(app.db, { principal: principalOf(request), id: request.params.id, requestId: request.id }),
  );
};

export default returnRoutes;
