/**
 * A PostgreSQL cluster of the test's own, in a temporary directory on a free port, for fault
 * injection: the test may stop it, restart it and kill its backends without touching the
 * machine's cluster (the one at 5432 that every other test file shares). Needs the PostgreSQL 15
 * server binaries; as root, the cluster runs as the `postgres` user, as initdb requires.
 * `startPrivateReplica` adds a streaming hot standby of such a cluster (`pg_basebackup -R`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const BIN = process.env.VAWG_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres: TCP, so a stopped server refuses connections at once. */
  url: string;
  port: number;
  /** A connection string for another database on this cluster. */
  urlOf(database: string): string;
  start(): Promise<void>;
  stop(mode?: StopMode): Promise<void>;
  restart(mode?: StopMode): Promise<void>;
  /** Runs `select pg_terminate_backend(pid) from pg_stat_activity where <filter>` (never this helper's own backend); returns how many it killed. */
  terminateBackends(filter: string): Promise<number>;
  /** One query on a fresh connection (closed afterwards). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  /** Stops the cluster (immediately) and deletes its files. Safe to call twice. */
  destroy(): Promise<void>;
}

export function privatePostgresAvailable(): boolean {
  return existsSync(path.join(BIN, 'initdb')) && existsSync(path.join(BIN, 'pg_ctl'));
}

/** initdb refuses to run as root: the server's programs run as `postgres` then. */
async function asPostgres(program: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const file = path.join(BIN, program);
  if (userInfo().uid === 0) return run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 60_000 });
  return run(file, args, { timeout: 60_000 });
}

async function privateRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vawg-private-pg-'));
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  return root;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = await privateRoot();
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  // No fsync and no sync after initdb: the cluster is thrown away with the test. initdb's pg_hba
  // already trusts replication connections from 127.0.0.1, and wal_level defaults to replica, so
  // the cluster can be the primary of startPrivateReplica without more settings.
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  return startCluster(root, dataDir, port);
}

/**
 * A streaming replica (hot standby) of a private cluster, on a port of its own: a base backup of
 * the primary with `-R` (standby.signal and primary_conninfo written for us), then started.
 */
export async function startPrivateReplica(primary: PrivatePostgres): Promise<PrivatePostgres> {
  const root = await privateRoot();
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  await asPostgres('pg_basebackup', [
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
    '--no-sync',
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
  ]);
  return startCluster(root, dataDir, port);
}

async function startCluster(root: string, dataDir: string, port: number): Promise<PrivatePostgres> {
  const socketDir = root;
  const logFile = path.join(root, 'server.log');
  const options = [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c synchronous_commit=off',
  ].join(' ');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  let destroyed = false;

  const handle: PrivatePostgres = {
    url,
    port,
    urlOf: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await asPostgres('pg_ctl', ['-D', dataDir, '-o', options, '-l', logFile, '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await asPostgres('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async restart(mode = 'fast') {
      await handle.stop(mode);
      await handle.start();
    },
    async terminateBackends(filter) {
      const rows = await handle.query<{ killed: boolean }>(
        `select pg_terminate_backend(pid) as killed from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend' and (${filter})`,
      );
      return rows.filter((r) => r.killed).length;
    },
    async query(sql, params, database = 'postgres') {
      const client = new pg.Client({ connectionString: handle.urlOf(database) });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (running) await handle.stop('immediate').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await handle.start();
  } catch (error) {
    await handle.destroy();
    throw error;
  }
  return handle;
}
