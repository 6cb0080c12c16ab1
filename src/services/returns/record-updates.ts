/**
 * A return's `updates` (contract 1.1 sections 3 and 8): later events about referrals the same
 * service received in earlier quarters. Each update is checked against its JSON Schema (derived from
 * the field tree: the record's fields for those groups, all optional), then, a chunk at a time,
 * against the database: the referral must be in the current version of that service's
 * `referralPeriod` return, and the referral's state once the update is applied (its record, then the
 * updates of earlier quarters' current returns, then this one, field by field) must still be a valid
 * record for those groups. Valid updates are stored in `record_updates` in the return's transaction.
 * Problems never quote a referralId; only dates the update itself sent are echoed, as the record
 * checks echo dates.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { asc, count, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import { bulkInsert } from '../../db/bulk-insert.js';
import type { Database } from '../../db/connect.js';
import { perpetratorKeys, recordUpdates, records, returns } from '../../db/tables.js';
import { isDateInQuarter, parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import { excerptOf, problemsFromAjv, type FieldProblem } from '../../lib/problem.js';
import { datasetVersionDefinition } from '../../schema/dataset/index.js';
import { buildStateJsonSchema, buildUpdateJsonSchema, UPDATE_EVENT_DATES, updateFieldTree, updatableGroups } from '../../schema/dataset/update-schema.js';
import { compareVersions } from '../../schema/dataset/versions.js';
import { rowToRecord, type RecordRow } from './record-rows.js';
import { fieldAtPointer, type Locate, type ProblemList } from './validate-return.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** Updates per database round trip: memory stays bounded whatever the number of updates. */
const UPDATE_CHUNK = 1000;

export interface IncomingUpdate {
  /** Its position, as `locateUpdate` understands it (index in `updates`, row of a CSV file). */
  at: number;
  update: unknown;
  /** Problems found before validation (a CSV cell that is not a number). */
  problems?: FieldProblem[];
}

type Json = Record<string, unknown>;

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
addFormats(ajv);
const validators = new Map<string, { update: ValidateFunction; state: ValidateFunction; tree: ReturnType<typeof updateFieldTree> }>();

/** Whether a dataset version has updates (1.1.0 and later). */
export function versionHasUpdates(version: string): boolean {
  return compareVersions(version, '1.1.0') >= 0;
}

function validatorsOf(version: string) {
  let found = validators.get(version);
  if (!found) {
    const recordTree = datasetVersionDefinition(version)!.fields;
    found = { update: ajv.compile(buildUpdateJsonSchema(recordTree)), state: ajv.compile(buildStateJsonSchema(recordTree)), tree: updateFieldTree(recordTree) };
    validators.set(version, found);
  }
  return found;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Says what a field takes in words a provider can act on; never the value. */
function explain(problem: FieldProblem, tree: ReturnType<typeof updateFieldTree>): FieldProblem {
  const field = fieldAtPointer(problem.pointer ?? '', tree)?.field;
  if (!field) return problem;
  if (problem.code === 'invalid_format' && field.type === 'date') return { ...problem, detail: 'must be a date as YYYY-MM-DD, e.g. 2023-05-31' };
  if (problem.code === 'invalid_format' && field.patternText) return { ...problem, detail: field.patternText };
  if (problem.code === 'invalid_format' && field.name === 'referralId')
    return { ...problem, detail: 'may hold only letters, digits and . _ : / -, starting with a letter or digit' };
  if (problem.code === 'wrong_type' && field.type === 'boolean')
    return { ...problem, detail: `must be true or false${field.nullable ? ', or null when not known' : ''}` };
  if (problem.code === 'wrong_type' && field.type === 'date') return { ...problem, detail: 'must be a date as YYYY-MM-DD, e.g. 2023-05-31' };
  if (problem.code === 'wrong_type' && field.type === 'integer')
    return { ...problem, detail: `must be a whole number${field.nullable ? ', or null when not known' : ''}` };
  return problem;
}

function dateEcho(value: string, say: (excerpt: string) => string): Pick<FieldProblem, 'valueEcho'> {
  const excerpt = excerptOf(value);
  return excerpt ? { valueEcho: say(excerpt) } : {};
}

function valueAt(node: unknown, path: readonly string[]): unknown {
  let value = node;
  for (const part of path) value = isObject(value) ? value[part] : undefined;
  return value;
}

/** The referral's updatable groups after a patch: each field the patch gives replaces the state's, null included. */
export function applyPatch(state: Json, patch: Json): Json {
  const out: Json = { ...state };
  for (const group of updatableGroups) {
    if (!(group.name in patch)) continue;
    const value = patch[group.name];
    out[group.name] = group.type === 'object' && isObject(value) ? { ...(isObject(state[group.name]) ? (state[group.name] as Json) : {}), ...value } : value;
  }
  return out;
}

/** The groups of an update: what is stored as its patch. */
function patchOf(update: Json): Json {
  return Object.fromEntries(updatableGroups.filter((g) => g.name in update).map((g) => [g.name, update[g.name]]));
}

function groupsOf(record: Json): Json {
  return Object.fromEntries(updatableGroups.filter((g) => record[g.name] !== undefined).map((g) => [g.name, record[g.name]]));
}

interface Pending {
  at: number;
  position: number;
  update: Json;
}

export interface CheckUpdatesParams {
  service: string;
  period: string;
  datasetVersion: string;
  locate: Locate;
  list: ProblemList;
  /** Where valid updates are stored; null for a dry run or a return already refused (nothing is written). */
  returnId: string | null;
}

/**
 * The checks an update needs no database for: its schema (types, codes, the groups an update may
 * carry), an earlier referral period, one update per referral, and event dates inside the return's
 * quarter. The server runs them before looking the referral up; `vawg validate` runs them offline.
 */
export function createUpdateChecker(params: Pick<CheckUpdatesParams, 'period' | 'datasetVersion' | 'locate'>) {
  const { locate, period } = params;
  const quarter = parseQuarter(period);
  const { update: validateUpdate, tree } = validatorsOf(params.datasetVersion);
  const firstUse = new Map<string, number>();

  /** The rules one update states on its own: an earlier referral period, unique referrals, event dates in this quarter. */
  function ownProblems(update: Json, at: number): FieldProblem[] {
    const found: FieldProblem[] = [];
    const { referralId, referralPeriod } = update;
    // Shaped like a quarter (the schema checks that) but not one: 2022-24-Q1.
    if (typeof referralPeriod === 'string' && new RegExp(QUARTER_PATTERN).test(referralPeriod) && !parseQuarter(referralPeriod))
      found.push({ pointer: locate(at, '/referralPeriod'), code: 'invalid_format', detail: 'must be a UK financial quarter such as 2022-23-Q1' });
    if (typeof referralPeriod === 'string' && parseQuarter(referralPeriod) && quarter && !(referralPeriod < period))
      found.push({
        pointer: locate(at, '/referralPeriod'),
        code: 'not_earlier_period',
        detail: `must be a quarter before ${period}, this return's period: an update is about a referral received in an earlier quarter (a referral of this quarter is sent as a record)`,
      });
    if (typeof referralId === 'string' && typeof referralPeriod === 'string') {
      const key = `${referralPeriod}\u0000${referralId}`;
      const first = firstUse.get(key);
      if (first === undefined) firstUse.set(key, at);
      else
        found.push({
          pointer: locate(at, '/referralId'),
          code: 'duplicate',
          // The position of the first, never the value.
          detail: `an update of the same referral (referralId and referralPeriod) is also at ${locate(first, '/referralId')}; a return carries one update per referral`,
        });
    }
    for (const dotted of UPDATE_EVENT_DATES) {
      const path = dotted.split('.');
      const value = valueAt(update, path);
      if (quarter && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !isDateInQuarter(value, quarter))
        found.push({
          pointer: locate(at, `/${path.join('/')}`),
          code: 'outside_period',
          detail: `an event an update reports must fall inside this return's quarter, ${period} (${quarter.start} to ${quarter.end})`,
          ...dateEcho(value, (excerpt) => `you sent ${excerpt}`),
        });
    }
    return found;
  }

  return {
    /** Every problem of one update, located with `locate`; `problems`: those found before (a CSV cell), whose pointers are not repeated. */
    check(update: unknown, at: number, problems: readonly FieldProblem[] = []): FieldProblem[] {
      const convertedAt = new Set(problems.map((p) => p.pointer));
      const found: FieldProblem[] = [...problems];
      if (!validateUpdate(update))
        for (const p of problemsFromAjv(validateUpdate.errors ?? [])) {
          const pointer = locate(at, p.pointer === '/' ? '' : p.pointer!);
          if (!convertedAt.has(pointer)) found.push({ ...explain(p, tree), pointer });
        }
      if (isObject(update)) found.push(...ownProblems(update, at));
      return found;
    },
  };
}

/**
 * Checks every update (all problems collected into `list`) and, while the return has no problem,
 * stores them. Returns how many updates the return carries.
 */
export async function checkUpdates(
  db: Pick<Database, 'select' | 'execute'>,
  params: CheckUpdatesParams,
  updates: AsyncIterable<IncomingUpdate> | Iterable<IncomingUpdate>,
): Promise<number> {
  const checker = createUpdateChecker(params);
  let pending: Pending[] = [];
  let position = 0;
  for await (const { at, update, problems = [] } of updates) {
    const found = checker.check(update, at, problems);
    params.list.add(found);
    if (found.length === 0) pending.push({ at, position, update: update as Json });
    position++;
    if (pending.length === UPDATE_CHUNK) {
      await checkAgainstDatabase(db, params, pending);
      pending = [];
    }
  }
  if (pending.length > 0) await checkAgainstDatabase(db, params, pending);
  return position;
}

/**
 * The referrals of a chunk of updates, each as its record in the current version of its period's
 * return and the updates of earlier quarters' current returns; then each update applied and checked.
 */
async function checkAgainstDatabase(db: Pick<Database, 'select' | 'execute'>, params: CheckUpdatesParams, chunk: readonly Pending[]): Promise<void> {
  const { service, period, locate, list } = params;
  const keys = JSON.stringify(chunk.map(({ update }) => ({ referral_id: update.referralId, referral_period: update.referralPeriod })));
  const wanted = sql`(select x.referral_period, x.referral_id from jsonb_to_recordset(${keys}::jsonb) as x(referral_id text, referral_period text))`;
  // Driven from the chunk's keys, so each referral is found through the (return, referralId) index.
  const located = await rowsOf<{ id: number }>(
    db,
    sql`select r.id from jsonb_to_recordset(${keys}::jsonb) as x(referral_id text, referral_period text)
      join returns ret on ret.service_id = ${service} and ret.period = x.referral_period and ret.superseded_at is null
      join records r on r.return_id = ret.id and r.referral_id = x.referral_id`,
  );
  const found =
    located.length === 0
      ? []
      : await db
          .select({ record: records, period: returns.period })
          .from(records)
          .innerJoin(returns, eq(returns.id, records.returnId))
          .where(
            inArray(
              records.id,
              located.map((row) => Number(row.id)),
            ),
          );
  const byKey = new Map<string, RecordRow>(found.map(({ record, period: p }) => [`${p}\u0000${record.referralId}`, record]));
  const earlier = await rowsOf<{ referral_id: string; referral_period: string; patch: Json }>(
    db,
    sql`select ru.referral_id, ru.referral_period, ru.patch
    from record_updates ru
    join returns ur on ur.id = ru.return_id and ur.service_id = ${service} and ur.superseded_at is null and ur.period < ${period}
    where (ru.referral_period, ru.referral_id) in ${wanted}
    order by ur.period`,
  );
  const earlierPatches = new Map<string, Json[]>();
  for (const row of earlier) {
    const key = `${row.referral_period}\u0000${row.referral_id}`;
    earlierPatches.set(key, [...(earlierPatches.get(key) ?? []), row.patch]);
  }
  const { state: validateState } = validatorsOf(params.datasetVersion);
  const valid: Pending[] = [];
  for (const item of chunk) {
    const { at, update } = item;
    const key = `${String(update.referralPeriod)}\u0000${String(update.referralId)}`;
    const record = byKey.get(key);
    if (!record) {
      list.add([
        {
          pointer: locate(at, '/referralId'),
          code: 'unknown_referral',
          // Never the referralId itself.
          detail: `no referral with this referralId is in the current version of this service's ${String(update.referralPeriod)} return; an update is about a referral the service has already returned`,
        },
      ]);
      continue;
    }
    const before = (earlierPatches.get(key) ?? []).reduce(applyPatch, groupsOf(rowToRecord(record)));
    const state = applyPatch(before, patchOf(update));
    const problems: FieldProblem[] = [];
    if (!validateState(state))
      for (const p of problemsFromAjv(validateState.errors ?? []))
        problems.push({
          ...p,
          pointer: locate(at, p.pointer === '/' ? '' : p.pointer!),
          detail: `${p.detail} in the referral's state once this update is applied (its record, then the updates of earlier quarters, then this one): an update that adds a group gives the fields the group requires`,
        });
    const closure = state.closure;
    if (isObject(closure) && typeof closure.closedDate === 'string' && closure.closedDate < record.referralDate)
      problems.push({
        pointer: locate(at, '/closure/closedDate'),
        code: 'before_referral_date',
        detail: "must be on or after the referral's referralDate",
        ...(typeof valueAt(update, ['closure', 'closedDate']) === 'string' ? dateEcho(closure.closedDate, (excerpt) => `you sent ${excerpt}`) : {}),
      });
    const refuge = state.refuge;
    if (isObject(refuge) && typeof refuge.departureDate === 'string' && typeof refuge.admissionDate === 'string' && refuge.departureDate < refuge.admissionDate)
      problems.push({
        pointer: locate(at, '/refuge/departureDate'),
        code: 'before_admission_date',
        detail: "must be on or after the referral's refuge.admissionDate",
        ...(typeof valueAt(update, ['refuge', 'departureDate']) === 'string' ? dateEcho(refuge.departureDate, (excerpt) => `you sent ${excerpt}`) : {}),
      });
    list.add(problems);
    if (problems.length === 0) valid.push(item);
  }
  if (params.returnId && list.count === 0)
    await bulkInsert(
      db,
      recordUpdates,
      valid.map(({ position, update }) => ({
        returnId: params.returnId!,
        position,
        referralId: update.referralId as string,
        referralPeriod: update.referralPeriod as string,
        patch: patchOf(update),
      })),
    );
}

/** The rows of a query, on node-postgres and PGlite alike. */
async function rowsOf<T>(db: Pick<Database, 'execute'>, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

/** How many rows an `insert … returning 1` wrote (PGlite and node-postgres report counts differently; both give rows). */
async function insertedCount(db: Pick<Database, 'execute'>, insert: SQL): Promise<number> {
  const [row] = await rowsOf<{ n: number }>(db, sql`with inserted as (${insert}) select count(*)::int as n from inserted`);
  return row?.n ?? 0;
}

/** The current version of a service and period other than `except` (the version being written), if any. */
export async function currentVersionOf(
  db: Pick<Database, 'execute'>,
  service: string,
  period: string,
  except: string,
): Promise<{ id: string; version: number } | null> {
  const [row] = await rowsOf<{ id: string; version: number }>(
    db,
    sql`select id, version from returns where service_id = ${service} and period = ${period} and superseded_at is null and id <> ${except} limit 1`,
  );
  return row ?? null;
}

/** Says what a CSV return kept of the version it supersedes, so nothing is carried over unseen. */
export function carryOverWarning(kept: 'records' | 'updates', count: number, version: number): FieldProblem {
  return {
    parameter: 'kind',
    code: 'carried_over',
    detail:
      kept === 'records'
        ? `the ${count} record${count === 1 ? '' : 's'} of version ${version} ${count === 1 ? 'was' : 'were'} kept unchanged: an updates CSV (kind=updates) replaces only the updates; send the records CSV to replace them`
        : `the ${count} update${count === 1 ? '' : 's'} of version ${version} ${count === 1 ? 'was' : 'were'} kept: a records CSV replaces only the records; send kind=updates to replace them`,
  };
}

const recordCopyColumns = Object.keys(getTableColumns(records))
  .filter((key) => !['id', 'returnId', 'personId'].includes(key))
  .map(toSnakeCase);
const keyCopyColumns = Object.keys(getTableColumns(perpetratorKeys))
  .filter((key) => !['id', 'recordId', 'personId'].includes(key))
  .map(toSnakeCase);
const updateCopyColumns = Object.keys(getTableColumns(recordUpdates))
  .filter((key) => !['id', 'returnId'].includes(key))
  .map(toSnakeCase);

/**
 * Copies the records of one version into another, as an updates CSV carries them over: every
 * column (linkage tokens and record keys included, so the cell key method gives the same values)
 * but the person, which linkage assigns again, and the perpetrators' linkage keys. Returns how many.
 */
export async function carryOverRecords(db: Pick<Database, 'execute'>, from: string, to: string): Promise<number> {
  const columns = sql.raw(recordCopyColumns.join(', '));
  const copied = await insertedCount(
    db,
    sql`insert into records (return_id, ${columns}) select ${to}, ${columns} from records where return_id = ${from} returning 1`,
  );
  const keys = sql.raw(keyCopyColumns.join(', '));
  const keysFrom = sql.raw(keyCopyColumns.map((c) => `pk.${c}`).join(', '));
  await db.execute(sql`insert into perpetrator_keys (record_id, ${keys})
    select nr.id, ${keysFrom} from perpetrator_keys pk
    join records o on o.id = pk.record_id and o.return_id = ${from}
    join records nr on nr.return_id = ${to} and nr.position = o.position`);
  return copied;
}

/** Copies the updates of one version into another, as a records CSV carries them over. Returns how many. */
export async function carryOverUpdates(db: Pick<Database, 'execute'>, from: string, to: string): Promise<number> {
  const columns = sql.raw(updateCopyColumns.join(', '));
  return insertedCount(
    db,
    sql`insert into record_updates (return_id, ${columns}) select ${to}, ${columns} from record_updates where return_id = ${from} returning 1`,
  );
}

/** How many updates each return carries. */
export async function updateCounts(db: Pick<Database, 'select'>, returnIds: readonly string[]): Promise<Map<string, number>> {
  if (returnIds.length === 0) return new Map();
  const rows = await db
    .select({ returnId: recordUpdates.returnId, n: count() })
    .from(recordUpdates)
    .where(inArray(recordUpdates.returnId, [...returnIds]))
    .groupBy(recordUpdates.returnId);
  return new Map(rows.map((r) => [r.returnId, r.n]));
}

/** A return's updates, in order, as they were sent (referralId, referralPeriod and the fields given). */
export async function updatesOfReturn(db: Pick<Database, 'select'>, returnId: string): Promise<Json[]> {
  const rows = await db.select().from(recordUpdates).where(eq(recordUpdates.returnId, returnId)).orderBy(asc(recordUpdates.position));
  return rows.map((row) => ({ referralId: row.referralId, referralPeriod: row.referralPeriod, ...(row.patch as Json) }));
}
