/**
 * Opens the database: node-postgres when a connection string is given, otherwise the embedded
 * PGlite (in a directory, or in memory for `memory://`). Both are driven through one drizzle type.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { ensurePrivateDir, restrictTree } from '../lib/private-files.js';
import * as tables from './tables.js';

/** How long a request waits for a PostgreSQL connection before it fails as unavailable. */
const CONNECT_TIMEOUT_MS = 5000;

export type Database = PgDatabase<PgQueryResultHKT, typeof tables>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files; `memory://` for a throw-away in-memory database. */
  dataDir: string;
}

/**
 * A node-postgres pool. A bounded wait for a connection: while the database is down a request fails
 * (503) instead of hanging. TCP keepalive: a connection whose peer vanished without a reset (a
 * network partition) is found dead.
 */
function postgresPool(connectionString: string, extra: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...extra,
  });
  // A client losing its connection must not crash the process: idle ones report to the pool, but a
  // checked-out one (drizzle holds one for a whole transaction) emits 'error' on itself, unhandled
  // unless listened to. The failure also reaches the query or transaction using it, which answers
  // 503, and the pool discards the broken client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** What the read pool calls itself on the server, so `pg_stat_activity` tells its sessions apart. */
export const READ_POOL_APPLICATION_NAME = 'vawg-api-read';

export interface ReadDatabaseHandle {
  db: Database;
  close(): Promise<void>;
}

/**
 * The analysts' read pool on a streaming replica (`DATABASE_READ_URL`). Every session is read-only
 * (`default_transaction_read_only`), so a write sent here by mistake fails at once even when the
 * URL points at a server that would accept it, instead of landing on the wrong node.
 */
export function openReadDatabase(readUrl: string): ReadDatabaseHandle {
  const pool = postgresPool(readUrl, { application_name: READ_POOL_APPLICATION_NAME, options: '-c default_transaction_read_only=on' });
  const db = drizzlePg({ client: pool, schema: tables, casing: 'snake_case' }) as unknown as Database;
  return { db, close: () => pool.end() };
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = postgresPool(options.databaseUrl);
    const db = drizzlePg({ client: pool, schema: tables, casing: 'snake_case' }) as unknown as Database;
    return { db, kind: 'postgres', close: () => pool.end() };
  }
  if (options.dataDir === 'memory://') {
    const client = await PGlite.create(options.dataDir);
    const db = drizzlePglite({ client, schema: tables, casing: 'snake_case' }) as unknown as Database;
    return { db, kind: 'pglite', close: () => client.close() };
  }
  // Owner-only, and tightened again after PGlite has unpacked or rewritten its files (see private-files.ts).
  await ensurePrivateDir(path.resolve(options.dataDir));
  const dataDir = path.resolve(options.dataDir, 'pglite');
  await ensurePrivateDir(dataDir);
  const client = await PGlite.create(dataDir);
  await restrictTree(dataDir);
  const db = drizzlePglite({ client, schema: tables, casing: 'snake_case' }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await client.close();
      await restrictTree(dataDir);
    },
  };
}
