/** Areas (ONS GSS codes) and their populations, the denominators of rates. */
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { areaPopulations, areas, services } from '../db/tables.js';
import { problem } from '../lib/problem.js';
import type { PutArea } from '../schema/api/areas.js';

export async function putArea(db: Database, code: string, input: PutArea) {
  const years = input.population.map((p) => p.year);
  const duplicate = years.findIndex((y, i) => years.indexOf(y) !== i);
  if (duplicate >= 0) {
    throw problem(422, 'validation', 'each population year may appear once', [
      { pointer: `/population/${duplicate}/year`, code: 'duplicate', detail: `year ${years[duplicate]} is listed twice` },
    ]);
  }
  const created = await db.transaction(async (tx) => {
    const existing = await tx.select({ code: areas.code }).from(areas).where(eq(areas.code, code));
    await tx
      .insert(areas)
      .values({ code, name: input.name })
      .onConflictDoUpdate({ target: areas.code, set: { name: input.name, updatedAt: new Date() } });
    await tx.delete(areaPopulations).where(eq(areaPopulations.areaCode, code));
    if (input.population.length > 0) {
      await tx
        .insert(areaPopulations)
        .values(
          input.population.map((p) => ({ areaCode: code, year: p.year, total: p.total, adultFemale: p.adultFemale ?? null, byGroup: p.byGroup ?? null })),
        );
    }
    return existing.length === 0;
  });
  return { created, area: await getArea(db, code) };
}

/**
 * An area analytics can be asked about: registered with its population, or the area of a registered
 * service. Any other code is a mistake (a typo answers 404, not a table of zeros).
 */
export async function isKnownArea(db: Pick<Database, 'select'>, code: string): Promise<boolean> {
  const [registered] = await db.select({ code: areas.code }).from(areas).where(eq(areas.code, code)).limit(1);
  if (registered) return true;
  const [served] = await db.select({ id: services.id }).from(services).where(eq(services.area, code)).limit(1);
  return Boolean(served);
}

export async function getArea(db: Database, code: string) {
  const [area] = await db.select().from(areas).where(eq(areas.code, code));
  if (!area) throw problem(404, 'notFound', `no area ${code}`);
  const population = await db.select().from(areaPopulations).where(eq(areaPopulations.areaCode, code)).orderBy(asc(areaPopulations.year));
  return {
    code: area.code,
    name: area.name,
    updatedAt: area.updatedAt.toISOString(),
    population: population.map((p) => ({
      year: p.year,
      total: p.total,
      ...(p.adultFemale !== null ? { adultFemale: p.adultFemale } : {}),
      ...(p.byGroup ? { byGroup: p.byGroup as Record<string, Record<string, number>> } : {}),
    })),
  };
}
