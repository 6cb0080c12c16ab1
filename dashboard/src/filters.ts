/**
 * The filter state lives in the address (never the key), so a view can be bookmarked or sent to a
 * colleague who signs in with their own key and sees the same figures.
 */
import type { Query } from './api.js';

export interface Filters {
  year: string;
  from: string;
  to: string;
  area: string;
  serviceType: string;
  service: string;
  /** The measure of the count-measures panel. */
  countMeasure: string;
}

const NAMES: ReadonlyArray<keyof Filters> = ['year', 'from', 'to', 'area', 'serviceType', 'service', 'countMeasure'];

export function readFilters(search: string = location.search): Filters {
  const params = new URLSearchParams(search);
  const filters = Object.fromEntries(NAMES.map((name) => [name, params.get(name) ?? ''])) as unknown as Filters;
  return filters;
}

export function writeFilters(filters: Filters): void {
  const params = new URLSearchParams();
  for (const name of NAMES) if (filters[name]) params.set(name, filters[name]);
  const search = params.toString();
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
}

/** The API's scope parameters: a financial year, or a range of quarters. */
export function scopeQuery(filters: Filters): Query {
  const period = filters.from && filters.to ? { from: filters.from, to: filters.to } : { period: filters.year };
  return { ...period, area: filters.area, serviceType: filters.serviceType, service: filters.service };
}

function shiftQuarter(quarter: string, by: number): string {
  const match = /^(\d{4})-\d{2}-Q([1-4])$/.exec(quarter)!;
  const index = Number(match[1]) * 4 + Number(match[2]) - 1 + by;
  const year = Math.floor(index / 4);
  return `${year}-${String((year + 1) % 100).padStart(2, '0')}-Q${(index % 4) + 1}`;
}

function quartersBetween(from: string, to: string): number {
  const index = (q: string) => {
    const m = /^(\d{4})-\d{2}-Q([1-4])$/.exec(q)!;
    return Number(m[1]) * 4 + Number(m[2]);
  };
  return index(to) - index(from) + 1;
}

/** The period just before the one in scope, of the same length: the year before, or the range before. */
export function previousScopeQuery(filters: Filters): Query | null {
  const rest = { area: filters.area, serviceType: filters.serviceType, service: filters.service };
  if (filters.from && filters.to) {
    const length = quartersBetween(filters.from, filters.to);
    if (length < 1) return null;
    return { from: shiftQuarter(filters.from, -length), to: shiftQuarter(filters.to, -length), ...rest };
  }
  const match = /^(\d{4})-\d{2}$/.exec(filters.year);
  if (!match) return null;
  const start = Number(match[1]) - 1;
  return { period: `${start}-${String((start + 1) % 100).padStart(2, '0')}`, ...rest };
}
