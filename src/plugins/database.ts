/**
 * Owns the database lifecycle: opens PGlite or PostgreSQL, applies pending migrations, decorates
 * `app.db`, and closes the connection when the app closes.
 */
import fp from 'fastify-plugin';
import { openDatabase, type Database } from '../db/connect.js';
import { migrateDatabase } from '../db/migrate.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    databaseKind: 'postgres' | 'pglite';
  }
}

export interface DatabasePluginOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
}

export default fp<DatabasePluginOptions>(
  async (app, options) => {
    const handle = await openDatabase(options);
    try {
      await migrateDatabase(handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
    app.decorate('db', handle.db);
    app.decorate('databaseKind', handle.kind);
    app.addHook('onClose', () => handle.close());
  },
  { name: 'database' },
);
