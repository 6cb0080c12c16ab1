/** The registry of services that submit returns. */
import { asc } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { services } from '../db/tables.js';
import { problem } from '../lib/problem.js';
import type { CreateService } from '../schema/api/services.js';

function toApi(row: typeof services.$inferSelect) {
  return { id: row.id, name: row.name, serviceType: row.serviceType, area: row.area, createdAt: row.createdAt.toISOString() };
}

export async function createService(db: Database, input: CreateService) {
  const [row] = await db.insert(services).values(input).onConflictDoNothing().returning();
  if (!row) throw problem(409, 'conflict', `service ${input.id} is already registered`);
  return toApi(row);
}

export async function listServices(db: Database) {
  const rows = await db.select().from(services).orderBy(asc(services.id));
  return { items: rows.map(toApi) };
}
