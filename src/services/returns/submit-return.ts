/**
 * Accepts a quarterly return whole or not at all, whatever format it arrived in. Records are
 * checked and written one chunk at a time inside one transaction, so a return of any size is
 * stored in bounded memory; any problem, a crash or a lost connection rolls the whole return back.
 */
import { and, eq, isNull, max, ne, sql } from 'drizzle-orm';
import { copiesDirectly, copyInsert, sendCopy } from '../../db/copy-insert.js';
import { ensureRecordPartition } from '../../db/record-partitions.js';
import type { Database } from '../../db/connect.js';
import { records, returns, services } from '../../db/tables.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { enqueueLinkage } from '../linkage/linkage-queue.js';
import { assertPeriodOpen } from '../period-locks.js';
import { describeCrosswalkUse, type CsvSheet } from './csv-records.js';
import { storePerpetratorKeys } from '../linkage/perpetrator-keys.js';
import { checkChunk, locateOf, type ChunkContext, type ChunkItem, type ChunkResult, type ChunkRows, type ChunkTask } from './record-chunks.js';
import type { RecordPool } from './record-pool.js';
import type { DeriveTokens } from './record-rows.js';
import { toReturnSummary } from './read-returns.js';
import { createModuleCounter, type ModuleCounter } from './module-warnings.js';
import { carryOverRecords, carryOverUpdates, carryOverWarning, checkUpdates, currentVersionOf, type IncomingUpdate } from './record-updates.js';
import { rebuildReferralStates } from './referral-states.js';
import { projectAcceptedReturn } from '../analytics/analytic-projection.js';
import { datasetVersionDefinition } from '../../schema/dataset/index.js';
import { createRecordValidator, createReturnTally, ProblemList, type Locate } from './validate-return.js';

/** Rows per COPY (or jsonb INSERT on PGlite): memory stays bounded whatever the size of the return. */
const INSERT_CHUNK = 1000;
/** A return of fewer chunks than this is checked on the main thread: the hop to a worker would cost more than it saves. */
const POOL_FROM_CHUNKS = 2;
/** Only a service id shaped like one is named back in a problem. */
const SERVICE_SLUG = /^(?=.{2,64}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

export type IncomingRecord =
  | {
      /** Its position, as `locate` understands it (index in a JSON return, row of a CSV file). */
      at: number;
      record: unknown;
      /** Problems found before validation (a CSV cell that is not a number). */
      problems?: FieldProblem[];
      /** Cells translated through a published crosswalk. */
      crosswalked?: number;
    }
  | {
      /** A CSV row not yet converted (a worker thread may convert it): its spreadsheet row, its cells and the header. */
      at: number;
      cells: string[];
      sheet: CsvSheet;
    };

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
  /** Worker threads for the per-record work of a large return; without them it is all done here. */
  recordPool?: RecordPool | null | undefined;
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

/** Where a return's rows go: its transaction and the id of the version being written. */
interface RecordTarget {
  tx: Tx;
  returnId: string;
}

interface CheckOptions {
  deriveTokens: DeriveTokens;
  recordPool?: RecordPool | null | undefined;
  /** Null for a dry run, or a return already refused: nothing is written. */
  target: RecordTarget | null;
  onProgress?: ((recordsRead: number) => void) | undefined;
  modules?: ModuleCounter | undefined;
}

/**
 * Reads every record, a chunk at a time: each chunk's records are converted (CSV), checked and
 * made into rows (checkChunk) here or, from the second chunk of a large return, in the worker pool,
 * several chunks at once; their findings are then taken in order here, where the checks across
 * records are. While no problem has been found, each chunk's rows are written as the next chunk is
 * taken. After the first problem nothing more is written (the caller rolls back), but reading
 * goes on so every problem is reported.
 */
async function checkRecords(incoming: IncomingReturn, knownServices: ReadonlySet<string>, list: ProblemList, options: CheckOptions) {
  const { target, onProgress, modules } = options;
  const period = incoming.period ?? '';
  const tally = createReturnTally(period, incoming.locate, incoming.datasetVersion);
  const context: ChunkContext = {
    validate: createRecordValidator(period, incoming.locate, incoming.datasetVersion),
    recordTree: datasetVersionDefinition(incoming.datasetVersion)!.fields,
    deriveTokens: options.deriveTokens,
    locate: incoming.locate,
  };
  // CSV only: a CSV row crosses to a worker as its cells, cheaply; a JSON record is an object whose
  // copy to a thread costs about what checking it does (measured: JSON returns slower through the
  // pool, bench/README.md). A worker is told the format and locates as the format does: a return
  // located otherwise stays here.
  const pool = options.recordPool && incoming.format === 'csv' && incoming.locate === locateOf(incoming.format) ? options.recordPool : null;
  const copy = target !== null && copiesDirectly(target.tx);

  // One chunk is written while the next is taken: the database and this process work at once.
  let writing: Promise<void> | null = null;
  const send = async (rows: ChunkRows) => {
    await writing;
    const { tx, returnId } = target!;
    writing = (async () => {
      if (rows.copy) await sendCopy(tx, rows.copy);
      else await copyInsert(tx, records, rows.objects ?? []);
      await storePerpetratorKeys(tx, returnId, rows.perpetratorKeys);
    })();
    // Handled here, thrown at the next await: a failed write must not be an unhandled rejection meanwhile.
    writing.catch(() => undefined);
  };

  let count = 0;
  let crosswalked = 0;
  /** A chunk's findings, in the return's order: the checks across records, then its rows written while all is well. */
  const take = async (result: ChunkResult) => {
    for (const checked of result.checked) {
      const { at } = checked;
      const across = tally.add(checked.digest, at);
      const convertedAt = checked.converted ? new Set(checked.converted.map((p) => p.pointer)) : null;
      const found = [
        ...(checked.converted ?? []),
        ...(checked.schema ?? []),
        ...(convertedAt ? across.filter((p) => !convertedAt.has(p.pointer)) : across),
        ...(checked.rules ?? []),
      ];
      for (const [j, service] of checked.onwardServices ?? [])
        if (!knownServices.has(service))
          found.push({
            pointer: incoming.locate(at, `/onwardReferrals/${j}/service`),
            code: 'unknown_service',
            // A cell of the record: never quoted back.
            detail: 'no service with this id is registered; omit service and give only serviceType',
          });
      list.add(found);
      modules?.count(checked.modules ?? {});
      crosswalked += checked.crosswalked ?? 0;
    }
    count += result.checked.length;
    if (target && list.count === 0 && result.rows) await send(result.rows);
    if (onProgress && count % INSERT_CHUNK === 0) onProgress(count);
  };

  let header: string[] | undefined;
  let sheet: CsvSheet | undefined;
  const taskOf = (items: ChunkItem[], start: number): ChunkTask => ({
    format: incoming.format,
    period,
    datasetVersion: incoming.datasetVersion,
    ...(header ? { header } : {}),
    items,
    start,
    ...(target && list.count === 0 ? { rows: { returnId: target.returnId, copy } } : {}),
  });
  const here = (task: ChunkTask) => take(checkChunk(task, sheet ? { ...context, sheet } : context));

  // Chunks the pool is working on, oldest first; enough of them that no worker waits for the next.
  const running: Array<Promise<ChunkResult>> = [];
  const inFlight = pool ? pool.threads * 2 + 1 : 0;
  const toPool = async (task: ChunkTask) => {
    const result = pool!.run(task);
    result.catch(() => undefined);
    running.push(result);
    while (running.length >= inFlight) await take(await running.shift()!);
  };
  // Until a return is known to be large, its first chunks wait here.
  let waiting: ChunkTask[] | null = pool ? [] : null;
  const dispatch = async (task: ChunkTask) => {
    if (waiting === null) return pool ? toPool(task) : here(task);
    waiting.push(task);
    if (waiting.length < POOL_FROM_CHUNKS) return;
    const first = waiting;
    waiting = null;
    for (const chunk of first) await toPool(chunk);
  };

  let items: ChunkItem[] = [];
  let read = 0;
  for await (const item of incoming.records) {
    if ('cells' in item) {
      if (item.sheet !== sheet) {
        sheet = item.sheet;
        header = sheet.header;
      }
      items.push({ at: item.at, cells: item.cells });
    } else items.push(item);
    read++;
    if (items.length === INSERT_CHUNK) {
      const task = taskOf(items, read - items.length);
      items = [];
      await dispatch(task);
    }
  }
  // A last part-chunk does not make a return large: one of fewer than POOL_FROM_CHUNKS full chunks is checked here after all.
  if (items.length > 0) {
    const last = taskOf(items, read - items.length);
    if (waiting === null) await dispatch(last);
    else waiting.push(last);
  }
  if (waiting !== null) for (const task of waiting) await here(task);
  while (running.length > 0) await take(await running.shift()!);
  list.add(tally.finish());
  await writing;
  onProgress?.(count);
  const warnings = list.count === 0 ? tally.warnings() : [];
  if (crosswalked > 0) warnings.push(describeCrosswalkUse(crosswalked, incoming.locate));
  if (list.count === 0 && modules) warnings.push(...modules.warnings(incoming.locate));
  return { count, warnings };
}

/**
 * Serialises what makes or changes versions of one service and period: two racing uploads get
 * versions N+1 and N+2, and an erasure never races a new version copying the record it erases.
 */
export async function lockReturnVersions(tx: Pick<Database, 'execute'>, service: string, period: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${service}/${period}`}))`);
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
    const { count, warnings } = await checkRecords(incoming, knownServices, list, {
      deriveTokens,
      recordPool: params.recordPool,
      target: null,
      onProgress: params.onProgress,
      modules,
    });
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
      await lockReturnVersions(tx, service, period);
      await assertPeriodOpen(tx, period);
      const version = await nextVersion(tx, service, period);
      // The new version is written first (invisible until commit) so its records can reference it.
      const [created] = await tx
        .insert(returns)
        .values({ serviceId: service, period, version, datasetVersion: incoming.datasetVersion, recordCount: 0, submittedBy: principal.keyId })
        .returning();
      const returnId = created!.id;
      const { count, warnings } = await checkRecords(incoming, knownServices, list, {
        deriveTokens,
        recordPool: params.recordPool,
        target: { tx, returnId },
        onProgress: params.onProgress,
        modules,
      });
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
