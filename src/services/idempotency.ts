/**
 * Idempotency-Key, as in the IETF httpapi draft: the first request with a key claims it and its
 * response is stored; a retry with the same key and the same request replays that response; the
 * same key with a different request is 422; a retry while the first is still running is 409.
 * Keys are scoped to the API key that sent them and kept for `ttlHours` (at least 24).
 *
 * Exactness: a claim is identified by its lease (`lease_until`), and every later write to the key
 * names it, so a claim taken over after its lease expired can no longer be completed or released by
 * its first owner. The response of a stored return is written in the return's own transaction
 * (`completeIdempotencyKey(tx, …)`): the key is complete if and only if the return committed. A key
 * answered 202 points at its job (the stored body is the job) and is resolved by the job's end.
 */
import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/connect.js';
import { idempotencyKeys } from '../db/tables.js';
import { documentOfClientError, problem, type ClientError } from '../lib/problem.js';

/** A claim left in flight longer than this belonged to a process that died: another request may take it over. */
const LEASE_MINUTES = 15;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface IdempotencyScope {
  apiKeyId: string;
  key: string;
}

/** A key this request holds: its scope and the lease that identifies this claim. */
export interface ClaimedKey extends IdempotencyScope {
  lease: Date;
}

export type Claim = { kind: 'claimed'; claim: ClaimedKey } | { kind: 'replay'; response: StoredResponse };

/** The database or a transaction on it: key writes take either. */
type Writer = Pick<Database, 'update' | 'delete'>;

export function assertIdempotencyKeyFormat(key: string): void {
  if (!KEY_PATTERN.test(key))
    throw problem(400, 'badRequest', 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)', [
      { parameter: 'Idempotency-Key', code: 'invalid_format', detail: 'must be 1 to 255 visible ASCII characters' },
    ]);
}

function inFlight(): Error {
  return problem(409, 'idempotencyConflict', 'a request with this Idempotency-Key is still being processed; retry when it has finished');
}

function scopeWhere(scope: IdempotencyScope) {
  return and(eq(idempotencyKeys.apiKeyId, scope.apiKeyId), eq(idempotencyKeys.key, scope.key));
}

/** Still this request's claim: not taken over, not yet answered. */
function heldWhere(claim: ClaimedKey) {
  return and(scopeWhere(claim), eq(idempotencyKeys.leaseUntil, claim.lease), isNull(idempotencyKeys.responseStatus));
}

/** Answered 202 for this job and not yet resolved. */
function jobWhere(scope: IdempotencyScope, jobId: string) {
  return and(scopeWhere(scope), eq(idempotencyKeys.responseStatus, 202), sql`${idempotencyKeys.responseBody}->>'id' = ${jobId}`);
}

export async function claimIdempotencyKey(
  db: Database,
  params: IdempotencyScope & { operation: string; fingerprint: string; ttlHours: number },
): Promise<Claim> {
  assertIdempotencyKeyFormat(params.key);
  const where = scopeWhere(params);
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = new Date();
    const lease = new Date(now.getTime() + LEASE_MINUTES * 60_000);
    const [inserted] = await db
      .insert(idempotencyKeys)
      .values({
        apiKeyId: params.apiKeyId,
        key: params.key,
        operation: params.operation,
        fingerprint: params.fingerprint,
        leaseUntil: lease,
        expiresAt: new Date(now.getTime() + params.ttlHours * 3_600_000),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted) return { kind: 'claimed', claim: { apiKeyId: params.apiKeyId, key: params.key, lease } };

    const [existing] = await db.select().from(idempotencyKeys).where(where);
    if (!existing) continue;
    if (existing.expiresAt <= now) {
      await db.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expiresAt, sql`now()`)));
      continue;
    }
    if (existing.operation !== params.operation || existing.fingerprint !== params.fingerprint)
      throw problem(422, 'idempotencyMismatch', 'this Idempotency-Key was already used for a different request; use a new key for a new submission');
    if (existing.responseStatus === null) {
      if (existing.leaseUntil > now) throw inFlight();
      // The claimant died (its transaction, if any, rolled back) or is still running past its lease:
      // in that case its completion, which names its lease, will fail and roll its return back.
      const [taken] = await db
        .update(idempotencyKeys)
        .set({ leaseUntil: lease })
        .where(and(where, eq(idempotencyKeys.leaseUntil, existing.leaseUntil), isNull(idempotencyKeys.responseStatus)))
        .returning({ key: idempotencyKeys.key });
      if (taken) return { kind: 'claimed', claim: { apiKeyId: params.apiKeyId, key: params.key, lease } };
      continue;
    }
    return {
      kind: 'replay',
      response: { status: existing.responseStatus, body: existing.responseBody, headers: (existing.responseHeaders ?? {}) as Record<string, string> },
    };
  }
  throw inFlight();
}

/**
 * Stores the response of a claim. Given the return's transaction, the key completes if and only if
 * the return commits. Throws 409 (rolling that transaction back) when the claim is no longer held.
 */
export async function completeIdempotencyKey(db: Writer, claim: ClaimedKey, response: StoredResponse): Promise<void> {
  const done = await db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseBody: response.body, responseHeaders: response.headers })
    .where(heldWhere(claim))
    .returning({ key: idempotencyKeys.key });
  if (done.length === 0) throw inFlight();
}

/** Frees a claim whose request failed for a reason a retry may not meet again (a lock, a server error). */
export async function releaseIdempotencyKey(db: Writer, claim: ClaimedKey): Promise<void> {
  await db.delete(idempotencyKeys).where(heldWhere(claim));
}

const RELEASE_RETRY_MS = 2000;
const RELEASE_ATTEMPTS = 60;

/**
 * Releases a claim now or, when the database is unreachable (the usual reason the request failed),
 * keeps trying in the background for a couple of minutes, so a client retrying after the outage
 * does not meet 409 until the lease expires. Safe late: the release names this claim's lease.
 */
export async function releaseIdempotencyKeySoon(db: Writer, claim: ClaimedKey, log: FastifyBaseLogger): Promise<void> {
  try {
    await releaseIdempotencyKey(db, claim);
  } catch (err) {
    log.warn({ err }, 'could not free an Idempotency-Key yet; retrying in the background');
    // The caller answers now; the retries go on without it.
    void retryRelease(db, claim, log);
  }
}

async function retryRelease(db: Writer, claim: ClaimedKey, log: FastifyBaseLogger): Promise<void> {
  for (let attempt = 2; attempt <= RELEASE_ATTEMPTS; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, RELEASE_RETRY_MS).unref());
    try {
      await releaseIdempotencyKey(db, claim);
      return;
    } catch {
      // still unreachable: try again
    }
  }
  log.warn('gave up freeing an Idempotency-Key; it frees itself when its lease expires');
}

/** Client errors a retry would get again: their answer is kept under the key; any other failure frees it. */
export const REPLAYABLE_ERRORS: ReadonlySet<number> = new Set([400, 422]);

/**
 * A request that failed: its answer is kept under the key when a retry would get the same (400,
 * 422), else the key is freed. Never throws, so the request's own error is what the client gets.
 * `instance`: the path the stored problem document names (`/v1/returns`).
 */
export async function settleFailedClaim(db: Writer, log: FastifyBaseLogger, claim: ClaimedKey, error: unknown, instance: string): Promise<void> {
  const status = (error as { statusCode?: number }).statusCode ?? 500;
  if (REPLAYABLE_ERRORS.has(status)) {
    const stored = { status, body: documentOfClientError(error as ClientError, instance), headers: {} };
    const kept = await completeIdempotencyKey(db, claim, stored).then(
      () => true,
      () => false,
    );
    if (kept) return;
  }
  await releaseIdempotencyKeySoon(db, claim, log);
}

/** Stores a job's final response under the key that answered 202 for it (`null` frees the key instead). */
export async function resolveJobIdempotencyKey(db: Writer, scope: IdempotencyScope, jobId: string, response: StoredResponse | null): Promise<void> {
  if (response === null) await db.delete(idempotencyKeys).where(jobWhere(scope, jobId));
  else
    await db
      .update(idempotencyKeys)
      .set({ responseStatus: response.status, responseBody: response.body, responseHeaders: response.headers })
      .where(jobWhere(scope, jobId));
}

/** Frees the keys that answered 202 for these jobs (jobs a dead process left unfinished). */
export async function releaseKeysOfJobs(db: Writer, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.responseStatus, 202), inArray(sql<string>`${idempotencyKeys.responseBody}->>'id'`, [...jobIds])));
}

export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, sql`now()`))
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
