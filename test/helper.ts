/**
 * Builds the real app for a test against a real database:
 * - `TEST_DATABASE_URL` set: a fresh PostgreSQL database per test file, dropped afterwards;
 * - else, where Docker works: a PostgreSQL testcontainer;
 * - else: embedded PGlite in memory.
 * `VAWG_TEST_BACKEND=pglite` forces PGlite (CI runs the suite on both).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import pg from 'pg';
import type { Test } from 'tap';
import { buildApp, type App } from '../src/app.js';
import { resolveUploadDir, type Config } from '../src/config.js';
import { DEFAULT_THRESHOLD } from '../src/services/linkage/match-threshold.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const LINKAGE_SECRET = 'test-linkage-secret-0123456789abcdef';

export type Backend = 'postgres' | 'pglite';

export function selectedBackend(): Backend {
  if (process.env.VAWG_TEST_BACKEND === 'pglite') return 'pglite';
  if (process.env.TEST_DATABASE_URL || dockerAvailable()) return 'postgres';
  return 'pglite';
}

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** A PostgreSQL database of this test file's own, so test files run in parallel without sharing rows. */
export async function postgresDatabase(t: Test): Promise<string> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    t.teardown(() => container.stop());
    adminUrl = container.getConnectionUri();
  }
  const name = `vawg_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: 'memory://',
    linkageSecret: LINKAGE_SECRET,
    bootstrapAdminKey: ADMIN_KEY,
    logLevel: 'silent',
    suppressBelow: 5,
    bodyLimitBytes: 100 * 1024 * 1024,
    matchThreshold: DEFAULT_THRESHOLD,
    // Tests read persons right after a 201, so they wait for them; test/routes/linkage-queue.test.ts covers background and none.
    linkageMode: 'inline',
    linkagePollMs: 200,
    // A re-estimation in the background would move persons under a test's assertions; linkage-queue.test.ts turns it on.
    linkageReestimate: 'off',
    linkageRetryMs: 20,
    asyncReturnBytes: 10 * 1024 * 1024,
    idempotencyTtlHours: 24,
    uploadDir: resolveUploadDir('memory://'),
    requestTimeoutMs: 300_000,
    idleTimeoutMs: 30_000,
    maxConnections: 512,
    authFailuresPerMinute: 20,
    requestsPerMinutePerKey: 3000,
    ...overrides,
  };
}

/** Collects every log line the app writes. */
export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.lines.push(chunk.toString());
    callback();
  }
  get text() {
    return this.lines.join('');
  }
}

export interface TestAppOptions {
  config?: Partial<Config>;
  logs?: LogCapture;
  backend?: Backend;
}

export async function buildTestApp(t: Test, options: TestAppOptions = {}): Promise<App> {
  const backend = options.backend ?? selectedBackend();
  const databaseUrl = backend === 'postgres' ? await postgresDatabase(t) : undefined;
  const app = await buildApp(
    testConfig({ databaseUrl, ...(options.logs ? { logLevel: 'info' } : {}), ...options.config }),
    options.logs ? { logStream: options.logs } : {},
  );
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

export const admin = { authorization: `Bearer ${ADMIN_KEY}` };

export function bearer(key: string) {
  return { authorization: `Bearer ${key}` };
}

/** Registers a service as admin and returns its id. */
export async function registerService(app: App, id: string, serviceType = 'vva', area = 'E09000001'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/services', headers: admin, payload: { id, name: `Service ${id}`, serviceType, area } });
  if (res.statusCode !== 201) throw new Error(`registering ${id}: ${res.statusCode} ${res.body}`);
  return id;
}

/** Creates an API key as admin and returns the key. */
export async function createKey(app: App, role: 'admin' | 'provider' | 'analyst', services?: string[]): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: admin,
    payload: { role, label: `test ${role}`, ...(services ? { services } : {}) },
  });
  if (res.statusCode !== 201) throw new Error(`creating key: ${res.statusCode} ${res.body}`);
  return res.json().key as string;
}
