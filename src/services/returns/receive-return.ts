/**
 * What `POST /v1/returns` does with a request, whatever its format: fingerprint it, honour its
 * Idempotency-Key, and either submit it now or, above the configured size, hand it to a job and
 * answer 202. CSV bodies are spooled to disk as they arrive, so their size never costs memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/connect.js';
import { spoolToFile, type SpooledBody } from '../../lib/spool.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  REPLAYABLE_ERRORS,
  resolveJobIdempotencyKey,
  settleFailedClaim,
  type ClaimedKey,
  type IdempotencyScope,
  type StoredResponse,
} from '../idempotency.js';
import { createJob, getJob, type JobOutcome, type JobRunner } from '../jobs.js';
import type { LinkageWorker } from '../../plugins/linkage-worker.js';
import type { TableStatistics } from '../../plugins/table-statistics.js';
import { assertWithinRecordLimit, incomingFromCsv, incomingFromJson, withRecordLimit } from './incoming-return.js';
import type { RecordPool } from './record-pool.js';
import type { DeriveTokens } from './record-rows.js';
import { submitReturn, type IncomingReturn, type ReturnSummary } from './submit-return.js';

export interface ReturnIntake {
  db: Database;
  jobs: JobRunner;
  linkage: LinkageWorker;
  /** Planner statistics, refreshed after the answer to a large return. */
  statistics: TableStatistics;
  log: FastifyBaseLogger;
  /**
   * A token deriver for one return (createLinkageTokenDeriver): called once per submission, as its
   * memo holds the return's components in the clear and must go with the return.
   */
  deriveTokensForReturn: () => DeriveTokens;
  /** Worker threads for a large return's records (tokens under the same secret as `deriveTokensForReturn`'s); null: none. */
  recordPool: RecordPool | null;
  /** Bodies larger than this are processed by a job (202). */
  asyncAboveBytes: number;
  bodyLimitBytes: number;
  uploadDir: string;
  idempotencyTtlHours: number;
  /** Set on the embedded database only: returns with more records (updates included) are refused (413). */
  embeddedMaxRecords?: number | undefined;
}

export interface ReceiveReturnParams {
  principal: Principal;
  requestId: string;
  body: { format: 'json'; value: unknown; bytes: number } | { format: 'csv'; stream: Readable };
  query: { service?: string | undefined; period?: string | undefined; datasetVersion?: string | undefined; kind?: string | undefined; dryRun: boolean };
  idempotencyKey?: string | undefined;
}

/** Problems that depend only on the request replay under its Idempotency-Key; others (a lock, a crash) may pass on a retry. */

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

/** A stored 202 names its job: a replay answers with the job as it is now, not as it was queued. */
async function replay(intake: ReturnIntake, principal: Principal, stored: StoredResponse): Promise<StoredResponse> {
  const headers = { ...stored.headers, 'idempotent-replayed': 'true' };
  const jobId = stored.status === 202 ? (stored.body as { id?: unknown } | null)?.id : undefined;
  if (typeof jobId !== 'string') return { ...stored, headers };
  const job = await getJob(intake.db, intake.jobs, principal, jobId).catch(() => null);
  return { status: 202, body: job ?? stored.body, headers };
}

/** What a key keeps of a job's end: the answer itself when a retry would get it again, else nothing (the key is freed). */
function keptOutcome(outcome: JobOutcome): StoredResponse | null {
  if (outcome.status < 300 || REPLAYABLE_ERRORS.has(outcome.status)) return { status: outcome.status, body: outcome.body, headers: {} };
  return null;
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
        // Absent from the fingerprint when not given, so a key stored before the parameter existed still replays.
        ...(query.datasetVersion !== undefined ? [query.datasetVersion] : []),
        ...(query.kind !== undefined ? [`kind=${query.kind}`] : []),
        file ? file.sha256 : sha256(JSON.stringify((body as { value: unknown }).value)),
      ]),
    );
    const scope: IdempotencyScope | null = params.idempotencyKey ? { apiKeyId: principal.keyId, key: params.idempotencyKey } : null;
    let claim: ClaimedKey | null = null;
    if (scope) {
      const claimed = await claimIdempotencyKey(intake.db, { ...scope, operation: 'POST /v1/returns', fingerprint, ttlHours: intake.idempotencyTtlHours });
      if (claimed.kind === 'replay') return await replay(intake, principal, claimed.response);
      claim = claimed.claim;
    }
    try {
      const json = body.format === 'json' ? incomingFromJson(body.value, query.kind) : null;
      const limit = intake.embeddedMaxRecords;
      if (json && limit !== undefined) {
        // Authorisation before content, as in submitReturn: another service's return gets its 403, not a 413.
        if (json.service !== undefined) assertServiceAccess(principal, json.service);
        assertWithinRecordLimit(json, limit);
      }
      const csv = (stream: Readable): IncomingReturn => {
        const read = incomingFromCsv(stream, query);
        return limit === undefined ? read : withRecordLimit(read, limit);
      };
      const incoming = (report?: (bytesRead: number) => void): IncomingReturn => json ?? csv(report ? meterReads(file!, report) : createReadStream(file!.path));
      if (bytes > intake.asyncAboveBytes) {
        const service = json ? json.service : query.service;
        if (service) assertServiceAccess(principal, service);
        const progress = { recordsRead: 0, bytesRead: 0, bytesTotal: bytes };
        // The job and the key's 202 commit together: a key never points at a job that does not exist.
        const { job, response } = await intake.db.transaction(async (tx) => {
          const job = await createJob(tx as unknown as Database, {
            kind: query.dryRun ? 'validate-return' : 'submit-return',
            principal,
            ...(service ? { service } : {}),
            ...(query.period ? { period: query.period } : {}),
            progress,
            owner: intake.jobs.instanceId,
            ...(file ? { upload: path.basename(file.path) } : {}),
          });
          const response: StoredResponse = { status: 202, body: job, headers: { location: `/v1/jobs/${job.id}` } };
          if (claim) await completeIdempotencyKey(tx as unknown as Database, claim, response);
          return { job, response };
        });
        fileOwnedByJob = true;
        intake.jobs.enqueue(
          job.id,
          {
            run: async (report, settle) =>
              submit(
                intake,
                params,
                incoming((bytesRead) => report({ bytesRead })),
                {
                  onProgress: (recordsRead) => report({ recordsRead }),
                  // The return, the job's result and the key's answer commit together.
                  beforeCommit: async (tx, stored) => {
                    // Every record has been read: the clear linkage keys leave the disk before the job is seen finished.
                    if (file) await rm(file.path, { force: true });
                    await settle(tx, stored);
                    if (scope) await resolveJobIdempotencyKey(tx, scope, job.id, stored);
                  },
                },
              ),
            finalize: async (tx, outcome) => {
              if (scope) await resolveJobIdempotencyKey(tx, scope, job.id, keptOutcome(outcome));
            },
            cleanup: async () => {
              if (file) await rm(file.path, { force: true });
            },
          },
          progress,
        );
        return response;
      }
      const response = await submit(intake, params, incoming(), {
        // The key's answer commits with the return, or not at all.
        ...(claim ? { beforeCommit: (tx, stored) => completeIdempotencyKey(tx, claim, stored) } : {}),
      });
      // A dry run stores nothing, so its answer is kept once it is known.
      if (claim && response.status === 200) await completeIdempotencyKey(intake.db, claim, response);
      return response;
    } catch (error) {
      if (claim) await settleFailedClaim(intake.db, intake.log, claim, error, '/v1/returns');
      throw error;
    }
  } finally {
    if (file && !fileOwnedByJob) await rm(file.path, { force: true });
  }
}

interface SubmitOptions {
  onProgress?: (recordsRead: number) => void;
  /** Runs inside the return's transaction with the response it will get, just before the commit. */
  beforeCommit?: (tx: Database, response: StoredResponse) => Promise<void>;
}

/** How long an `inline` answer waits for persons before it is sent anyway (the return is stored either way). */
const LINKAGE_WAIT_MS = 120_000;

function accepted(summary: ReturnSummary): StoredResponse {
  return { status: 201, body: summary, headers: { location: `/v1/returns/${summary.id}` } };
}

async function submit(intake: ReturnIntake, params: ReceiveReturnParams, incoming: IncomingReturn, options: SubmitOptions = {}): Promise<StoredResponse> {
  const { beforeCommit } = options;
  const result = await submitReturn(intake.db, {
    principal: params.principal,
    incoming,
    dryRun: params.query.dryRun,
    deriveTokens: intake.deriveTokensForReturn(),
    recordPool: intake.recordPool,
    requestId: params.requestId,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(beforeCommit ? { beforeCommit: (tx: Database, summary: ReturnSummary) => beforeCommit(tx, accepted(summary)) } : {}),
  });
  if ('dryRun' in result) return { status: 200, body: result, headers: {} };
  const { summary, linkageJobId } = result;
  intake.log.info(
    { returnId: summary.id, service: summary.service, period: summary.period, version: summary.version, recordCount: summary.recordCount },
    'return accepted',
  );
  intake.statistics.noteLoad(summary.recordCount);
  // The return is stored whatever linkage does next: persons follow in the background, or (inline) before the answer.
  if (intake.linkage.mode === 'inline') {
    const state = await intake.linkage.waitFor(linkageJobId, LINKAGE_WAIT_MS);
    if (state === 'failed')
      intake.log.error({ returnId: summary.id, jobId: linkageJobId }, 'linkage failed for this return; POST /v1/linkage/relink brings persons current');
    if (state === 'timeout')
      intake.log.warn({ returnId: summary.id, jobId: linkageJobId }, 'persons are not yet current for this return; it is answered anyway');
  } else intake.linkage.nudge();
  return accepted(summary);
}
