/**
 * Admin access on start: the configured bootstrap key, or, on a fresh embedded database, a first
 * admin key written to a private file beside the data (never to the log).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/connect.js';
import { createFirstAdminKey, ensureAdminKey, hasActiveAdminKey } from './api-keys.js';

export interface BootstrapOptions {
  bootstrapAdminKey?: string | undefined;
  databaseKind: 'postgres' | 'pglite';
  dataDir: string;
}

export async function bootstrapAdminAccess(db: Database, options: BootstrapOptions, log: FastifyBaseLogger): Promise<void> {
  if (options.bootstrapAdminKey) {
    await ensureAdminKey(db, options.bootstrapAdminKey);
    return;
  }
  if (options.databaseKind !== 'pglite' || options.dataDir === 'memory://' || (await hasActiveAdminKey(db))) return;
  const file = path.resolve(options.dataDir, 'admin-key');
  const key = await createFirstAdminKey(db);
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  log.warn({ file }, 'no admin key existed: a first admin key was written to this file (read it, then delete the file)');
}
