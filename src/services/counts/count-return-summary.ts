/** A version of a count return as the API shows it, without its counts. */
import type { countReturns } from '../../db/tables.js';
import type { FieldProblem } from '../../lib/problem.js';

export function toCountReturnSummary(row: typeof countReturns.$inferSelect) {
  return {
    id: row.id,
    service: row.serviceId,
    period: row.period,
    version: row.version,
    status: row.supersededAt ? ('superseded' as const) : ('current' as const),
    cellCount: row.cellCount,
    receivedAt: row.receivedAt.toISOString(),
    supersededAt: row.supersededAt ? row.supersededAt.toISOString() : null,
    warnings: row.warnings as FieldProblem[],
  };
}

export type CountReturnSummary = ReturnType<typeof toCountReturnSummary>;
