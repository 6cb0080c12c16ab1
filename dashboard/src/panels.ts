/**
 * The panels, as data: each names the API call it makes and turns the answer into one table. What a
 * panel counts (referrals or people) and its disclosure rule come from the API's own answer.
 */
import { getJson, type Query } from './api.js';
import { labelOfQuarter, type LabelOf } from './labels.js';
import type { Cell, PanelTable } from './table.js';
import type { Aggregate, Completeness, Counts, Disclosure, Indicator, Indicators, LinkageCurrency, Overlaps, PublishedValue } from './types.js';

export interface PanelContext {
  scope: Query;
  /** The period before, of the same length (for the change column), or null. */
  previousScope: Query | null;
  labelOf: LabelOf;
  countMeasure: string;
  areaName(code: string): string;
}

export interface PanelData {
  table: PanelTable;
  /** What the figures count, in the API's words. */
  counts: string;
  disclosure: Disclosure;
  /** The table's series drawn in the chart (none: a table only). */
  chartSeries: number[];
}

export interface PanelSpec {
  name: string;
  title: string;
  load(context: PanelContext): Promise<PanelData>;
}

const cellOf = (value: PublishedValue, text?: string): Cell => ({ value: value.value, status: value.status, ...(text !== undefined ? { text } : {}) });

function percentText(fraction: number | null | undefined): string | undefined {
  return fraction === null || fraction === undefined ? undefined : `${(fraction * 100).toFixed(1)}%`;
}

async function aggregate(scope: Query, measure: string, groupBy: string, extra: Query = {}): Promise<Aggregate> {
  return getJson<Aggregate>('/v1/aggregates', { ...scope, measure, groupBy, ...extra });
}

/** A breakdown by one dimension: a row per code, labelled from the dataset. */
function breakdownPanel(name: string, title: string, dimension: string, measure: 'referrals' | 'people', extra: Query = {}): PanelSpec {
  return {
    name,
    title,
    async load({ scope, labelOf }) {
      const answer = await aggregate(scope, measure, dimension, extra);
      const withPopulation = answer.cells.some((c) => c.populationShare !== undefined && c.populationShare !== null);
      const heading = measure === 'people' ? 'People' : 'Referrals';
      const rowHeading = title
        .replace(/^By /, '')
        .replace(/,.*$/, '')
        .replace(/^./, (c) => c.toUpperCase());
      if (!withPopulation)
        return {
          table: { rowHeading, series: [heading], rows: answer.cells.map((c) => ({ label: labelOf(dimension, c.key[dimension] ?? ''), cells: [cellOf(c)] })) },
          counts: `${answer.unit}${linkageNote(answer.linkage)}`,
          disclosure: answer.disclosure,
          chartSeries: [0],
        };
      // Against the population: each group's share of the published total beside its share of the area's residents.
      const total = answer.totals.overall.status === 'ok' ? answer.totals.overall.value : null;
      const shareOf = (c: PublishedValue): Cell =>
        c.status !== 'ok' || c.value === null || !total
          ? { value: null, status: c.status === 'suppressed' || answer.totals.overall.status === 'suppressed' ? 'suppressed' : 'not_available' }
          : { value: (c.value / total) * 100, status: 'ok', text: percentText(c.value / total) };
      return {
        table: {
          rowHeading,
          series: [heading, `Share of ${heading.toLowerCase()}`, "Share of the area's population"],
          rows: answer.cells.map((c) => ({
            label: labelOf(dimension, c.key[dimension] ?? ''),
            cells: [
              cellOf(c),
              shareOf(c),
              c.populationShare === null || c.populationShare === undefined
                ? { value: null, status: 'not_available' }
                : { value: c.populationShare * 100, status: 'ok', text: percentText(c.populationShare) },
            ],
          })),
        },
        counts: `${answer.unit}, and the share of each group among them and among the area's residents (percentages)${linkageNote(answer.linkage)}`,
        disclosure: answer.disclosure,
        chartSeries: [1, 2],
      };
    },
  };
}

function indicatorText(indicator: Indicator | undefined): Cell {
  if (!indicator) return { value: null, status: 'not_available' };
  const text = indicator.unit === 'rate' && indicator.percent !== null && indicator.percent !== undefined ? `${indicator.percent}%` : undefined;
  return { value: indicator.value, status: indicator.status, ...(text !== undefined && indicator.status === 'ok' ? { text } : {}) };
}

/** The change from the previous period: percentage points for rates, a percentage for counts. */
function changeOf(now: Indicator, before: Indicator | undefined): Cell {
  if (!before || now.status !== 'ok' || before.status !== 'ok' || now.value === null || before.value === null)
    return { value: null, status: now.status === 'suppressed' || before?.status === 'suppressed' ? 'suppressed' : 'not_available' };
  const sign = (n: number) => (n > 0 ? '+' : n < 0 ? '−' : '±');
  if (now.unit === 'rate') {
    const points = (now.value - before.value) * 100;
    return { value: points, status: 'ok', text: `${sign(points)}${Math.abs(points).toFixed(1)} points` };
  }
  if (before.value === 0) return { value: null, status: 'not_available' };
  const change = ((now.value - before.value) / before.value) * 100;
  return { value: change, status: 'ok', text: `${sign(change)}${Math.abs(change).toFixed(1)}%` };
}

/** What a panel counting people adds while linkage has returns to catch up on, in the API's terms. */
export function linkageNote(linkage: LinkageCurrency | undefined): string {
  if (!linkage || linkage.current) return '';
  const waiting = linkage.pendingReturns + linkage.failedReturns;
  return `; ${waiting} return${waiting === 1 ? ' is' : 's are'} still to be linked, so until then some people may be counted more than once`;
}

const SERVICE_COUNT_LABELS: Record<string, string> = { '1': 'One service', '2': 'Two services', '3': 'Three services', '4+': 'Four or more services' };

export const panels: readonly PanelSpec[] = [
  {
    name: 'referrals-by-quarter',
    title: 'Referrals and people by quarter',
    async load({ scope }) {
      const [referrals, people] = await Promise.all([aggregate(scope, 'referrals', 'period'), aggregate(scope, 'people', 'period')]);
      const byQuarter = (answer: Aggregate, quarter: string): Cell => {
        const cell = answer.cells.find((c) => c.key.period === quarter);
        return cell ? cellOf(cell) : { value: 0, status: 'ok' };
      };
      return {
        table: {
          rowHeading: 'Quarter',
          series: ['Referrals', 'People'],
          rows: referrals.period.quarters.map((q) => ({ label: labelOfQuarter(q), cells: [byQuarter(referrals, q), byQuarter(people, q)] })),
        },
        counts: `referrals (records), and ${people.unit}, in each quarter (a person referred in two quarters is counted in each)${linkageNote(people.linkage)}`,
        disclosure: referrals.disclosure,
        chartSeries: [0, 1],
      };
    },
  },
  {
    name: 'indicators',
    title: 'Indicators, with the change from the previous period',
    async load({ scope, previousScope }) {
      const [now, before] = await Promise.all([
        getJson<Indicators>('/v1/indicators', scope),
        // A period before is null when nothing is held for it: the columns then say not available.
        previousScope ? getJson<Indicators>('/v1/indicators', previousScope).catch(() => null) : Promise.resolve(null),
      ]);
      const previous = new Map((before?.indicators ?? []).map((i) => [i.id, i]));
      return {
        table: {
          rowHeading: 'Indicator',
          series: ['Value', 'Previous period', 'Change'],
          rows: now.indicators.map((i) => ({
            id: i.id,
            label: i.label,
            cells: [indicatorText(i), indicatorText(previous.get(i.id)), changeOf(i, previous.get(i.id))],
          })),
        },
        counts: `each indicator states its own unit (referrals, people or a rate); rates are shown as percentages${linkageNote(now.linkage)}`,
        disclosure: now.disclosure,
        chartSeries: [],
      };
    },
  },
  breakdownPanel('vawg-type', 'By form of VAWG', 'vawgType', 'referrals'),
  breakdownPanel('risk-level', 'By risk level', 'riskLevel', 'referrals'),
  breakdownPanel('referral-source', 'By referral source', 'referralSource', 'referrals'),
  breakdownPanel('relationship-to-area', 'By resident, worker or visitor', 'relationshipToArea', 'people'),
  breakdownPanel('residence', 'By residence', 'residence', 'people'),
  breakdownPanel('ethnic-group', "By ethnic group, against the area's population", 'ethnicityGroup', 'people'),
  breakdownPanel('age-band', 'By age band', 'ageBand', 'people', { ageBands: 'marac' }),
  breakdownPanel('sex', 'By sex', 'sex', 'people'),
  breakdownPanel('disability', 'By disability', 'disability', 'people'),
  breakdownPanel('lgbt-plus', 'LGBT+', 'lgbtPlus', 'people'),
  {
    name: 'services-per-person',
    title: 'People seen by one, two or more services',
    async load({ scope }) {
      const answer = await getJson<Overlaps>('/v1/overlaps', scope);
      return {
        table: {
          rowHeading: 'Services',
          series: ['People'],
          rows: answer.byServiceCount.map((c) => ({ label: SERVICE_COUNT_LABELS[c.services] ?? `${c.services} services`, cells: [cellOf(c)] })),
        },
        counts: `${answer.unit}${linkageNote(answer.linkage)}`,
        disclosure: answer.disclosure,
        chartSeries: [0],
      };
    },
  },
  {
    name: 'completeness',
    title: 'Returns received, by service and quarter',
    async load({ scope }) {
      const answer = await getJson<Completeness>('/v1/completeness', scope);
      const quarters = [...new Set(answer.services.flatMap((s) => s.quarters.map((q) => q.period)))].sort();
      return {
        table: {
          rowHeading: 'Service',
          series: quarters.map(labelOfQuarter),
          rows: answer.services.map((s) => ({
            label: s.name,
            cells: quarters.map((period): Cell => {
              const q = s.quarters.find((x) => x.period === period);
              if (!q || !q.submitted) return { value: null, status: 'not_available', text: q?.expected === false ? 'not expected' : 'not received' };
              const status = q.status ?? 'ok';
              const late = q.timeliness === 'late' ? ' (late)' : '';
              // A service reporting totals sends no records: its cells are told apart from referrals.
              if (q.kind === 'counts') return { value: null, status: 'not_available', text: `${q.cellCount ?? 0} counts${late}` };
              return { value: q.recordCount, status, ...(status === 'ok' && q.recordCount !== null ? { text: `${q.recordCount}${late}` } : {}) };
            }),
          })),
        },
        counts:
          "referrals (records) in each service's current return for the quarter, or for a service reporting totals the counts in its count return; not received where nothing has arrived",
        disclosure: answer.disclosure,
        chartSeries: quarters.map((_, i) => i),
      };
    },
  },
  breakdownPanel('outcomes', 'Outcomes at closure', 'closureReason', 'referrals', { basis: 'closure' }),
  {
    name: 'counts-per-1000',
    title: 'Count measures per 1,000 population',
    async load({ scope, countMeasure, areaName }) {
      const answer = await getJson<Counts>('/v1/counts', { ...scope, measure: countMeasure, groupBy: 'area' });
      const year = answer.cells.find((c) => c.populationYear !== undefined)?.populationYear;
      return {
        table: {
          rowHeading: 'Area',
          series: [answer.label, `Per 1,000 population${year ? ` (${year})` : ''}`],
          rows: answer.cells.map((c) => ({
            label: areaName(c.key.area ?? ''),
            cells: [
              cellOf(c),
              c.ratePer1000 === undefined || c.ratePer1000 === null
                ? { value: null, status: c.status === 'suppressed' ? 'suppressed' : 'not_available' }
                : { value: c.ratePer1000, status: 'ok', text: c.ratePer1000.toFixed(1) },
            ],
          })),
        },
        counts: `${answer.unit} reported as totals by the services in scope, and per 1,000 residents of the area`,
        disclosure: answer.disclosure,
        chartSeries: [1],
      };
    },
  },
];
