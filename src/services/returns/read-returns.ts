/** Lists and reads returns, their versions and records, within what the caller may see. */
import { and, asc, count, desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { versionListFilters, type VersionListParams } from '../version-list-filters.js';
import { records, returns } from '../../db/tables.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { rowToRecord } from './record-rows.js';
import { updateCounts, updatesOfReturn } from './record-updates.js';

type ReturnRow = typeof returns.$inferSelect;

/**
 * `updateCount`: how many updates of earlier referrals the version carries (`record_updates`),
 * stated only when there are some, so answers without updates keep their 1.0 shape.
 */
export function toReturnSummary(row: ReturnRow, updateCount: number) {
  return {
    id: row.id,
    service: row.serviceId,
    period: row.period,
    version: row.version,
    status: row.supersededAt ? ('superseded' as const) : ('current' as const),
    recordCount: row.recordCount,
    ...(updateCount > 0 ? { updateCount } : {}),
    datasetVersion: row.datasetVersion,
    receivedAt: row.receivedAt.toISOString(),
    supersededAt: row.supersededAt ? row.supersededAt.toISOString() : null,
    warnings: row.warnings as FieldProblem[],
  };
}

export type ListReturnsParams = VersionListParams;

export async function listReturns(db: Database, params: ListReturnsParams) {
  const filters = versionListFilters(returns, params);
  const where = and(...filters);
  const [total] = await db.select({ n: count() }).from(returns).where(where);
  const rows = await db
    .select()
    .from(returns)
    .where(where)
    .orderBy(asc(returns.period), asc(returns.serviceId), desc(returns.version))
    .limit(params.limit)
    .offset(params.offset);
  const counts = await updateCounts(
    db,
    rows.map((r) => r.id),
  );
  return { items: rows.map((row) => toReturnSummary(row, counts.get(row.id) ?? 0)), total: total?.n ?? 0, limit: params.limit, offset: params.offset };
}

export interface ReadReturnParams {
  principal: Principal;
  id: string;
  requestId?: string;
}

/** One version of a return with its records. Record-level data: every read is audited, naming the return and never its contents. */
export async function readReturn(db: Database, params: ReadReturnParams) {
  const detail = await getReturn(db, params.principal, params.id);
  await recordAuditEvent(db, {
    action: 'return.read',
    principal: params.principal,
    outcome: 'success',
    resourceType: 'return',
    resourceId: detail.id,
    detail: { service: detail.service, period: detail.period, version: detail.version, recordCount: detail.recordCount },
    ...(params.requestId ? { requestId: params.requestId } : {}),
  });
  return detail;
}

async function getReturn(db: Database, principal: Principal, id: string) {
  const [row] = await db.select().from(returns).where(eq(returns.id, id));
  if (!row) throw problem(404, 'notFound', `no return ${id}`);
  assertServiceAccess(principal, row.serviceId);
  const versions = await db
    .select()
    .from(returns)
    .where(and(eq(returns.serviceId, row.serviceId), eq(returns.period, row.period)))
    .orderBy(asc(returns.version));
  const recordRows = await db.select().from(records).where(eq(records.returnId, id)).orderBy(asc(records.position));
  const updates = await updatesOfReturn(db, id);
  return {
    ...toReturnSummary(row, updates.length),
    versions: versions.map((v) => {
      const { id: versionId, version, status, recordCount, receivedAt } = toReturnSummary(v, 0);
      return { id: versionId, version, status, recordCount, receivedAt, submittedBy: v.submittedBy };
    }),
    records: recordRows.map(rowToRecord),
    updates,
  };
}
