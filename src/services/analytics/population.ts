/**
 * Population denominators for the areas of the services in scope. Each area uses the figure for the
 * year its period starts in, else the latest year before it, else the earliest known.
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { areaPopulations } from '../../db/tables.js';
import type { Scope } from './scope.js';

export interface AreaPopulation {
  area: string;
  year: number;
  total: number;
  adultFemale: number | null;
  byGroup: Record<string, Record<string, number>> | null;
}

export function choosePopulationYear(years: number[], periodStartYear: number): number | undefined {
  const sorted = [...new Set(years)].sort((a, b) => a - b);
  return sorted.filter((y) => y <= periodStartYear).at(-1) ?? sorted[0];
}

/** One entry per area in scope, null where the area has no population figure at all. */
export async function populationsInScope(db: Database, scope: Scope): Promise<Array<{ area: string; population: AreaPopulation | null }>> {
  const areas = [...new Set(scope.services.map((s) => s.area))].sort();
  if (areas.length === 0 || scope.quarters.length === 0) return [];
  const rows = await db.select().from(areaPopulations).where(inArray(areaPopulations.areaCode, areas));
  const startYear = Number(scope.quarters[0]!.financialYear.slice(0, 4));
  return areas.map((area) => {
    const own = rows.filter((r) => r.areaCode === area);
    const year = choosePopulationYear(
      own.map((r) => r.year),
      startYear,
    );
    const row = own.find((r) => r.year === year);
    return {
      area,
      population: row ? { area, year: row.year, total: row.total, adultFemale: row.adultFemale, byGroup: row.byGroup as AreaPopulation['byGroup'] } : null,
    };
  });
}

/**
 * Shares of the population by one grouping (sex, ageBand, ethnicityGroup or minoritisedEthnicity), summed over the areas
 * in scope; null unless every area has that grouping (a partial denominator would skew the shares).
 */
export async function populationShares(db: Database, scope: Scope, dimension: string) {
  const found = await populationsInScope(db, scope);
  if (found.length === 0 || found.some((f) => !f.population?.byGroup?.[dimension])) return null;
  const counts: Record<string, number> = {};
  for (const { population } of found) for (const [code, n] of Object.entries(population!.byGroup![dimension]!)) counts[code] = (counts[code] ?? 0) + n;
  const sum = Object.values(counts).reduce((a, b) => a + b, 0);
  if (sum === 0) return null;
  return {
    areas: found.map((f) => f.area),
    years: found.map((f) => f.population!.year),
    shares: Object.fromEntries(Object.entries(counts).map(([code, n]) => [code, n / sum])),
  };
}
