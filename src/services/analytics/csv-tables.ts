/**
 * The analytic answers as flat CSV tables: the same figures and disclosure status as their JSON,
 * with a label beside each code. Column names are the JSON's own (dimension ids, which are the
 * dataset's field names, and the API's property names); a coded column `x` has `xLabel` beside it.
 * Labels come from the dataset's code lists and age-band sets, and from the names admins gave
 * services and areas; none is written here twice.
 */
import type { CsvTable, CsvValue } from '../../lib/csv-response.js';
import { AggregateSchema } from '../../schema/api/aggregates.js';
import { parseQuarter } from '../../lib/periods.js';
import type { Completeness, TimelinessSummary } from '../../schema/api/completeness.js';
import { FieldCompletenessSchema, QuarterSubmissionSchema, ServiceCompletenessSchema } from '../../schema/api/completeness.js';
import { IndicatorSchema, type IndicatorList } from '../../schema/api/indicators.js';
import { codeLists, personAnswerCodes, type CodeList } from '../../schema/dataset/code-lists.js';
import { ageBandSets, type AgeBandSetId } from '../../schema/dataset/derived.js';
import { perpetratorFields, recordFields, victimFields } from '../../schema/dataset/fields.js';
import type { Aggregate } from './aggregates.js';
import { dimensions, NONE, NOT_RECORDED } from './dimensions.js';
import { ONWARD_OUTCOME_LABELS, SERVICE_COUNT_LABELS, type Overlaps } from './overlaps.js';

const POPULATION_COLUMNS = ['populationShare', 'representation'];

/** What a total row holds in the columns of the dimensions it sums over. */
export const TOTAL = 'total';
const TOTAL_LABEL = 'Total';

/** Names admins gave services and areas: the labels of those codes. */
export interface Names {
  services: ReadonlyMap<string, string>;
  areas: ReadonlyMap<string, string>;
}

type Row = Record<string, CsvValue>;

/** A published value of an aggregate: its codes, its value, its status and whatever else is published beside them. */
interface PublishedFigure {
  key: Record<string, string>;
  value: number | null;
}

/** Codes of the dimensions themselves rather than of a code list: no value, or a field left out. */
const DIMENSION_CODE_LABELS: Record<string, string> = { [NONE]: 'None', [NOT_RECORDED]: 'Not recorded' };

/** Answers several dimensions share: yes / no (booleans, LGBT+) and the person answers. */
const SHARED_LABELS = new Map([...codeLists.yesNo.codes, ...personAnswerCodes].map((c) => [c.code, c.label]));

/** Labels of the timeliness summary's counts; a quarter's `timeliness` code is one of them in snake case. */
const TIMELINESS_LABELS: Record<keyof TimelinessSummary, string> = {
  expected: 'Expected',
  expectedInferred: 'Expected (inferred from the service’s history)',
  onTime: 'On time',
  late: 'Late',
  missing: 'Missing (deadline passed)',
  due: 'Due (deadline not yet passed)',
  notExpected: 'Not expected',
  submittedUnscheduled: 'Submitted though not expected',
};

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelCase = (code: string) => code.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function labelTimeliness(code: string): string {
  return Object.hasOwn(TIMELINESS_LABELS, camelCase(code)) ? TIMELINESS_LABELS[camelCase(code) as keyof TimelinessSummary] : code;
}

const capitalised = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}`;

/** The code list a dimension takes its codes from: its own id, or the dataset field it reads. */
function codeListOf(dimension: string): CodeList | undefined {
  const own = Object.hasOwn(dimensions, dimension) ? dimensions[dimension]!.codeList : undefined;
  if (own) return own;
  if (Object.hasOwn(codeLists, dimension)) return codeLists[dimension as keyof typeof codeLists];
  const field =
    [...recordFields, ...victimFields].find((f) => f.name === dimension) ?? perpetratorFields.find((f) => `perpetrator${capitalised(f.name)}` === dimension);
  return field?.codeList;
}

const month = (date: string) => new Date(`${date}T00:00:00Z`).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });

/** `2022-23-Q1` → `2022-23 Q1 (April to June 2022)`. */
export function describeQuarter(id: string): string {
  const quarter = parseQuarter(id);
  return quarter ? `${quarter.financialYear} Q${quarter.quarter} (${month(quarter.start)} to ${month(quarter.end)} ${quarter.end.slice(0, 4)})` : id;
}

export interface LabelContext {
  names: Names;
  ageBands: AgeBandSetId;
}

/** The label of each code of a dimension (the code itself when nothing names it). */
export function labelDimension(dimension: string, context: LabelContext): (code: string) => string {
  const own = new Map<string, string>();
  if (dimension === 'ageBand' || dimension === 'perpetratorAgeBand') for (const band of ageBandSets[context.ageBands].bands) own.set(band.code, band.label);
  for (const code of codeListOf(dimension)?.codes ?? []) own.set(code.code, code.label);
  const named = dimension === 'service' ? context.names.services : dimension === 'area' || dimension === 'localAuthority' ? context.names.areas : undefined;
  return (code) => {
    if (dimension === 'period') return describeQuarter(code);
    // An open set of GSS codes: named when an admin registered the area, otherwise by its code.
    if (dimension === 'localAuthority' && /^[EWSN][0-9]{8}$/.test(code)) return named?.get(code) ?? `Local authority ${code}`;
    return named?.get(code) ?? own.get(code) ?? SHARED_LABELS.get(code) ?? DIMENSION_CODE_LABELS[code] ?? code;
  };
}

function isScalar(value: unknown): value is CsvValue {
  return value === null || value === undefined || ['string', 'number', 'boolean'].includes(typeof value);
}

interface ObjectSchema {
  properties: Record<string, unknown>;
}

/**
 * The scalar properties of object schemas, in order: the CSV columns of their rows. A nested
 * object's properties are columns too, named with dots (`schedule.basis`) as in a return's CSV;
 * lists are laid out as rows by the caller.
 */
function scalarProperties(...schemas: ObjectSchema[]): string[] {
  const names: string[] = [];
  const visit = (schema: ObjectSchema, prefix: string) => {
    for (const [name, property] of Object.entries(schema.properties)) {
      const p = property as { type?: unknown; $ref?: unknown; properties?: Record<string, unknown> };
      if (p.type === 'object' && p.properties) visit(p as ObjectSchema, `${prefix}${name}.`);
      else if (p.type !== 'array' && p.type !== 'object' && p.$ref === undefined && !names.includes(`${prefix}${name}`)) names.push(`${prefix}${name}`);
    }
  };
  for (const schema of schemas) visit(schema, '');
  return names;
}

/** A coded column gets its label column right after it. */
function withLabels(columns: readonly string[], labelled: ReadonlySet<string>): string[] {
  return columns.flatMap((c) => (labelled.has(c) ? [c, `${c}Label`] : [c]));
}

/** The columns, then any scalar property a row has that they lack (a figure is never dropped), then the rows in that order. */
function tableOf(columns: readonly string[], rows: readonly Row[]): CsvTable {
  // Parts of one table share a column of the same name (`status`): it appears once.
  const all = [...new Set(columns)];
  for (const row of rows) for (const [name, value] of Object.entries(row)) if (!all.includes(name) && value !== undefined) all.push(name);
  return { columns: all, rows: rows.map((row) => all.map((c) => row[c])) };
}

/** The scalar properties of an object, a nested object's named with dots; lists (and `except`) are left to the caller. */
function scalarsOf(item: object, except: readonly string[] = [], prefix = ''): Row {
  const row: Row = {};
  for (const [name, value] of Object.entries(item)) {
    if (except.includes(name) || Array.isArray(value)) continue;
    if (isScalar(value)) row[`${prefix}${name}`] = value;
    else if (typeof value === 'object') Object.assign(row, scalarsOf(value as object, [], `${prefix}${name}.`));
  }
  return row;
}

/**
 * An aggregate as one table: its cells, each dimension's totals and the grand total (the people
 * total cannot be summed from the cells), told apart by `rowType`. In a total row the dimensions
 * summed over read `total`. The count column is named after the measure (`referrals`, `people`).
 */
export function tabulateAggregate(aggregate: Aggregate, context: LabelContext): CsvTable {
  const dimensions = aggregate.groupBy;
  const labels = dimensions.map((d) => labelDimension(d, context));
  const row = (rowType: 'cell' | 'dimension_total' | 'grand_total', published: PublishedFigure): Row => {
    const codes: Row = {};
    dimensions.forEach((d, i) => {
      const code = published.key[d];
      codes[d] = code ?? TOTAL;
      codes[`${d}Label`] = code === undefined ? TOTAL_LABEL : labels[i]!(code);
    });
    return { rowType, ...codes, [aggregate.measure]: published.value, ...scalarsOf(published, ['key', 'value']) };
  };
  const rows: Row[] = [];
  // With no dimension the one cell is the grand total: it is written once.
  if (dimensions.length > 0) {
    rows.push(...aggregate.cells.map((c) => row('cell', c)));
    for (const d of dimensions) rows.push(...(aggregate.totals.byDimension[d] ?? []).map((m: PublishedFigure) => row('dimension_total', m)));
  }
  rows.push(row('grand_total', { key: {}, ...aggregate.totals.overall }));
  // The header is the same whatever is suppressed; the population columns come with a population comparison only.
  const published = scalarProperties(AggregateSchema.properties.cells.items).filter(
    (c) => c !== 'key' && c !== 'value' && (aggregate.population !== undefined || !POPULATION_COLUMNS.includes(c)),
  );
  return tableOf(['rowType', ...withLabels(dimensions, new Set(dimensions)), aggregate.measure, ...published], rows);
}

/** One row per indicator, its columns the `Indicator` schema's (the id is the code, `label` its label). */
export function tabulateIndicators(list: IndicatorList): CsvTable {
  return tableOf(
    scalarProperties(IndicatorSchema),
    list.indicators.map((indicator) => scalarsOf(indicator)),
  );
}

/**
 * Completeness as one table, `table` naming the JSON list a row comes from: `services` (a row per
 * service and quarter), `timeliness` (the summary: a `count` of service-quarters per `timeliness`)
 * `fields` (victim field completeness) and `recordFields` (the 1.1.0 record and module fields).
 */
export function tabulateCompleteness(completeness: Completeness, names: Names): CsvTable {
  const serviceTypeLabel = labelDimension('serviceType', { names, ageBands: 'five_year' });
  const rows: Row[] = [];
  for (const service of completeness.services) {
    const about: Row = {
      ...scalarsOf(service),
      serviceTypeLabel: serviceTypeLabel(service.serviceType),
      areaLabel: names.areas.get(service.area) ?? service.area,
    };
    for (const quarter of service.quarters) {
      rows.push({
        table: 'services',
        ...about,
        ...scalarsOf(quarter),
        periodLabel: describeQuarter(quarter.period),
        timelinessLabel: labelTimeliness(quarter.timeliness),
      });
    }
  }
  for (const [name, count] of Object.entries(completeness.timeliness) as Array<[keyof TimelinessSummary, number]>) {
    const code = snakeCase(name);
    rows.push({ table: 'timeliness', timeliness: code, timelinessLabel: labelTimeliness(code), count });
  }
  for (const field of completeness.fields) rows.push({ table: 'fields', ...scalarsOf(field) });
  for (const field of completeness.recordFields ?? []) rows.push({ table: 'recordFields', ...scalarsOf(field) });
  const columns = withLabels(
    ['table', ...scalarProperties(ServiceCompletenessSchema, QuarterSubmissionSchema), 'count', ...scalarProperties(FieldCompletenessSchema)],
    new Set(['serviceType', 'area', 'period', 'timeliness']),
  );
  return tableOf(columns, rows);
}

/**
 * Overlaps as one table, `table` naming the JSON part a row comes from: `people` (the total),
 * `byServiceCount`, `services`, `pairs` (services `a` and `b`) and `onwardReferrals` (counted in
 * onward referrals, not people: see `unit`).
 */
export function tabulateOverlaps(overlaps: Overlaps, names: Names): CsvTable {
  const serviceName = (id: string) => names.services.get(id) ?? id;
  const serviceTypeLabel = labelDimension('serviceType', { names, ageBands: 'five_year' });
  const people = overlaps.unit;
  const onward = overlaps.onwardReferrals.unit;
  const figures = (published: { value: number | null; status: string }) => ({ value: published.value, ...scalarsOf(published, ['value']) });
  const rows: Row[] = [
    { table: 'people', unit: people, ...figures(overlaps.people) },
    ...overlaps.byServiceCount.map((c) => ({
      table: 'byServiceCount',
      unit: people,
      services: c.services,
      servicesLabel: SERVICE_COUNT_LABELS[c.services] ?? c.services,
      ...figures(c),
    })),
    ...overlaps.services.map((c) => ({ table: 'services', unit: people, service: c.service, serviceLabel: serviceName(c.service), ...figures(c) })),
    ...overlaps.pairs.map((c) => ({ table: 'pairs', unit: people, a: c.a, aLabel: serviceName(c.a), b: c.b, bLabel: serviceName(c.b), ...figures(c) })),
    ...overlaps.onwardReferrals.cells.map((c) => ({
      table: 'onwardReferrals',
      unit: onward,
      serviceType: c.serviceType,
      serviceTypeLabel: serviceTypeLabel(c.serviceType),
      outcome: c.outcome,
      outcomeLabel: ONWARD_OUTCOME_LABELS[c.outcome] ?? c.outcome,
      ...figures(c),
    })),
  ];
  const columns = withLabels(
    ['table', 'unit', 'services', 'service', 'a', 'b', 'serviceType', 'outcome', 'value', 'status'],
    new Set(['services', 'service', 'a', 'b', 'serviceType', 'outcome']),
  );
  return tableOf(columns, rows);
}
