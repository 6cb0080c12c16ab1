/**
 * Owns the database lifecycle: opens PGlite or PostgreSQL, applies pending migrations (waiting a
 * while for a PostgreSQL that is still starting), decorates `app.db`, and closes the connection
 * when the app closes. With `databaseReadUrl` it also opens the analysts' read pool on a streaming
 * replica (`app.readDb`; the same handle as `app.db` without one) and closes it too. Also
 * documents, on every operation that needs the database, the 503 it answers while the database is
 * unreachable.
 */
import type { TSchema } from 'typebox';
import fp from 'fastify-plugin';
import { openDatabase, openReadDatabase, type Database, type DatabaseHandle } from '../db/connect.js';
import { describeDatabaseFailure, isDatabaseUnavailable } from '../db/database-errors.js';
import { migrateDatabase } from '../db/migrate.js';
import { ProblemRef } from '../schema/api/common.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /**
     * Where analytic reads go: a read-only pool on the replica named by DATABASE_READ_URL, else
     * `db` itself. Read-only: anything that writes (audit events included) uses `db`.
     */
    readDb: Database;
    /** True when `readDb` is a separate replica pool. */
    hasReadReplica: boolean;
    databaseKind: 'postgres' | 'pglite';
  }
}

export interface DatabasePluginOptions {
  databaseUrl?: string | undefined;
  databaseReadUrl?: string | undefined;
  dataDir: string;
}

/**
 * A PostgreSQL started beside the service (a container, a reboot) may need a few seconds before it
 * accepts connections. Kept under fastify's 10 s plugin timeout; beyond it the start fails and a
 * supervisor's restart takes over.
 */
const STARTUP_WAIT_MS = 8000;
const STARTUP_RETRY_MS = 1000;

const unavailableResponse = {
  description:
    'The database cannot be reached; retry after `Retry-After` seconds (a submission retried with the same `Idempotency-Key` is never stored twice).',
  headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying.' } },
  content: { 'application/problem+json': { schema: ProblemRef } },
} as unknown as TSchema;

async function migrateWhenReachable(handle: DatabaseHandle, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (;;) {
    try {
      await migrateDatabase(handle);
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() >= deadline) throw err;
      log.warn({ database: describeDatabaseFailure(err) }, 'the database is not reachable yet; waiting for it');
      await new Promise((resolve) => setTimeout(resolve, STARTUP_RETRY_MS));
    }
  }
}

export default fp<DatabasePluginOptions>(
  async (app, options) => {
    // Routes are registered after this plugin: each one behind an API key (the key itself is looked
    // up in the database) lists the 503. Open routes (`security: []`) list it themselves if they need it.
    app.addHook('onRoute', (route) => {
      const schema = route.schema as { security?: unknown[]; response?: Record<string, unknown> } | undefined;
      if (!schema?.response || '503' in schema.response) return;
      if (Array.isArray(schema.security) && schema.security.length === 0) return;
      schema.response = { ...schema.response, 503: unavailableResponse };
    });

    // config.ts refuses DATABASE_READ_URL without DATABASE_URL; this guards a programmatic caller.
    if (options.databaseReadUrl && !options.databaseUrl) throw new Error('a read replica needs a PostgreSQL primary (databaseUrl)');
    const handle = await openDatabase(options);
    try {
      await migrateWhenReachable(handle, app.log);
    } catch (err) {
      await handle.close();
      throw err;
    }
    app.decorate('db', handle.db);
    app.decorate('databaseKind', handle.kind);
    app.addHook('onClose', () => handle.close());

    // The pool connects lazily: a replica down at start does not stop the service; analytic reads
    // answer 503 until it is back, and /ready reports it.
    const read = options.databaseReadUrl ? openReadDatabase(options.databaseReadUrl) : undefined;
    app.decorate('readDb', read ? read.db : handle.db);
    app.decorate('hasReadReplica', read !== undefined);
    if (read) {
      app.addHook('onClose', () => read.close());
      app.log.info('analytic reads go to the read replica (DATABASE_READ_URL)');
    }
  },
  { name: 'database' },
);
