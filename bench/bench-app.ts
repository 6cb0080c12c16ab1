/** A fresh PostgreSQL database and the real app over it, as every database benchmark needs. */
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

/** Drops and creates `name` next to `adminUrl`'s database; returns its URL. */
export async function createBenchDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The app as configured by default (threshold, suppression), over the given database. */
export async function buildBenchApp(databaseUrl: string) {
  const config = await loadConfig({
    DATABASE_URL: databaseUrl,
    VAWG_DATA_DIR: 'memory://',
    VAWG_LINKAGE_SECRET: 'bench-linkage-secret-0123456789abcdef',
    VAWG_BOOTSTRAP_ADMIN_KEY: BENCH_ADMIN_KEY,
    LOG_LEVEL: 'silent',
  });
  const app = await buildApp({ ...config, port: 0 });
  await app.ready();
  return app;
}
