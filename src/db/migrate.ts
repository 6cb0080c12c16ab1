/**
 * Applies the committed SQL migrations. One migrator for `npm start`, the tests, `npm run
 * db:migrate` and docker-compose.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { findUp } from '../lib/find-up.js';
import type { DatabaseHandle } from './connect.js';

/** The committed migrations, found from `src/` and from a `dist/` build alike. */
export function findMigrationsFolder(start = path.dirname(fileURLToPath(import.meta.url))): string {
  const journal = findUp(path.join('migrations', 'meta', '_journal.json'), start);
  if (!journal) throw new Error('migrations folder not found');
  return path.dirname(path.dirname(journal));
}

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  const migrationsFolder = findMigrationsFolder();
  if (handle.kind === 'postgres') await migratePg(handle.db as unknown as NodePgDatabase, { migrationsFolder });
  else await migratePglite(handle.db as unknown as PgliteDatabase, { migrationsFolder });
}
