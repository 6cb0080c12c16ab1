/** Lists and reads count returns and their counts, within what the caller may see. */
import { and, asc, count, desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { versionListFilters, type VersionListParams } from '../version-list-filters.js';
import { countCells, countReturns } from '../../db/tables.js';
import { problem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { toCountReturnSummary } from './count-return-summary.js';

export type ListCountReturnsParams = VersionListParams;

export async function listCountReturns(db: Database, params: ListCountReturnsParams) {
  const filters = versionListFilters(countReturns, params);
  const where = and(...filters);
  const [total] = await db.select({ n: count() }).from(countReturns).where(where);
  const rows = await db
    .select()
    .from(countReturns)
    .where(where)
    .orderBy(asc(countReturns.period), asc(countReturns.serviceId), desc(countReturns.version))
    .limit(params.limit)
    .offset(params.offset);
  return { items: rows.map(toCountReturnSummary), total: total?.n ?? 0, limit: params.limit, offset: params.offset };
}

/** One version with its counts, in the order sent, and every version of its service and period. */
export async function readCountReturn(db: Database, principal: Principal, id: string) {
  const [row] = await db.select().from(countReturns).where(eq(countReturns.id, id));
  if (!row) throw problem(404, 'notFound', `no count return ${id}`);
  assertServiceAccess(principal, row.serviceId);
  const versions = await db
    .select()
    .from(countReturns)
    .where(and(eq(countReturns.serviceId, row.serviceId), eq(countReturns.period, row.period)))
    .orderBy(asc(countReturns.version));
  const cells = await db.select().from(countCells).where(eq(countCells.countReturnId, id)).orderBy(asc(countCells.position));
  return {
    ...toCountReturnSummary(row),
    versions: versions.map((v) => {
      const { id: versionId, version, status, cellCount, receivedAt } = toCountReturnSummary(v);
      return { id: versionId, version, status, cellCount, receivedAt, submittedBy: v.submittedBy };
    }),
    // The cell key is disclosure machinery, not part of what was sent.
    counts: cells.map((c) => ({
      measure: c.measure,
      area: c.area,
      value: c.value,
      ...(c.breakdown ? { breakdown: c.breakdown as Record<string, string> } : {}),
    })),
  };
}
