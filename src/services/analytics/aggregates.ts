/**
 * Counts by dimensions over the current records in scope: one SQL query gives every cell, each
 * dimension's totals and the grand total (a query each only when onward-referral entries are
 * counted distinctly); the table is completed with zeros from the dimensions' domains; analysts
 * get it through disclosure control.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { readLinkageCurrency } from '../linkage/linkage-queue.js';
import { problem } from '../../lib/problem.js';
import { ageBandSets, type AgeBandSetId } from '../../schema/dataset/derived.js';
import type { Principal } from '../api-keys.js';
import { cellKeyOf, describePerturbation } from './cell-key.js';
import { applyDisclosureControl, describeDisclosureRule, perturbPublished, type CellInput, type PublishedValue } from './disclosure.js';
import {
  dimensionIds,
  dimensions,
  firstLateralRow,
  isPerOnwardReferral,
  isPerPerpetrator,
  lateralJoins,
  type Dimension,
  type DimensionContext,
} from './dimensions.js';
import {
  countDistinctBy,
  countDistinctGroupings,
  type DistinctCount,
  perpetratorAnchorJoin,
  perpetratorCellKeySql,
  perpetratorKeyJoin,
  perpetratorKeySql,
  personAnchorJoin,
  personCellKeySql,
  personKeySql,
} from './people.js';
import { populationShares } from './population.js';
import {
  currentRecordsIn,
  queryRows,
  readInOneSnapshot,
  resolveScope,
  scopeQueryOf,
  type RecordsInOptions,
  type ScopeQuery,
  type Scope,
  type ScopeQueryInput,
} from './scope.js';

export const MAX_DIMENSIONS = 4;
export const MAX_CELLS = 20_000;
const POPULATION_DIMENSIONS = new Set(['sex', 'ageBand', 'ethnicityGroup', 'minoritisedEthnicity']);

export interface AggregateParams extends ScopeQuery {
  measure: Measure;
  groupBy: string[];
  ageBands: AgeBandSetId;
  /** Exact figures (admins); otherwise disclosure control applies. */
  exact: boolean;
  threshold: number;
}

/** The validated query of `GET /v1/aggregates`, as the route hands it over. */
export interface AggregateQueryInput extends ScopeQueryInput {
  measure?: string | undefined;
  /** Comma-separated, or already a list. */
  groupBy?: string | readonly string[] | undefined;
  ageBands?: string | undefined;
}

export interface ReadAggregateParams {
  query: AggregateQueryInput;
  principal: Pick<Principal, 'role'>;
  threshold: number;
}

/**
 * `referrals` counts records; `people`, distinct victims (people.ts); `perpetrators`, distinct
 * perpetrator persons, one per entry of the records' `perpetrators` (dataset 1.1.0).
 */
export const MEASURES = ['referrals', 'people', 'perpetrators'] as const;
export type Measure = (typeof MEASURES)[number];

const UNITS: Record<Measure, string> = {
  referrals: 'referrals (records)',
  people: 'people (de-duplicated across the services in scope)',
  perpetrators:
    'perpetrators (distinct perpetrator persons across the services in scope, alleged in victims’ records or referred themselves, by their linkage)',
};

function isMeasure(text: string): text is Measure {
  return (MEASURES as readonly string[]).includes(text);
}

function isAgeBandSet(text: string): text is AgeBandSetId {
  return Object.hasOwn(ageBandSets, text);
}

/**
 * The aggregate's parameters from its validated query. The schema has checked `measure` and
 * `ageBands`; they are narrowed here rather than cast, so a schema that drifted fails loudly.
 */
export function parseAggregateQuery(query: AggregateQueryInput): Omit<AggregateParams, 'exact' | 'threshold'> {
  const measure = query.measure ?? 'referrals';
  const ageBands = query.ageBands ?? 'five_year';
  if (!isMeasure(measure)) {
    throw problem(400, 'badRequest', 'measure is not known', [
      { parameter: 'measure', code: 'not_in_code_list', detail: `must be among: ${MEASURES.join(', ')}` },
    ]);
  }
  if (!isAgeBandSet(ageBands)) {
    throw problem(400, 'badRequest', 'ageBands is not known', [
      { parameter: 'ageBands', code: 'not_in_code_list', detail: `must be among: ${Object.keys(ageBandSets).join(', ')}` },
    ]);
  }
  return { ...scopeQueryOf(query), measure, ageBands, groupBy: parseGroupBy(query.groupBy) };
}

/** The aggregate a principal may see for a query: admins get exact figures, everyone else the disclosure-controlled ones. */
export async function readAggregate(db: Database, { query, principal, threshold }: ReadAggregateParams) {
  return computeAggregate(db, { ...parseAggregateQuery(query), exact: principal.role === 'admin', threshold });
}

export function dimensionsHelp(): string {
  return dimensionIds.map((id) => `\`${id}\`${dimensions[id]!.multiValued ? ' (multi-valued)' : ''}`).join(', ');
}

export function parseGroupBy(text: string | readonly string[] | undefined): string[] {
  const entries = text === undefined ? [] : typeof text === 'string' ? [text] : text;
  const groupBy = entries.flatMap((entry) => (entry === '' ? [] : entry.split(',')));
  // Named by position, not echoed: problems never quote what a client sent.
  const unknown = groupBy.flatMap((d, i) => (dimensions[d] ? [] : [i + 1]));
  if (unknown.length > 0) {
    throw problem(400, 'badRequest', `groupBy entry ${unknown.join(', ')} is not a dimension`, [
      { parameter: 'groupBy', code: 'not_in_code_list', detail: `must be among: ${dimensionIds.join(', ')}` },
    ]);
  }
  if (new Set(groupBy).size !== groupBy.length)
    throw problem(400, 'badRequest', 'a dimension appears twice in groupBy', [{ parameter: 'groupBy', code: 'duplicate', detail: 'list each dimension once' }]);
  if (groupBy.length > MAX_DIMENSIONS)
    throw problem(400, 'badRequest', `at most ${MAX_DIMENSIONS} dimensions`, [
      { parameter: 'groupBy', code: 'too_many_items', detail: `at most ${MAX_DIMENSIONS} dimensions` },
    ]);
  return groupBy;
}

const keyOf = (codes: readonly string[]) => codes.join('\u0000');

function cartesian(domains: readonly string[][]): string[][] {
  return domains.reduce<string[][]>((rows, domain) => rows.flatMap((row) => domain.map((code) => [...row, code])), [[]]);
}

interface CountRow {
  n: number | string;
  /** The sum of the record (or person) keys counted, for the cell key. */
  k: number | string | null;
  [dimension: string]: unknown;
}

/** A count and its cell key. */
interface Count {
  n: number;
  k: number;
}

interface Counts {
  cells: Map<string, Count>;
  margins: Array<Map<string, Count>>;
  total: Count;
}

const NONE_COUNTED: Count = { n: 0, k: 0 };

/** Counts over disjoint record sets add, and so do their keys (modulo the key range). */
function add(a: Count, b: Count): Count {
  return { n: a.n + b.n, k: cellKeyOf(a.k + b.k) };
}

function columns(k: number): SQL[] {
  return Array.from({ length: k }, (_, i) => sql.raw(`d${i}`));
}

function codesOf(row: CountRow, k: number): string[] {
  return Array.from({ length: k }, (_, i) => String(row[`d${i}`]));
}

/**
 * Referral counts, with every margin and the total, from one `GROUP BY` of the cells. A list
 * dimension puts a record in once per value (values are unique within a record, so count(*) is
 * exact), so a margin or total taken across one must count each record once: each cell also
 * counts its rows that are their record's first of the laterals a margin leaves out, and the
 * margin is the sum of those counts. Each such row is in exactly one cell.
 */
async function countAdditive(db: Database, chosen: Dimension[], context: DimensionContext, recordsIn: RecordsInOptions): Promise<Counts> {
  const k = chosen.length;
  const all = chosen.map((_, i) => i);
  const laterals = [...new Set(chosen.flatMap((d) => (d.lateral ? [d.lateral] : [])))];
  const leftOut = (kept: number[]) => laterals.filter((l) => !kept.some((i) => chosen[i]!.lateral === l));
  const margins = k > 1 ? all.map((i) => [i]) : [];
  // The cells first (they leave nothing out); margins and the total alike share one count.
  const filters = [...new Map([all, ...margins, []].map((kept) => [leftOut(kept).join(','), leftOut(kept)])).values()];
  const filterOf = (kept: number[]) => filters.findIndex((f) => f.join(',') === leftOut(kept).join(','));
  const counted = filters.map((filter, j) => {
    const where = filter.length
      ? sql` filter (where ${sql.join(
          filter.map((l) => firstLateralRow(l)),
          sql` and `,
        )})`
      : sql``;
    return sql`count(*)${where} as ${sql.raw(`n${j}`)}, sum(r.record_key)${where} as ${sql.raw(`k${j}`)}`;
  });
  const selected = chosen.map((d, i) => sql`${d.expression(context)} as ${sql.raw(`d${i}`)}`);
  const groupBy = k ? sql`group by ${sql.join(columns(k), sql`, `)}` : sql``;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select ${sql.join([...selected, ...counted], sql`, `)} ${currentRecordsIn(context.scope, lateralJoins(chosen), recordsIn)} ${groupBy}`,
  );
  const countIn = (row: Record<string, unknown>, j: number): Count => ({ n: Number(row[`n${j}`]), k: cellKeyOf(row[`k${j}`] as CountRow['k']) });
  const cells = new Map(rows.map((row) => [keyOf(codesOf(row as CountRow, k)), countIn(row, 0)]));
  const marginCounts = margins.map(([i]) => {
    const sums = new Map<string, Count>();
    const j = filterOf([i!]);
    for (const row of rows) {
      const code = String(row[`d${i}`]);
      sums.set(code, add(sums.get(code) ?? NONE_COUNTED, countIn(row, j)));
    }
    return sums;
  });
  const j = filterOf([]);
  const total = rows.reduce((sum, row) => add(sum, countIn(row, j)), NONE_COUNTED);
  return { cells, margins: marginCounts, total };
}

/**
 * People (and records with perpetrator dimensions, where one record can repeat a value) are not
 * additive: cells, each margin and the total are separate distinct counts. They are independent, so
 * they run concurrently (PostgreSQL uses a connection each; PGlite runs them in turn).
 */
async function countDistinct(
  db: Database,
  chosen: Dimension[],
  context: DimensionContext,
  measure: Measure,
  keyed: boolean,
  recordsIn: RecordsInOptions,
): Promise<Counts> {
  const people = measure === 'people';
  const perpetrators = measure === 'perpetrators';
  const queryOf = (dims: Dimension[]) => {
    // A referral grouped by an onward dimension counts once per onward-referral entry.
    const perEntry = dims.some(isPerOnwardReferral);
    const counted = people
      ? personKeySql()
      : perpetrators
        ? perpetratorKeySql()
        : perEntry
          ? sql`r.id::text || ':' || coalesce(o.position, -1)::text`
          : sql`r.id`;
    // Exact figures need no cell keys: admins are spared the join to each person's first record.
    const cellKey = !keyed ? sql`0` : people ? personCellKeySql() : perpetrators ? perpetratorCellKeySql() : sql`r.record_key`;
    const laterals = lateralJoins(dims, { perpetratorRows: perpetrators });
    const joins = perpetrators
      ? sql`${laterals} ${perpetratorKeyJoin()} ${keyed ? perpetratorAnchorJoin() : sql``}`
      : people && keyed
        ? sql`${laterals} ${personAnchorJoin()}`
        : laterals;
    const groups = dims.map((d, i) => ({ name: `d${i}`, expression: d.expression(context) }));
    return { scope: context.scope, key: counted, groups, joins, cellKey, recordsIn } satisfies DistinctCount;
  };
  const countOf = async (dims: Dimension[]) => {
    const rows = await countDistinctBy(db, queryOf(dims));
    return new Map(rows.map((row) => [keyOf(codesOf(row as CountRow, dims.length)), { n: Number(row.n), k: cellKeyOf(row.k) }]));
  };
  const k = chosen.length;
  // Counting entries (onward referrals) the cells count another key than the total: else every
  // figure comes from one scan's distinct rows.
  if (k > 0 && !chosen.some(isPerOnwardReferral)) {
    const all = chosen.map((_, i) => i);
    const groupings = [all, [], ...(k > 1 ? all.map((i) => [i]) : [])];
    const rows = await countDistinctGroupings(db, queryOf(chosen), groupings);
    const maps = groupings.map(() => new Map<string, Count>());
    for (const row of rows) {
      const grouping = groupings[Number(row.g)]!;
      maps[Number(row.g)]!.set(keyOf(grouping.map((i) => String(row[`d${i}`]))), { n: Number(row.n), k: cellKeyOf(row.k) });
    }
    return { cells: maps[0]!, total: maps[1]!.get('') ?? NONE_COUNTED, margins: maps.slice(2) };
  }
  // One after another: the caller holds one snapshot, on one connection (see readInOneSnapshot).
  const cells = await countOf(chosen);
  const total = k > 0 ? await countOf([]) : null;
  const margins: Array<Map<string, Count>> = [];
  if (k > 1) for (const d of chosen) margins.push(await countOf([d]));
  return { cells: cells!, total: (total ?? cells!).get('') ?? NONE_COUNTED, margins: margins as Array<Map<string, Count>> };
}

export async function computeAggregate(db: Database, params: AggregateParams) {
  return readInOneSnapshot(db, (snapshot) => aggregateInSnapshot(snapshot, params));
}

async function aggregateInSnapshot(db: Database, params: AggregateParams) {
  const scope = await resolveScope(db, params);
  const chosen = params.groupBy.map((id) => dimensions[id]!);
  // Section 8: the perpetrators measure counts every perpetrator person, alleged in victims'
  // records or referred themselves, and grouping by subject compares the two; a `subject` given
  // keeps either to that subject.
  const recordsIn: RecordsInOptions = {
    bothSubjects: params.subject === undefined && (params.measure === 'perpetrators' || params.groupBy.includes('subject')),
  };
  const localAuthorities = params.groupBy.includes('localAuthority') ? await presentLocalAuthorities(db, scope, recordsIn) : undefined;
  const context: DimensionContext = { scope, ageBands: params.ageBands, ...(localAuthorities ? { localAuthorities } : {}) };
  const domains = chosen.map((d) => d.domain(context));
  const size = domains.reduce((n, d) => n * Math.max(d.length, 1), 1);
  if (size > MAX_CELLS) {
    throw problem(400, 'badRequest', `the table would have ${size} cells; at most ${MAX_CELLS}`, [
      { parameter: 'groupBy', code: 'too_many_cells', detail: 'group by fewer or smaller dimensions, or narrow the scope' },
    ]);
  }

  const k = chosen.length;
  const distinct = params.measure !== 'referrals' || chosen.some(isPerPerpetrator);
  const counts = distinct
    ? await countDistinct(db, chosen, context, params.measure, !params.exact, recordsIn)
    : await countAdditive(db, chosen, context, recordsIn);
  const cellCounts = counts.cells;
  const marginCounts = counts.margins;
  const total = counts.total;
  // A code outside a domain (never expected) is kept rather than silently dropped.
  for (const key of cellCounts.keys()) {
    if (k === 0) break;
    key.split('\u0000').forEach((code, i) => {
      if (!domains[i]!.includes(code)) domains[i]!.push(code);
    });
  }

  const table = cartesian(domains);
  const cellList = table.map((codes) => cellCounts.get(keyOf(codes)) ?? NONE_COUNTED);
  const cells: CellInput[] = table.map((codes, i) => ({
    key: Object.fromEntries(codes.map((code, j) => [chosen[j]!.id, code])),
    value: cellList[i]!.n,
  }));
  const margins: Record<string, CellInput[]> = {};
  const marginKeys: Record<string, number[]> = {};
  if (k > 1) {
    chosen.forEach((d, i) => {
      const counted = domains[i]!.map((code) => marginCounts[i]!.get(code) ?? NONE_COUNTED);
      margins[d.id] = domains[i]!.map((code, j) => ({ key: { [d.id]: code }, value: counted[j]!.n }));
      marginKeys[d.id] = counted.map((c) => c.k);
    });
  }

  const protectedTable = params.exact
    ? {
        cells: cells.map((c) => ({ ...c, status: 'ok' as const })),
        margins: Object.fromEntries(Object.entries(margins).map(([d, list]) => [d, list.map((c) => ({ ...c, status: 'ok' as const }))])),
        total: { key: {}, value: total.n, status: 'ok' as const },
        suppressed: 0,
      }
    : (() => {
        const result = applyDisclosureControl({ dimensions: params.groupBy, cells, margins, total: total.n, threshold: params.threshold });
        return { ...result, suppressed: result.primary + result.secondary };
      })();
  // Suppression decides on the true counts; what it leaves published then carries the cell key's noise.
  const noisy = (value: PublishedValue, cellKey: number) => (params.exact ? value : perturbPublished(value, cellKey, params.threshold));
  const published = {
    ...protectedTable,
    cells: protectedTable.cells.map((c, i) => noisy(c, cellList[i]!.k)),
    margins: Object.fromEntries(
      Object.entries(protectedTable.margins).map(([d, list]) => [d, list.map((c: PublishedValue, i: number) => noisy(c, marginKeys[d]![i]!))]),
    ),
    total: noisy(protectedTable.total, total.k),
  };

  const population = k === 1 && POPULATION_DIMENSIONS.has(chosen[0]!.id) ? await populationShares(db, scope, chosen[0]!.id) : null;
  const publishedTotal = published.total.value;
  const withPopulation = published.cells.map((cell: PublishedValue) => {
    if (!population) return cell;
    const code = cell.key[chosen[0]!.id]!;
    const share = population.shares[code];
    if (share === undefined) return { ...cell, populationShare: null, representation: null };
    const representation = cell.status === 'ok' && publishedTotal && cell.value !== null && share > 0 ? cell.value / publishedTotal / share : null;
    return { ...cell, populationShare: share, representation };
  });

  return {
    measure: params.measure,
    unit: UNITS[params.measure],
    groupBy: params.groupBy,
    period: scope.description,
    multiValued: chosen.filter((d) => d.multiValued).map((d) => d.id),
    cells: withPopulation,
    totals: {
      overall: {
        value: published.total.value,
        status: published.total.status,
        ...(published.total.suppression ? { suppression: published.total.suppression } : {}),
      },
      byDimension: published.margins,
    },
    ...(population ? { population: { areas: population.areas, year: Math.max(...population.years), dimension: chosen[0]!.id } } : {}),
    ...(params.measure === 'people' || params.measure === 'perpetrators' ? { linkage: await readLinkageCurrency(db) } : {}),
    disclosure: {
      applied: !params.exact,
      ...describeDisclosureRule(params.threshold),
      suppressed: published.suppressed,
      ...(params.exact ? {} : { perturbation: describePerturbation(params.threshold) }),
    },
  };
}

export type Aggregate = Awaited<ReturnType<typeof computeAggregate>>;

/**
 * The local authorities the records in scope name, for `localAuthority`'s domain (an open set of
 * GSS codes). Read over the same records as the table, so a code appears only when its cell would
 * count someone; its cells are then protected as any other's (dimensions.ts).
 */
async function presentLocalAuthorities(db: Database, scope: Scope, recordsIn: RecordsInOptions): Promise<string[]> {
  const expression = dimensions.localAuthority!.expression({ scope, ageBands: 'five_year' });
  const rows = await queryRows<{ code: string }>(db, sql`select distinct ${expression} as code ${currentRecordsIn(scope, sql``, recordsIn)}`);
  return rows.map((row) => row.code).sort();
}
