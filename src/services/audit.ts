/**
 * The audit log: who submitted, read record-level data, managed keys or locked periods, and when.
 * Events name API keys and resources (return ids, periods), never a person's data: an audit log is
 * read more widely than the records it protects.
 */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { auditEvents } from '../db/tables.js';
import type { Principal } from './api-keys.js';

export type AuditAction =
  | 'return.submitted'
  | 'return.rejected'
  | 'return.read'
  | 'count_return.submitted'
  | 'count_return.rejected'
  | 'return.diff_read'
  | 'referral.read'
  | 'referral.erased'
  | 'retention.applied'
  | 'linkage.persons_read'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'period.locked'
  | 'period.unlocked'
  | 'service.schedule_set'
  | 'access.denied';

export interface AuditEvent {
  action: AuditAction;
  principal: Principal | null;
  outcome: 'success' | 'failure';
  resourceType?: string;
  resourceId?: string;
  /** Counts, versions, problem counts: never record contents, keys or linkage tokens. */
  detail?: Record<string, unknown>;
  requestId?: string;
}

/** Writes one event; `db` may be a transaction, so the event commits or rolls back with the change it records. */
export async function recordAuditEvent(db: Pick<Database, 'insert'>, event: AuditEvent): Promise<void> {
  await db.insert(auditEvents).values({
    apiKeyId: event.principal?.keyId ?? null,
    role: event.principal?.role ?? null,
    action: event.action,
    outcome: event.outcome,
    resourceType: event.resourceType ?? null,
    resourceId: event.resourceId ?? null,
    detail: event.detail ?? {},
    requestId: event.requestId ?? null,
  });
}

export interface AuditQuery {
  action?: string;
  apiKeyId?: string;
  resourceId?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

/** Newest first. `from` is inclusive, `to` exclusive (ISO date-times). */
export async function listAuditEvents(db: Database, query: AuditQuery) {
  const conditions: SQL[] = [];
  if (query.action) conditions.push(eq(auditEvents.action, query.action));
  if (query.apiKeyId) conditions.push(eq(auditEvents.apiKeyId, query.apiKeyId));
  if (query.resourceId) conditions.push(eq(auditEvents.resourceId, query.resourceId));
  if (query.from) conditions.push(gte(auditEvents.at, new Date(query.from)));
  if (query.to) conditions.push(lt(auditEvents.at, new Date(query.to)));
  const where = conditions.length ? and(...conditions) : undefined;
  const [rows, [total]] = await Promise.all([
    db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.at), desc(auditEvents.id)).limit(query.limit).offset(query.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(auditEvents)
      .where(where),
  ]);
  return {
    items: rows.map((row) => ({
      id: row.id,
      at: row.at.toISOString(),
      apiKeyId: row.apiKeyId,
      role: row.role,
      action: row.action,
      outcome: row.outcome,
      resourceType: row.resourceType,
      resourceId: row.resourceId,
      detail: row.detail as Record<string, unknown>,
      requestId: row.requestId,
    })),
    total: total?.n ?? 0,
    limit: query.limit,
    offset: query.offset,
  };
}
