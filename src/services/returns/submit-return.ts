/**
 * Accepts a quarterly return whole or not at all, whatever format it arrived in. Records are
 * checked and written one chunk at a time inside one transaction, so a return of any size is
 * stored in bounded memory; any problem, a crash or a lost connection rolls the whole return back.
 */
import { and, eq, isNull, max, ne, sql } from 'drizzle-orm';
import { copyInsert } from '../../db/copy-insert.js';
import { ensureRecordPartition } from '../../db/record-partitions.js';
import type { Database } from '../../db/connect.js';
import { records, returns, services } from '../../db/tables.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { enqueueLinkage } from '../linkage/linkage-queue.js';
import { assertPeriodOpen } from '../period-locks.js';
import { describeCrosswalkUse } from './csv-records.js';
import { storePerpetratorKeys, type PerpetratorKeyEntry } from '../linkage/perpetrator-keys.js';
import { perpetratorTokensOf, recordToRow, type DeriveTokens, type NewRecordRow, type RecordInput } from './record-rows.js';
import { toReturnSummary } from './read-returns.js';
import { createModuleCounter, type ModuleCounter } from './module-warnings.js';
import { carryOverRecords, carryOverUpdates, carryOverWarning, checkUpdates, currentVersionOf, type IncomingUpdate } from './record-updates.js';
import { rebuildReferralStates } from './referral-states.js';
import { projectAcceptedReturn } from '../analytics/analytic-projection.js';
import { createRecordChecker, ProblemList, type Locate } from './validate-return.js';

/** Rows per COPY (or jsonb INSERT on PGlite): memory stays bounded whatever the size of the return. */
const INSERT_CHUNK = 1000;
const ANALYZE_AFTER_ROWS = 5000;
/** Only a service id shaped like one is named back in a problem. */
const SERVICE_SLUG = /^(?=.{2,64}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface IncomingRecord {
  /** Its position, as `locate` understands it (index in a JSON return, row of a CSV file). */
  at: number;
  record: unknown;
  /** Problems found before validation (a CSV cell that is not a number). */
  problems?: FieldProblem[];
  /** Cells translated through a published crosswalk. */
  crosswalked?: number;
}

/** A return as it arrives, before validation: JSON and CSV both become one of these. */
export interface IncomingReturn {
  format: 'json' | 'csv';
  service: string | undefined;
  period: string | undefined;
  /** The dataset version the records are validated against: the one the return declared, else the latest. */
  datasetVersion: string;
  /** Problems with the envelope (JSON) or the query (CSV), already located. */
  envelopeProblems: FieldProblem[];
  /** Where the service and period were given: `/service` in JSON, the `service` query parameter for CSV. */
  locateEnvelope: (field: 'service' | 'period') => Pick<FieldProblem, 'pointer' | 'parameter'>;
  locate: Locate;
  records: AsyncIterable<IncomingRecord> | Iterable<IncomingRecord>;
  /** Updates of referrals of earlier quarters (dataset 1.1.0 on), read after the records and located with `locateUpdate`. */
  updates?: AsyncIterable<IncomingUpdate> | Iterable<IncomingUpdate>;
  locateUpdate?: Locate;
  /**
   * CSV only, as a CSV file carries records or updates but not both: what the new version keeps of
   * the current one (an updates CSV keeps its records, a records CSV its updates).
   */
  carryOver?: 'records' | 'updates';
}

export interface SubmitReturnParams {
  principal: Principal;
  incoming: IncomingReturn;
  dryRun: boolean;
  deriveTokens: DeriveTokens;
  requestId?: string;
  /** Called after each chunk of records, for job progress. */
  onProgress?: (recordsRead: number) => void;
  /**
   * Runs inside the return's transaction, with its summary, just before the commit: what it writes
   * (an Idempotency-Key's answer, a job's result) commits with the return or not at all.
   */
  beforeCommit?: (tx: Database, summary: ReturnSummary) => Promise<void>;
}

export type ReturnSummary = ReturnType<typeof toReturnSummary>;

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

async function nextVersion(db: Pick<Database, 'select'>, service: string, period: string): Promise<number> {
  const [row] = await db
    .select({ latest: max(returns.version) })
    .from(returns)
    .where(and(eq(returns.serviceId, service), eq(returns.period, period)));
  return (row?.latest ?? 0) + 1;
}

function rejection(list: ProblemList): Error {
  const more = list.count > list.problems.length ? ` (the first ${list.problems.length} are listed)` : '';
  return problem(422, 'validation', `the return has ${list.count} problem${list.count === 1 ? '' : 's'}${more}; nothing was stored`, list.problems, list.count);
}

/**
 * Reads every record through the checker; while no problem has been found, hands valid rows to
 * `write` in chunks. After the first problem nothing more is written (the caller rolls back), but
 * reading goes on so every problem is reported.
 */
async function checkRecords(
  incoming: IncomingReturn,
  knownServices: ReadonlySet<string>,
  list: ProblemList,
  deriveTokens: DeriveTokens,
  write: ((rows: NewRecordRow[], perpetratorKeys: PerpetratorKeyEntry[]) => Promise<void>) | null,
  onProgress?: (recordsRead: number) => void,
  modules?: ModuleCounter,
) {
  const checker = createRecordChecker(incoming.period ?? '', incoming.locate, incoming.datasetVersion);
  let pending: NewRecordRow[] = [];
  let pendingKeys: PerpetratorKeyEntry[] = [];
  // One chunk is written while the next is read and checked: the database and this process work at once.
  let writing: Promise<void> | null = null;
  const send = async (rows: NewRecordRow[], keys: PerpetratorKeyEntry[]) => {
    await writing;
    writing = write!(rows, keys);
    // Handled here, thrown at the next await: a failed write must not be an unhandled rejection meanwhile.
    writing.catch(() => undefined);
  };
  let count = 0;
  let crosswalked = 0;
  for await (const { at, record, problems = [], crosswalked: mapped = 0 } of incoming.records) {
    const convertedAt = new Set(problems.map((p) => p.pointer));
    const found = [...problems, ...checker.check(record, at).filter((p) => !convertedAt.has(p.pointer))];
    const onward = typeof record === 'object' && record !== null ? (record as { onwardReferrals?: unknown }).onwardReferrals : undefined;
    if (Array.isArray(onward))
      onward.forEach((o: { service?: unknown }, j) => {
        if (typeof o?.service === 'string' && !knownServices.has(o.service))
          found.push({
            pointer: incoming.locate(at, `/onwardReferrals/${j}/service`),
            code: 'unknown_service',
            // A cell of the record: never quoted back.
            detail: 'no service with this id is registered; omit service and give only serviceType',
          });
      });
    list.add(found);
    modules?.count(record);
    crosswalked += mapped;
    if (write && list.count === 0) {
      // Completed in place (its return's id is set as it is written): a row of 80 columns is not copied per record.
      const row = recordToRow(record as RecordInput, deriveTokens) as NewRecordRow;
      row.position = count;
      pending.push(row);
      for (const key of perpetratorTokensOf(record as RecordInput, deriveTokens)) pendingKeys.push({ recordPosition: count, ...key });
      if (pending.length === INSERT_CHUNK) {
        await send(pending, pendingKeys);
        pending = [];
        pendingKeys = [];
      }
    }
    count++;
    if (onProgress && count % INSERT_CHUNK === 0) onProgress(count);
  }
  list.add(checker.finish());
  if (write && list.count === 0 && pending.length > 0) await send(pending, pendingKeys);
  await writing;
  onProgress?.(count);
  const warnings = list.count === 0 ? checker.warnings() : [];
  if (crosswalked > 0) warnings.push(describeCrosswalkUse(crosswalked, incoming.locate));
  if (list.count === 0 && modules) warnings.push(...modules.warnings(incoming.locate));
  return { count, warnings };
}

export async function submitReturn(db: Database, params: SubmitReturnParams) {
  const { principal, incoming, dryRun, deriveTokens } = params;
  // Authorisation comes before content: a provider learns nothing about another service's return.
  if (incoming.service !== undefined) assertServiceAccess(principal, incoming.service);

  const list = new ProblemList();
  list.add(incoming.envelopeProblems);
  const serviceRows = await db.select({ id: services.id, serviceType: services.serviceType }).from(services);
  const knownServices = new Set(serviceRows.map((s) => s.id));
  const modules = createModuleCounter(serviceRows.find((s) => s.id === incoming.service)?.serviceType);
  const updateParams = (returnId: string | null) => ({
    service: incoming.service ?? '',
    period: incoming.period ?? '',
    datasetVersion: incoming.datasetVersion,
    locate: incoming.locateUpdate ?? incoming.locate,
    list,
    returnId,
  });
  if (incoming.service !== undefined && !knownServices.has(incoming.service))
    list.add([
      {
        ...incoming.locateEnvelope('service'),
        code: 'unknown_service',
        detail: `${SERVICE_SLUG.test(incoming.service) ? `service ${incoming.service}` : 'the service named'} is not registered (an admin registers it with POST /v1/services)`,
      },
    ]);
  const service = incoming.service!;
  const period = incoming.period!;

  if (dryRun || list.count > 0) {
    const { count, warnings } = await checkRecords(incoming, knownServices, list, deriveTokens, null, params.onProgress, modules);
    const updateCount = incoming.updates ? await checkUpdates(db, updateParams(null), incoming.updates) : 0;
    if (list.count > 0) throw await audited(db, params, rejection(list), list.count);
    await assertPeriodOpen(db, period);
    return {
      dryRun: true as const,
      service,
      period,
      recordCount: count,
      ...(updateCount > 0 ? { updateCount } : {}),
      wouldBeVersion: await nextVersion(db, service, period),
      warnings,
    };
  }

  // Before the transaction: making a year's partition locks `records`, which must not last an ingest.
  await ensureRecordPartition(db, period);
  let stored;
  try {
    stored = await db.transaction(async (tx: Tx) => {
      // Serialises submissions for one service and period, so two racing uploads get versions N+1 and N+2.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${service}/${period}`}))`);
      await assertPeriodOpen(tx, period);
      const version = await nextVersion(tx, service, period);
      // The new version is written first (invisible until commit) so its records can reference it.
      const [created] = await tx
        .insert(returns)
        .values({ serviceId: service, period, version, datasetVersion: incoming.datasetVersion, recordCount: 0, submittedBy: principal.keyId })
        .returning();
      const returnId = created!.id;
      const { count, warnings } = await checkRecords(
        incoming,
        knownServices,
        list,
        deriveTokens,
        async (rows, perpetratorKeys) => {
          for (const row of rows) Object.assign(row, { returnId, period });
          await copyInsert(tx, records, rows);
          await storePerpetratorKeys(tx, returnId, perpetratorKeys);
        },
        params.onProgress,
        modules,
      );
      let updateCount = incoming.updates ? await checkUpdates(tx, updateParams(returnId), incoming.updates) : 0;
      if (list.count > 0) throw rejection(list);
      // A CSV file carries records or updates: the other part of the quarter's return is the current version's, copied over.
      let carriedRecords = 0;
      let carriedUpdates = 0;
      const current = incoming.carryOver ? await currentVersionOf(tx, service, period, returnId) : null;
      if (current && incoming.carryOver === 'records') carriedRecords = await carryOverRecords(tx, current.id, returnId);
      if (current && incoming.carryOver === 'updates') carriedUpdates = await carryOverUpdates(tx, current.id, returnId);
      if (current && carriedRecords + carriedUpdates > 0)
        warnings.push(carryOverWarning(incoming.carryOver!, carriedRecords + carriedUpdates, current.version));
      updateCount += carriedUpdates;
      const superseded = await tx
        .update(returns)
        .set({ supersededAt: new Date() })
        .where(and(eq(returns.serviceId, service), eq(returns.period, period), isNull(returns.supersededAt), ne(returns.id, returnId)))
        .returning({ id: returns.id });
      // Any accepted return can change a referral's state: its own updates, or new record ids for updates of later quarters.
      await rebuildReferralStates(tx, service);
      // In the same transaction: analytics read the projection, so it changes when the return does.
      await projectAcceptedReturn(tx, { returnId, service, period });
      const [final] = await tx
        .update(returns)
        .set({ recordCount: count + carriedRecords, warnings })
        .where(eq(returns.id, returnId))
        .returning();
      await recordAuditEvent(tx, {
        action: 'return.submitted',
        principal,
        outcome: 'success',
        resourceType: 'return',
        resourceId: returnId,
        detail: { service, period, version, recordCount: count + carriedRecords, ...(updateCount > 0 ? { updateCount } : {}), format: incoming.format },
        ...(params.requestId ? { requestId: params.requestId } : {}),
      });
      // Persons are brought current after the commit, by whichever instance's worker claims the job first.
      const linkageJobId = await enqueueLinkage(tx, { returnId, supersededReturnId: superseded[0]?.id ?? null, service, period });
      await params.beforeCommit?.(tx as unknown as Database, toReturnSummary(final!, updateCount));
      return { created: final!, supersededId: superseded[0]?.id ?? null, updateCount, linkageJobId };
    });
  } catch (error) {
    throw list.count > 0 ? await audited(db, params, error as Error, list.count) : error;
  }
  // Planner statistics after a bulk load: where autovacuum is slow or off, analytic queries would
  // otherwise plan against row counts from before the return.
  // The return is committed by now, so a failure here (a lost connection) must not turn its 201 into an error.
  if (stored.created.recordCount >= ANALYZE_AFTER_ROWS) await db.execute(sql`analyze records, analytic_records`).catch(() => undefined);
  return { summary: toReturnSummary(stored.created, stored.updateCount), linkageJobId: stored.linkageJobId };
}

/** Rejected submissions are audited too (who tried, how many problems), after the rollback. */
async function audited(db: Database, params: SubmitReturnParams, error: Error, problemCount: number): Promise<Error> {
  if (!params.dryRun)
    await recordAuditEvent(db, {
      action: 'return.rejected',
      principal: params.principal,
      outcome: 'failure',
      resourceType: 'return',
      detail: { service: params.incoming.service ?? null, period: params.incoming.period ?? null, problemCount, format: params.incoming.format },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
  return error;
}
