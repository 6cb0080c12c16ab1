/** An aggregate as CSV: one row per cell, the grouping dimensions first. */
import { stringify } from 'csv-stringify/sync';
import type { Aggregate } from './aggregates.js';

export function formatAggregateCsv(aggregate: Aggregate): string {
  const withPopulation = aggregate.cells.some((c) => 'populationShare' in c);
  const header = [...aggregate.groupBy, aggregate.measure, 'status', ...(withPopulation ? ['populationShare', 'representation'] : [])];
  const rows = aggregate.cells.map((cell) => {
    const extra = cell as { populationShare?: number | null; representation?: number | null };
    return [
      ...aggregate.groupBy.map((d) => cell.key[d]),
      cell.value ?? '',
      cell.status,
      ...(withPopulation ? [extra.populationShare ?? '', extra.representation ?? ''] : []),
    ];
  });
  if (aggregate.groupBy.length === 0) rows.push([aggregate.totals.overall.value ?? '', aggregate.totals.overall.status]);
  return stringify([header, ...rows], { record_delimiter: 'windows' });
}
