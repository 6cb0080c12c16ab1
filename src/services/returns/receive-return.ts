/**
 * What `POST /v1/returns` does with a request, whatever its format: fingerprint it, honour its
 * Idempotency-Key, and either submit it now or, above the configured size, hand it to a job and
 * answer 202. CSV bodies are spooled to disk as they arrive, so their size never costs memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/connect.js';
import { documentOfClientError, type ClientError } from '../../lib/problem.js';
import { spoolToFile, type SpooledBody } from '../../lib/spool.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey, type IdempotencyScope, type StoredResponse } from '../idempotency.js';
import { createJob, type JobRunner } from '../jobs.js';
import type { LinkageSettings } from '../linkage/relink.js';
import { incomingFromCsv, incomingFromJson } from './incoming-return.js';
import type { DeriveTokens } from './record-rows.js';
import { submitReturn, type IncomingReturn } from './submit-return.js';

export interface ReturnIntake {
  db: Database;
  jobs: JobRunner;
  log: FastifyBaseLogger;
  deriveTokens: DeriveTokens;
  linkageSettings: LinkageSettings;
  /** Bodies larger than this are processed by a job (202). */
  asyncAboveBytes: number;
  bodyLimitBytes: number;
  uploadDir: string;
  idempotencyTtlHours: number;
}

export interface ReceiveReturnParams {
  principal: Principal;
  requestId: string;
  body: { format: 'json'; value: unknown; bytes: number } | { format: 'csv'; stream: Readable };
  query: { service?: string | undefined; period?: string | undefined; dryRun: boolean };
  idempotencyKey?: string | undefined;
}

/** Problems that depend only on the request replay under its Idempotency-Key; others (a lock, a crash) may pass on a retry. */
const REPLAYABLE_ERRORS = new Set([400, 422]);

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reports how far into the file a job has read. */
function meterReads(file: SpooledBody, report: (bytesRead: number) => void): Readable {
  let bytesRead = 0;
  return createReadStream(file.path).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytesRead += chunk.length;
        report(bytesRead);
        callback(null, chunk);
      },
    }),
  );
}

export async function receiveReturn(intake: ReturnIntake, params: ReceiveReturnParams): Promise<StoredResponse> {
  const { principal, body, query } = params;
  if (body.format === 'csv' && query.service) assertServiceAccess(principal, query.service);
  const file = body.format === 'csv' ? await spoolToFile(body.stream, { dir: intake.uploadDir, limitBytes: intake.bodyLimitBytes }) : null;
  let fileOwnedByJob = false;
  try {
    const bytes = file ? file.bytes : body.format === 'json' ? body.bytes : 0;
    const fingerprint = sha256(
      JSON.stringify([
        body.format,
        query.service ?? null,
        query.period ?? null,
        query.dryRun,
        file ? file.sha256 : sha256(JSON.stringify((body as { value: unknown }).value)),
      ]),
    );
    const scope: IdempotencyScope | null = params.idempotencyKey ? { apiKeyId: principal.keyId, key: params.idempotencyKey } : null;
    if (scope) {
      const claim = await claimIdempotencyKey(intake.db, { ...scope, operation: 'POST /v1/returns', fingerprint, ttlHours: intake.idempotencyTtlHours });
      if (claim.kind === 'replay') return { ...claim.response, headers: { ...claim.response.headers, 'idempotent-replayed': 'true' } };
    }
    try {
      const json = body.format === 'json' ? incomingFromJson(body.value) : null;
      const incoming = (report?: (bytesRead: number) => void): IncomingReturn =>
        json ?? incomingFromCsv(report ? meterReads(file!, report) : createReadStream(file!.path), query);
      let response: StoredResponse;
      if (bytes > intake.asyncAboveBytes) {
        const service = json ? json.service : query.service;
        if (service) assertServiceAccess(principal, service);
        const progress = { recordsRead: 0, bytesRead: 0, bytesTotal: bytes };
        const job = await createJob(intake.db, {
          kind: query.dryRun ? 'validate-return' : 'submit-return',
          principal,
          ...(service ? { service } : {}),
          ...(query.period ? { period: query.period } : {}),
          progress,
        });
        fileOwnedByJob = true;
        intake.jobs.enqueue(
          job.id,
          {
            run: async (report) => {
              const outcome = await submit(
                intake,
                params,
                incoming((bytesRead) => report({ bytesRead })),
                (recordsRead) => report({ recordsRead }),
              );
              return { status: outcome.status, body: outcome.body };
            },
            cleanup: async () => {
              if (file) await rm(file.path, { force: true });
            },
          },
          progress,
        );
        response = { status: 202, body: job, headers: { location: `/v1/jobs/${job.id}` } };
      } else {
        response = await submit(intake, params, incoming());
      }
      if (scope) await completeIdempotencyKey(intake.db, scope, response);
      return response;
    } catch (error) {
      if (scope) {
        const status = (error as { statusCode?: number }).statusCode ?? 500;
        if (REPLAYABLE_ERRORS.has(status))
          await completeIdempotencyKey(intake.db, scope, { status, body: documentOfClientError(error as ClientError, '/v1/returns'), headers: {} });
        else await releaseIdempotencyKey(intake.db, scope);
      }
      throw error;
    }
  } finally {
    if (file && !fileOwnedByJob) await rm(file.path, { force: true });
  }
}

async function submit(
  intake: ReturnIntake,
  params: ReceiveReturnParams,
  incoming: IncomingReturn,
  onProgress?: (recordsRead: number) => void,
): Promise<StoredResponse> {
  const result = await submitReturn(intake.db, {
    principal: params.principal,
    incoming,
    dryRun: params.query.dryRun,
    deriveTokens: intake.deriveTokens,
    linkageSettings: intake.linkageSettings,
    requestId: params.requestId,
    ...(onProgress ? { onProgress } : {}),
  });
  if ('dryRun' in result) return { status: 200, body: result, headers: {} };
  const { summary, linkage } = result;
  intake.log.info(
    { returnId: summary.id, service: summary.service, period: summary.period, version: summary.version, recordCount: summary.recordCount },
    'return accepted',
  );
  if (linkage.ok) intake.log.info({ returnId: summary.id, linkage: linkage.stats }, 'persons relinked');
  else intake.log.error({ err: linkage.error, returnId: summary.id }, 'linkage failed after the return was stored; run POST /v1/linkage/relink');
  return { status: 201, body: summary, headers: { location: `/v1/returns/${summary.id}` } };
}
