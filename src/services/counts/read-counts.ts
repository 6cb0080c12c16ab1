/**
 * `GET /v1/counts` (contract 1.1 §5, §8): the counts services report as totals, summed by area,
 * period, service or a breakdown, from the current version of each count return in scope. Rates per
 * 1,000 use the area's population for the period's financial year; derived measures divide two
 * reported ones; `compareWith=previous_year` sets each cell beside the same quarters a year earlier.
 *
 * Analysts get every table through the aggregates' disclosure control (small counts suppressed with
 * complementary suppression within the table, then the ONS cell key noise), and rates from the
 * published numerator and denominator; admins see exact figures.
 */
import { asc, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { areaPopulations, areas, services } from '../../db/tables.js';
import { chooseFormat, csvFile, type Answer, type CsvTable, type CsvValue } from '../../lib/csv-response.js';
import { parseQuarter, quartersOf, type Quarter } from '../../lib/periods.js';
import { problem } from '../../lib/problem.js';
import { COMPARISONS, COUNT_DIMENSIONS, COUNT_MEASURE_IDS } from '../../schema/api/counts.js';
import { countMeasuresById, derivedCountMeasuresById } from '../../schema/counts/measures.js';
import type { Principal } from '../api-keys.js';
import { cellKeyOf, describePerturbation } from '../analytics/cell-key.js';
import { labelDimension, TOTAL, type Names } from '../analytics/csv-tables.js';
import {
  applyDisclosureControl,
  describeDisclosureRule,
  perturbPublished,
  suppressRate,
  type CellInput,
  type PublishedValue,
} from '../analytics/disclosure.js';
import { choosePopulationYear } from '../analytics/population.js';
import { queryRows, readInOneSnapshot, resolveQuarters } from '../analytics/scope.js';

/** The validated query of `GET /v1/counts`, as the route hands it over. */
export interface CountQueryInput {
  measure?: string | undefined;
  groupBy?: string | undefined;
  compareWith?: string | undefined;
  period?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  service?: string | undefined;
  serviceType?: string | undefined;
  area?: string | undefined;
  format?: string | undefined;
}

export interface ReadCountsParams {
  query: CountQueryInput;
  /** The request's `Accept` header. */
  accept?: string | undefined;
  principal: Pick<Principal, 'role'>;
  threshold: number;
}

type Published = PublishedValue;

/** A published table: its cells by key, each dimension's totals by code, the grand total. */
interface PublishedTable {
  cells: Map<string, Published>;
  margins: Record<string, Map<string, Published>>;
  total: Published;
  suppressed: number;
}

interface RawRow {
  period: string;
  service: string;
  area: string;
  breakdown: string | null;
  measure: string;
  n: number | string;
  k: number | string | null;
}

interface Count {
  n: number;
  k: number;
}

const SEP = '\u0000';

function badParameter(parameter: string, code: string, title: string, detail: string) {
  return problem(400, 'badRequest', title, [{ parameter, code, detail }]);
}

/** The measures a query reads: itself, or a derived measure's numerator and denominator. */
function measuresOf(id: string): { reported: string[]; derived?: { numerator: string; denominator: string } } {
  const derived = derivedCountMeasuresById.get(id);
  if (derived) return { reported: [derived.numerator, derived.denominator], derived: { numerator: derived.numerator, denominator: derived.denominator } };
  return { reported: [id] };
}

export interface ParsedCountQuery {
  measure: string;
  groupBy: string[];
  compareWith?: (typeof COMPARISONS)[number];
  quarters: Quarter[];
  label: string;
  service?: string;
  serviceType?: string;
  area?: string;
}

/** The query's parameters, narrowed rather than cast; a wrong one is a 400 naming it, never quoting it. */
export function parseCountQuery(query: CountQueryInput): ParsedCountQuery {
  const measure = query.measure ?? '';
  if (!COUNT_MEASURE_IDS.includes(measure))
    throw badParameter('measure', 'not_in_code_list', 'measure is not known', `must be among: ${COUNT_MEASURE_IDS.join(', ')}`);
  const groupBy = query.groupBy === undefined || query.groupBy === '' ? [] : query.groupBy.split(',');
  const unknown = groupBy.flatMap((d, i) => (COUNT_DIMENSIONS.includes(d) ? [] : [i + 1]));
  if (unknown.length > 0)
    throw badParameter(
      'groupBy',
      'not_in_code_list',
      `groupBy entry ${unknown.join(', ')} is not a dimension`,
      `must be among: ${COUNT_DIMENSIONS.join(', ')}`,
    );
  if (new Set(groupBy).size !== groupBy.length) throw badParameter('groupBy', 'duplicate', 'a dimension appears twice in groupBy', 'list each dimension once');
  // A breakdown applies only where the catalogue allows it for every measure read.
  const { reported } = measuresOf(measure);
  const inapplicable = groupBy.flatMap((d, i) =>
    ['area', 'period', 'service'].includes(d) || reported.every((m) => countMeasuresById.get(m)?.breakdowns.some((b) => b.id === d)) ? [] : [i + 1],
  );
  if (inapplicable.length > 0)
    throw badParameter(
      'groupBy',
      'not_applicable',
      `groupBy entry ${inapplicable.join(', ')} is not a breakdown of this measure`,
      'see the measure’s breakdowns in GET /v1/count-measures',
    );
  let compareWith: ParsedCountQuery['compareWith'];
  if (query.compareWith !== undefined) {
    if (!(COMPARISONS as readonly string[]).includes(query.compareWith))
      throw badParameter('compareWith', 'not_in_code_list', 'compareWith is not known', `must be among: ${COMPARISONS.join(', ')}`);
    compareWith = query.compareWith as ParsedCountQuery['compareWith'];
  }
  // resolveQuarters names a malformed period by its value; a problem here never quotes what a client sent.
  if (query.period !== undefined && !query.from && !query.to && quartersOf(query.period) === null)
    throw badParameter('period', 'invalid_format', 'period is not a financial year or quarter', 'give a financial year (2022-23) or a quarter (2022-23-Q1)');
  const { quarters, label } = resolveQuarters({ period: query.period, from: query.from, to: query.to });
  return {
    measure,
    groupBy,
    ...(compareWith ? { compareWith } : {}),
    quarters,
    label,
    ...(query.service ? { service: query.service } : {}),
    ...(query.serviceType ? { serviceType: query.serviceType } : {}),
    ...(query.area ? { area: query.area } : {}),
  };
}

/** The same quarter a year earlier: `2020-21-Q3` → `2019-20-Q3`. */
export function yearEarlier(id: string): string {
  const start = Number(id.slice(0, 4)) - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}${id.slice(7)}`;
}

function inList(values: readonly string[]): SQL {
  return values.length
    ? sql`(${sql.join(
        values.map((v) => sql`${v}`),
        sql`, `,
      )})`
    : sql`(null)`;
}

/** The reported cells of the measures in the quarters, from current count returns only, summed per return cell. */
async function readRows(db: Database, measures: readonly string[], quarters: readonly string[], parsed: ParsedCountQuery): Promise<RawRow[]> {
  const filters: SQL[] = [sql`cc.measure in ${inList(measures)}`, sql`cr.period in ${inList(quarters)}`];
  if (parsed.service) filters.push(sql`s.id = ${parsed.service}`);
  if (parsed.serviceType) filters.push(sql`s.service_type = ${parsed.serviceType}`);
  if (parsed.area) filters.push(sql`cc.area = ${parsed.area}`);
  return queryRows<RawRow>(
    db,
    sql`select cr.period as period, cr.service_id as service, cc.area as area, cc.breakdown::text as breakdown, cc.measure as measure,
          sum(cc.value) as n, sum(cc.cell_key) as k
        from count_cells cc
        join count_returns cr on cr.id = cc.count_return_id and cr.superseded_at is null
        join services s on s.id = cr.service_id
        where ${sql.join(filters, sql` and `)}
        group by cr.period, cr.service_id, cc.area, cc.breakdown, cc.measure`,
  );
}

const codesOf = (key: string, k: number) => (k === 0 ? [] : key.split(SEP));
const keyObject = (groupBy: readonly string[], key: string) => Object.fromEntries(codesOf(key, groupBy.length).map((code, i) => [groupBy[i]!, code]));

/**
 * The rows of one measure's table, each with its codes for the groupBy dimensions. Without a
 * breakdown dimension only cells reported without one count (the totals); with one, only the cells
 * broken down by exactly the breakdowns grouped by (a breakdown's cells need not sum to the total).
 */
function* rowsOfTable(rows: readonly RawRow[], measure: string, groupBy: readonly string[], shift: (period: string) => string) {
  const breakdowns = groupBy.filter((d) => !['area', 'period', 'service'].includes(d)).sort();
  for (const row of rows) {
    if (row.measure !== measure) continue;
    const breakdown = row.breakdown === null ? {} : (JSON.parse(row.breakdown) as Record<string, string>);
    const own = Object.keys(breakdown).sort();
    if (own.length !== breakdowns.length || own.some((d, i) => d !== breakdowns[i])) continue;
    const codes = groupBy.map((d) => (d === 'area' ? row.area : d === 'period' ? shift(row.period) : d === 'service' ? row.service : breakdown[d]!));
    yield { row, key: codes.join(SEP) };
  }
}

/** One measure's table for a set of quarters: cells by the groupBy codes. The cell key of a sum is the sum of its count cells' keys modulo 256. */
function tabulate(rows: readonly RawRow[], measure: string, groupBy: readonly string[], shift: (period: string) => string): Map<string, Count> {
  const cells = new Map<string, Count>();
  for (const { row, key } of rowsOfTable(rows, measure, groupBy, shift)) {
    const before = cells.get(key) ?? { n: 0, k: 0 };
    cells.set(key, { n: before.n + Number(row.n), k: cellKeyOf(before.k + cellKeyOf(row.k)) });
  }
  return cells;
}

/** The areas each cell, each dimension total and the grand total of a table count, for their populations. */
interface AreasOfTable {
  cells: Map<string, Set<string>>;
  margins: Record<string, Map<string, Set<string>>>;
  total: Set<string>;
}

function findAreasOfTable(rows: readonly RawRow[], measure: string, groupBy: readonly string[]): AreasOfTable {
  const found: AreasOfTable = { cells: new Map(), margins: Object.fromEntries(groupBy.map((d) => [d, new Map()])), total: new Set() };
  const add = (map: Map<string, Set<string>>, key: string, area: string) => map.set(key, (map.get(key) ?? new Set()).add(area));
  for (const { row, key } of rowsOfTable(rows, measure, groupBy, (p) => p)) {
    add(found.cells, key, row.area);
    codesOf(key, groupBy.length).forEach((code, i) => add(found.margins[groupBy[i]!]!, code, row.area));
    found.total.add(row.area);
  }
  return found;
}

/** Disclosure control (analysts) or exact figures (admins) over one measure's table, margins and total. */
function publish(cells: Map<string, Count>, groupBy: readonly string[], exact: boolean, threshold: number): PublishedTable {
  const keys = [...cells.keys()].sort();
  const k = groupBy.length;
  const marginCounts: Record<string, Map<string, Count>> = {};
  if (k > 1)
    groupBy.forEach((d, i) => {
      const sums = new Map<string, Count>();
      for (const key of keys) {
        const code = codesOf(key, k)[i]!;
        const before = sums.get(code) ?? { n: 0, k: 0 };
        const cell = cells.get(key)!;
        sums.set(code, { n: before.n + cell.n, k: cellKeyOf(before.k + cell.k) });
      }
      marginCounts[d] = new Map([...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    });
  const total = [...cells.values()].reduce((a, b) => ({ n: a.n + b.n, k: cellKeyOf(a.k + b.k) }), { n: 0, k: 0 });
  const cellInputs: CellInput[] = keys.map((key) => ({ key: keyObject(groupBy, key), value: cells.get(key)!.n }));
  const marginInputs: Record<string, CellInput[]> = Object.fromEntries(
    Object.entries(marginCounts).map(([d, sums]) => [d, [...sums].map(([code, c]) => ({ key: { [d]: code }, value: c.n }))]),
  );
  const ok = (c: CellInput): Published => ({ key: c.key, value: c.value, status: 'ok' });
  const controlled = exact
    ? {
        cells: cellInputs.map(ok),
        margins: Object.fromEntries(Object.entries(marginInputs).map(([d, l]) => [d, l.map(ok)])),
        total: ok({ key: {}, value: total.n }),
        primary: 0,
        secondary: 0,
      }
    : applyDisclosureControl({ dimensions: [...groupBy], cells: cellInputs, margins: marginInputs, total: total.n, threshold });
  // Suppression decides on the true counts; what it leaves published then carries the cell key's noise.
  const noisy = (value: Published, cellKey: number) => (exact ? value : perturbPublished(value, cellKey, threshold));
  return {
    cells: new Map(keys.map((key, i) => [key, noisy(controlled.cells[i]!, cells.get(key)!.k)])),
    margins: Object.fromEntries(
      Object.entries(marginCounts).map(([d, sums]) => [d, new Map([...sums].map(([code, c], i) => [code, noisy(controlled.margins[d]![i]!, c.k)]))]),
    ),
    total: noisy(controlled.total, total.k),
    suppressed: controlled.primary + controlled.secondary,
  };
}

interface Figure {
  value: number | null;
  status: 'ok' | 'suppressed';
  suppression?: 'primary' | 'complementary';
}

const figure = (p: Published): Figure => ({ value: p.value, status: p.status, ...(p.suppression ? { suppression: p.suppression } : {}) });

/** A derived measure's value: the published numerator ÷ the published denominator, suppressed when either is. */
function ratio(numerator: Published, denominator: Published): Figure & { numerator: Figure; denominator: Figure } {
  const status = suppressRate(numerator, denominator);
  const value = status === 'ok' && denominator.value ? numerator.value! / denominator.value : null;
  return { value, status, numerator: figure(numerator), denominator: figure(denominator) };
}

/** What a cell publishes before the population and the comparison are added. */
type CellFigure = Figure & { numerator?: Figure; denominator?: Figure };

interface MeasureTable {
  cells: Map<string, CellFigure>;
  margins: Record<string, Map<string, CellFigure>>;
  total: CellFigure;
  suppressed: number;
}

/** The published table of the query's measure (reported, or derived from two published tables). */
function measureTable(rows: readonly RawRow[], parsed: ParsedCountQuery, exact: boolean, threshold: number, shift: (p: string) => string): MeasureTable {
  const { reported, derived } = measuresOf(parsed.measure);
  if (!derived) {
    const table = publish(tabulate(rows, reported[0]!, parsed.groupBy, shift), parsed.groupBy, exact, threshold);
    return {
      cells: new Map([...table.cells].map(([key, p]) => [key, figure(p)])),
      margins: Object.fromEntries(Object.entries(table.margins).map(([d, m]) => [d, new Map([...m].map(([c, p]) => [c, figure(p)]))])),
      total: figure(table.total),
      suppressed: table.suppressed,
    };
  }
  // Each of the two is a table of its own, protected as one; a rate is then read from what they publish.
  const numerator = publish(tabulate(rows, derived.numerator, parsed.groupBy, shift), parsed.groupBy, exact, threshold);
  const denominator = publish(tabulate(rows, derived.denominator, parsed.groupBy, shift), parsed.groupBy, exact, threshold);
  // A rate is defined where both are reported.
  const keys = [...numerator.cells.keys()].filter((key) => denominator.cells.has(key)).sort();
  return {
    cells: new Map(keys.map((key) => [key, ratio(numerator.cells.get(key)!, denominator.cells.get(key)!)])),
    margins: Object.fromEntries(
      Object.entries(numerator.margins).map(([d, m]) => [
        d,
        new Map(
          [...m].flatMap(([code, p]) => {
            const other = denominator.margins[d]?.get(code);
            return other ? [[code, ratio(p, other)] as const] : [];
          }),
        ),
      ]),
    ),
    total: ratio(numerator.total, denominator.total),
    suppressed: numerator.suppressed + denominator.suppressed,
  };
}

/** The population figures of the areas, by area: year → total. */
async function populationsOf(db: Database, codes: readonly string[]): Promise<Map<string, Map<number, number>>> {
  const found = new Map<string, Map<number, number>>();
  if (codes.length === 0) return found;
  const rows = await db
    .select()
    .from(areaPopulations)
    .where(inArray(areaPopulations.areaCode, [...codes]));
  for (const row of rows) {
    const own = found.get(row.areaCode) ?? new Map<number, number>();
    own.set(row.year, row.total);
    found.set(row.areaCode, own);
  }
  return found;
}

/**
 * A row's rate per 1,000: its value over the summed populations of the areas it counts, for the
 * latest year at or before the start of the period's financial year that every one of them has
 * (else the earliest they share), so a total is never divided by a mix of years. None when an area
 * has no population figure or they share no year: a partial denominator would overstate the rate.
 */
function ratePer1000Of(value: number | null, areas: ReadonlySet<string>, quarter: Quarter, populations: Map<string, Map<number, number>>) {
  const figures = [...areas].map((area) => populations.get(area));
  if (figures.length === 0 || figures.some((f) => f === undefined)) return {};
  const shared = [...figures[0]!.keys()].filter((year) => figures.every((f) => f!.has(year)));
  const year = choosePopulationYear(shared, Number(quarter.financialYear.slice(0, 4)));
  if (year === undefined) return {};
  const population = figures.reduce((sum, f) => sum + f!.get(year)!, 0);
  if (population <= 0) return {};
  return { ratePer1000: value === null ? null : (value / population) * 1000, populationYear: year, population };
}

export async function readCounts(db: Database, { query, principal, threshold }: ReadCountsParams) {
  const parsed = parseCountQuery(query);
  const exact = principal.role === 'admin';
  return readInOneSnapshot(db, async (snapshot) => {
    // The service id is not echoed: problems never quote what a client sent.
    if (parsed.service) {
      const found = await snapshot
        .select({ id: services.id })
        .from(services)
        .where(inArray(services.id, [parsed.service]));
      if (found.length === 0) throw problem(404, 'notFound', 'no service is registered with that id');
    }
    const quarters = parsed.quarters.map((q) => q.id);
    const { reported, derived } = measuresOf(parsed.measure);
    const rows = await readRows(snapshot, reported, quarters, parsed);
    const table = measureTable(rows, parsed, exact, threshold, (p) => p);
    const earlierQuarters = quarters.map(yearEarlier);
    // The earlier table is keyed by the quarters it is compared with, so its cells meet theirs.
    const earlier = parsed.compareWith
      ? measureTable(await readRows(snapshot, reported, earlierQuarters, parsed), parsed, exact, threshold, (p) => quarters[earlierQuarters.indexOf(p)] ?? p)
      : undefined;

    // A rate per 1,000 is of the areas a row counts: the population's year follows the row's own quarter, else the query's first.
    const areasOfTable = derived ? undefined : findAreasOfTable(rows, parsed.measure, parsed.groupBy);
    const populations = await populationsOf(snapshot, areasOfTable ? [...areasOfTable.total] : []);
    const periodIndex = parsed.groupBy.indexOf('period');
    const quarterOf = (period: string | undefined) => (period === undefined ? parsed.quarters[0]! : parseQuarter(period)!);
    const rateOf = (value: number | null, areas: ReadonlySet<string> | undefined, period: string | undefined) =>
      areas ? ratePer1000Of(value, areas, quarterOf(period), populations) : {};

    const cells = [...table.cells].map(([key, cell]) => {
      const codes = codesOf(key, parsed.groupBy.length);
      const out: Record<string, unknown> = { key: keyObject(parsed.groupBy, key), ...cell };
      Object.assign(out, rateOf(cell.value, areasOfTable?.cells.get(key), periodIndex >= 0 ? codes[periodIndex] : undefined));
      if (earlier) {
        const before = earlier.cells.get(key);
        const previousValue = before?.value ?? null;
        out.previousValue = previousValue;
        out.changeRate = cell.value !== null && previousValue !== null && previousValue !== 0 ? (cell.value - previousValue) / previousValue : null;
      }
      return out;
    });
    const byDimension = Object.fromEntries(
      Object.entries(table.margins).map(([d, m]) => [
        d,
        [...m].map(([code, f]) => ({ key: { [d]: code }, ...f, ...rateOf(f.value, areasOfTable?.margins[d]?.get(code), d === 'period' ? code : undefined) })),
      ]),
    );

    const about = countMeasuresById.get(parsed.measure) ?? derivedCountMeasuresById.get(parsed.measure)!;
    return {
      measure: parsed.measure,
      label: about.label,
      unit: 'unit' in about ? about.unit : 'proportion',
      ...(derived ? { derived } : {}),
      groupBy: parsed.groupBy,
      period: {
        period: parsed.label,
        quarters,
        ...(parsed.service ? { service: parsed.service } : {}),
        ...(parsed.serviceType ? { serviceType: parsed.serviceType } : {}),
        ...(parsed.area ? { area: parsed.area } : {}),
      },
      ...(parsed.compareWith ? { compareWith: { comparison: parsed.compareWith, quarters: earlierQuarters } } : {}),
      cells,
      totals: { overall: { ...table.total, ...rateOf(table.total.value, areasOfTable?.total, undefined) }, byDimension },
      disclosure: {
        applied: !exact,
        ...describeDisclosureRule(threshold),
        suppressed: table.suppressed,
        ...(exact ? {} : { perturbation: describePerturbation(threshold) }),
      },
    };
  });
}

export type CountTable = Awaited<ReturnType<typeof readCounts>>;

/** The labels admins gave services and areas, for the CSV table. */
async function findNames(db: Database): Promise<Names> {
  const serviceRows = await db.select({ id: services.id, name: services.name }).from(services).orderBy(asc(services.id));
  const areaRows = await db.select({ code: areas.code, name: areas.name }).from(areas).orderBy(asc(areas.code));
  return { services: new Map(serviceRows.map((s) => [s.id, s.name])), areas: new Map(areaRows.map((a) => [a.code, a.name])) };
}

/**
 * The table as CSV, as aggregates are: cells, each dimension's totals and the grand total told apart
 * by `rowType`, the dimensions summed over reading `total`, a label beside each code, the value
 * column named after the measure. The header depends on the query only, never on what is suppressed.
 */
export function tabulateCounts(table: CountTable, names: Names): CsvTable {
  const labels = table.groupBy.map((d) => labelDimension(d, { names, ageBands: 'five_year' }));
  const derived = table.derived !== undefined;
  const compare = table.compareWith !== undefined;
  // A reported measure's rows may each carry a rate, whatever they are grouped by.
  const withRates = !derived;
  const columns = [
    'rowType',
    ...table.groupBy.flatMap((d) => [d, `${d}Label`]),
    table.measure,
    'status',
    'suppression',
    ...(derived ? ['numerator', 'numeratorStatus', 'denominator', 'denominatorStatus'] : []),
    ...(withRates ? ['ratePer1000', 'populationYear', 'population'] : []),
    ...(compare ? ['previousValue', 'changeRate'] : []),
  ];
  const row = (rowType: string, cell: Record<string, unknown>): CsvValue[] => {
    const key = cell.key as Record<string, string>;
    const values: Record<string, CsvValue> = {
      rowType,
      [table.measure]: cell.value as CsvValue,
      status: cell.status as CsvValue,
      suppression: cell.suppression as CsvValue,
    };
    table.groupBy.forEach((d, i) => {
      values[d] = key[d] ?? TOTAL;
      values[`${d}Label`] = key[d] === undefined ? 'Total' : labels[i]!(key[d]);
    });
    for (const part of ['numerator', 'denominator'] as const) {
      const f = cell[part] as Figure | undefined;
      if (f) {
        values[part] = f.value;
        values[`${part}Status`] = f.status;
      }
    }
    for (const c of ['ratePer1000', 'populationYear', 'population', 'previousValue', 'changeRate']) values[c] = cell[c] as CsvValue;
    return columns.map((c) => values[c]);
  };
  const rows: CsvValue[][] = [];
  if (table.groupBy.length > 0) {
    rows.push(...table.cells.map((c) => row('cell', c)));
    for (const d of table.groupBy) rows.push(...(table.totals.byDimension[d] ?? []).map((m) => row('dimension_total', m)));
  }
  rows.push(row('grand_total', { key: {}, ...table.totals.overall }));
  return { columns, rows };
}

/** `GET /v1/counts`: the table as JSON, or (`format=csv`, `Accept: text/csv`) the same figures as CSV. */
export async function answerCounts(db: Database, params: ReadCountsParams): Promise<Answer<CountTable>> {
  const table = await readCounts(db, params);
  if (chooseFormat(params.query.format, params.accept) === 'json') return { format: 'json', body: table };
  return {
    format: 'csv',
    file: csvFile(tabulateCounts(table, await findNames(db)), 'counts', table.measure, table.period.period.replace('/', '_to_')),
  };
}
