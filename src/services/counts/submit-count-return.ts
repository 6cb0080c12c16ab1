/**
 * Accepts a count return whole or not at all, as returns are (`services/returns/submit-return.ts`):
 * the service is registered and the key bound to it, every cell is valid, the period is open; the
 * new version supersedes the current one of the service and period; the submission and its audit
 * event commit together. Rejections are audited after the rollback, with the problem count only.
 */
import { and, eq, isNull, max, ne, sql } from 'drizzle-orm';
import { bulkInsert } from '../../db/bulk-insert.js';
import type { Database } from '../../db/connect.js';
import { countCells, countReturns, services } from '../../db/tables.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { assertPeriodOpen } from '../period-locks.js';
import { ProblemList } from '../returns/validate-return.js';
import { toCountReturnSummary, type CountReturnSummary } from './count-return-summary.js';
import { countCellWarnings, createCountCellChecker, periodProblems, type CountCellInput, type LocateCount } from './validate-count-return.js';

/** Only a service id shaped like one is named back in a problem. */
const SERVICE_SLUG = /^(?=.{2,64}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;
const INSERT_CHUNK = 1000;

/** A count return as it arrives, JSON or CSV, before validation. */
export interface IncomingCountReturn {
  format: 'json' | 'csv';
  service: string | undefined;
  period: string | undefined;
  /** Problems of the envelope (JSON), the query or the header (CSV), already located. */
  envelopeProblems: FieldProblem[];
  locateEnvelope: (field: 'service' | 'period') => Pick<FieldProblem, 'pointer' | 'parameter'>;
  locate: LocateCount;
  cells: ReadonlyArray<{ at: number; cell: unknown; problems?: FieldProblem[] }>;
}

export interface SubmitCountReturnParams {
  principal: Principal;
  incoming: IncomingCountReturn;
  dryRun: boolean;
  requestId?: string;
  /** Runs inside the submission's transaction with its summary, just before the commit (an Idempotency-Key's answer). */
  beforeCommit?: (tx: Database, summary: CountReturnSummary) => Promise<void>;
}

export interface CountDryRun {
  dryRun: true;
  service: string;
  period: string;
  cellCount: number;
  wouldBeVersion: number;
  warnings: FieldProblem[];
}

async function nextVersion(db: Pick<Database, 'select'>, service: string, period: string): Promise<number> {
  const [row] = await db
    .select({ latest: max(countReturns.version) })
    .from(countReturns)
    .where(and(eq(countReturns.serviceId, service), eq(countReturns.period, period)));
  return (row?.latest ?? 0) + 1;
}

function rejection(list: ProblemList): Error {
  const more = list.count > list.problems.length ? ` (the first ${list.problems.length} are listed)` : '';
  return problem(
    422,
    'validation',
    `the count return has ${list.count} problem${list.count === 1 ? '' : 's'}${more}; nothing was stored`,
    list.problems,
    list.count,
  );
}

export async function submitCountReturn(db: Database, params: SubmitCountReturnParams): Promise<CountReturnSummary | CountDryRun> {
  const { principal, incoming, dryRun } = params;
  // Authorisation comes before content: a provider learns nothing about another service's return.
  if (incoming.service !== undefined) assertServiceAccess(principal, incoming.service);

  const list = new ProblemList();
  list.add(incoming.envelopeProblems);
  if (incoming.service !== undefined) {
    const [registered] = await db.select({ id: services.id }).from(services).where(eq(services.id, incoming.service));
    if (!registered)
      list.add([
        {
          ...incoming.locateEnvelope('service'),
          code: 'unknown_service',
          detail: `${SERVICE_SLUG.test(incoming.service) ? `service ${incoming.service}` : 'the service named'} is not registered (an admin registers it with POST /v1/services)`,
        },
      ]);
  }
  const checker = createCountCellChecker(incoming.locate);
  const cells: CountCellInput[] = [];
  for (const { at, cell, problems = [] } of incoming.cells) {
    // A cell that could not be read (a forbidden character) is reported once, not again by the checker.
    const readAt = new Set(problems.map((p) => p.pointer));
    list.add([...problems, ...checker.check(cell, at).filter((p) => !readAt.has(p.pointer))]);
    cells.push(cell as CountCellInput);
  }
  if (list.count > 0) throw await audited(db, params, rejection(list), list.count);
  const warnings = countCellWarnings(
    incoming.cells.map(({ at, cell }) => ({ at, cell: cell as CountCellInput })),
    incoming.locate,
  );
  const service = incoming.service!;
  const period = incoming.period!;

  if (dryRun) {
    await assertPeriodOpen(db, period);
    return { dryRun: true, service, period, cellCount: cells.length, wouldBeVersion: await nextVersion(db, service, period), warnings };
  }

  return db.transaction(async (tx) => {
    // Serialises count submissions for one service and period (apart from returns' own lock), so racing uploads get N+1 and N+2.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`counts:${service}/${period}`}))`);
    await assertPeriodOpen(tx, period);
    const version = await nextVersion(tx, service, period);
    const [created] = await tx
      .insert(countReturns)
      .values({ serviceId: service, period, version, cellCount: cells.length, warnings, submittedBy: principal.keyId })
      .returning();
    const countReturnId = created!.id;
    for (let i = 0; i < cells.length; i += INSERT_CHUNK)
      await bulkInsert(
        tx,
        countCells,
        cells.slice(i, i + INSERT_CHUNK).map((cell, j) => ({
          countReturnId,
          position: i + j,
          measure: cell.measure,
          area: cell.area,
          value: cell.value,
          // Always present, so every row of a chunk names the column (bulkInsert takes the first row's keys).
          breakdown: cell.breakdown && Object.keys(cell.breakdown).length > 0 ? cell.breakdown : null,
        })),
      );
    await tx
      .update(countReturns)
      .set({ supersededAt: new Date() })
      .where(and(eq(countReturns.serviceId, service), eq(countReturns.period, period), isNull(countReturns.supersededAt), ne(countReturns.id, countReturnId)));
    await recordAuditEvent(tx, {
      action: 'count_return.submitted',
      principal,
      outcome: 'success',
      resourceType: 'count_return',
      resourceId: countReturnId,
      detail: { service, period, version, cellCount: cells.length, format: incoming.format },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
    const summary = toCountReturnSummary(created!);
    await params.beforeCommit?.(tx as unknown as Database, summary);
    return summary;
  });
}

/** Rejected submissions are audited too (who tried, how many problems), never what was sent. */
async function audited(db: Database, params: SubmitCountReturnParams, error: Error, problemCount: number): Promise<Error> {
  if (!params.dryRun)
    await recordAuditEvent(db, {
      action: 'count_return.rejected',
      principal: params.principal,
      outcome: 'failure',
      resourceType: 'count_return',
      detail: {
        service: params.incoming.service !== undefined && SERVICE_SLUG.test(params.incoming.service) ? params.incoming.service : null,
        period: params.incoming.period !== undefined && periodProblems(params.incoming.period, () => ({})).length === 0 ? params.incoming.period : null,
        problemCount,
        format: params.incoming.format,
      },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
  return error;
}
