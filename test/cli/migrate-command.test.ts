/**
 * `vawg migrate` run as a deployment runs it (`node bin/vawg.js migrate`, configured by the
 * environment), against a fresh PostgreSQL database and a fresh embedded PGlite directory: every
 * table the service uses exists afterwards, every committed migration is recorded, and a second
 * run changes nothing.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import t from 'tap';
import * as tables from '../../src/db/tables.js';
import { LINKAGE_SECRET, postgresDatabase, selectedBackend } from '../helper.js';
import { makeTempDir } from './cli-helper.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const expectedTables = Object.values(tables)
  .filter((value) => is(value, PgTable))
  .map((table) => getTableName(table))
  .sort();
const journal = JSON.parse(await readFile(path.join(repoRoot, 'migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The bin, as `npm run db:migrate` and a container run it; only the environment given (no developer's DATABASE_URL). */
async function migrate(env: Record<string, string>, args: string[] = []): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/vawg.js', 'migrate', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Where the suite has PostgreSQL (TEST_DATABASE_URL, or Docker for a container); a PGlite-only run skips it.
const postgresReachable = Boolean(process.env.TEST_DATABASE_URL) || selectedBackend() === 'postgres';

t.test('migrates a fresh PostgreSQL database', { skip: postgresReachable ? false : 'no PostgreSQL' }, async (t) => {
  const databaseUrl = await postgresDatabase(t);
  const env = { DATABASE_URL: databaseUrl, VAWG_LINKAGE_SECRET: LINKAGE_SECRET };
  const first = await migrate(env);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /migrations applied \(postgres\)/);

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  t.teardown(() => client.end());
  const present = await client.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`);
  t.same(
    expectedTables.filter((name) => !present.rows.some((row) => row.name === name)),
    [],
    'every table exists',
  );
  const applied = async () => Number((await client.query<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations')).rows[0]!.n);
  t.equal(await applied(), journal.entries.length, 'every committed migration recorded');

  const second = await migrate(env);
  t.equal(second.code, 0, second.stderr);
  t.equal(await applied(), journal.entries.length, 'a second run applies nothing');
});

t.test('migrates a fresh embedded PGlite directory', async (t) => {
  const dataDir = path.join(await makeTempDir(t, 'migrate'), 'data');
  const first = await migrate({ VAWG_DATA_DIR: dataDir });
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /migrations applied \(pglite\)/);
  const second = await migrate({ VAWG_DATA_DIR: dataDir });
  t.equal(second.code, 0, second.stderr);
  // Holds the database and the linkage secret: the owner's alone, as when the server creates it.
  t.equal((await stat(dataDir)).mode & 0o777, 0o700);

  const db = await PGlite.create(path.join(dataDir, 'pglite'));
  t.teardown(() => db.close());
  const present = await db.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public'`);
  t.same(
    expectedTables.filter((name) => !present.rows.some((row) => row.name === name)),
    [],
    'every table exists',
  );
  const applied = await db.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations');
  t.equal(applied.rows[0]!.n, journal.entries.length, 'every committed migration recorded, once');
});

t.test('refuses a bad configuration without touching a database', async (t) => {
  const result = await migrate({ DATABASE_URL: 'postgres://vawg:s3cret-password@127.0.0.1:1/vawg' });
  t.equal(result.code, 1);
  t.match(result.stderr, /VAWG_LINKAGE_SECRET is required/);
  t.notOk(result.stderr.includes('s3cret-password'), 'the password is not echoed');
});

t.test('an unreachable database is exit 1 with the reason, not the connection string', async (t) => {
  const result = await migrate({ DATABASE_URL: 'postgres://vawg:s3cret-password@127.0.0.1:1/vawg', VAWG_LINKAGE_SECRET: LINKAGE_SECRET });
  t.equal(result.code, 1);
  t.match(result.stderr, /ECONNREFUSED/);
  t.notOk(result.stderr.includes('s3cret-password'), 'the password is not echoed');
});

t.test('usage', async (t) => {
  const help = await migrate({}, ['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: vawg migrate/);
  const stray = await migrate({}, ['somebody-s-name']);
  t.equal(stray.code, 2);
  t.match(stray.stderr, /expected no arguments, got 1/);
  t.notOk(stray.stderr.includes('somebody-s-name'), 'a stray argument is not echoed');
});
