/**
 * Idempotency-Key, as in the IETF httpapi draft: the first request with a key claims it and its
 * response is stored; a retry with the same key and the same request replays that response; the
 * same key with a different request is 422; a retry while the first is still running is 409.
 * Keys are scoped to the API key that sent them and kept for `ttlHours` (at least 24).
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { idempotencyKeys } from '../db/tables.js';
import { problem } from '../lib/problem.js';

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

export type Claim = { kind: 'claimed' } | { kind: 'replay'; response: StoredResponse };

export function assertIdempotencyKeyFormat(key: string): void {
  if (!KEY_PATTERN.test(key))
    throw problem(400, 'badRequest', 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)', [
      { parameter: 'Idempotency-Key', code: 'invalid_format', detail: 'must be 1 to 255 visible ASCII characters' },
    ]);
}

export async function claimIdempotencyKey(
  db: Database,
  params: IdempotencyScope & { operation: string; fingerprint: string; ttlHours: number },
): Promise<Claim> {
  assertIdempotencyKeyFormat(params.key);
  const where = and(eq(idempotencyKeys.apiKeyId, params.apiKeyId), eq(idempotencyKeys.key, params.key));
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = new Date();
    const [inserted] = await db
      .insert(idempotencyKeys)
      .values({
        apiKeyId: params.apiKeyId,
        key: params.key,
        operation: params.operation,
        fingerprint: params.fingerprint,
        leaseUntil: new Date(now.getTime() + LEASE_MINUTES * 60_000),
        expiresAt: new Date(now.getTime() + params.ttlHours * 3_600_000),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted) return { kind: 'claimed' };

    const [existing] = await db.select().from(idempotencyKeys).where(where);
    if (!existing) continue;
    if (existing.expiresAt <= now) {
      await db.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expiresAt, sql`now()`)));
      continue;
    }
    if (existing.operation !== params.operation || existing.fingerprint !== params.fingerprint)
      throw problem(422, 'idempotencyMismatch', 'this Idempotency-Key was already used for a different request; use a new key for a new submission');
    if (existing.responseStatus === null) {
      if (existing.leaseUntil > now)
        throw problem(409, 'idempotencyConflict', 'a request with this Idempotency-Key is still being processed; retry when it has finished');
      const [taken] = await db
        .update(idempotencyKeys)
        .set({ leaseUntil: new Date(now.getTime() + LEASE_MINUTES * 60_000) })
        .where(and(where, eq(idempotencyKeys.leaseUntil, existing.leaseUntil)))
        .returning({ key: idempotencyKeys.key });
      if (taken) return { kind: 'claimed' };
      continue;
    }
    return {
      kind: 'replay',
      response: { status: existing.responseStatus, body: existing.responseBody, headers: (existing.responseHeaders ?? {}) as Record<string, string> },
    };
  }
  throw problem(409, 'idempotencyConflict', 'a request with this Idempotency-Key is still being processed; retry when it has finished');
}

export async function completeIdempotencyKey(db: Database, scope: IdempotencyScope, response: StoredResponse): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseBody: response.body, responseHeaders: response.headers })
    .where(and(eq(idempotencyKeys.apiKeyId, scope.apiKeyId), eq(idempotencyKeys.key, scope.key)));
}

/** Frees a key whose request failed for a reason a retry may not meet again (a lock, a server error). */
export async function releaseIdempotencyKey(db: Database, scope: IdempotencyScope): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.apiKeyId, scope.apiKeyId), eq(idempotencyKeys.key, scope.key)));
}

export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, sql`now()`))
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
