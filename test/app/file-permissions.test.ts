/**
 * The embedded database, the linkage secret, the first admin key and uploads are the service
 * user's alone: folders 0700, files 0600, on a fresh start and for a data folder an older version
 * left readable; and the server process runs with umask 077.
 */
import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/connect.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecords } from '../support/records.js';
import { startServerProcess } from '../support/server-process.js';

interface Entry {
  path: string;
  mode: number;
  dir: boolean;
}

async function entries(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (at: string) => {
    const info = await lstat(at);
    out.push({ path: path.relative(root, at) || '.', mode: info.mode & 0o777, dir: info.isDirectory() });
    if (info.isDirectory()) for (const name of await readdir(at)) await visit(path.join(at, name));
  };
  await visit(root);
  return out;
}

/** Everything anyone but the owner could read, write or enter. */
const open = (list: Entry[]) => list.filter((e) => e.mode & 0o077).map((e) => `${e.path} ${e.mode.toString(8)}`);
const modeOf = async (file: string) => ((await lstat(file)).mode & 0o777).toString(8);

t.test('a fresh embedded start keeps everything owner-only', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vawg-modes-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const dir = path.join(root, 'data');
  const env = { VAWG_DATA_DIR: dir, LOG_LEVEL: 'silent' };
  const config = await loadConfig(env);
  t.equal(await modeOf(dir), '700', 'data/ is created 0700');
  t.equal(await modeOf(path.join(dir, 'linkage-secret')), '600', 'the generated secret is 0600');
  // PGlite's first open unpacks its initial database (the slow part, past the app's plugin timeout on a
  // busy machine), so it is opened as the database plugin opens it, then the app starts on it.
  const fresh = await openDatabase({ dataDir: dir });
  t.same(open(await entries(dir)), [], 'nothing readable by others once PGlite has created its files');
  await fresh.close();
  const app = await buildApp(config);
  await app.ready();
  const auth = { authorization: `Bearer ${(await readFile(path.join(dir, 'admin-key'), 'utf8')).trim()}` };
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/services', headers: auth, payload: { id: 'col-vva', name: 'VVA', serviceType: 'vva', area: 'E09000001' } }))
      .statusCode,
    201,
  );
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns?service=col-vva&period=2022-23-Q1',
    headers: { ...auth, 'content-type': 'text/csv' },
    payload: recordsToCsv(makeRecords(20)),
  });
  t.equal(res.statusCode, 201, 'a CSV return (spooled to the upload folder) was stored');

  const running = await entries(dir);
  t.ok(running.length > 500, `${running.length} files and folders while running`);
  t.equal(await modeOf(dir), '700', 'data/ is 0700');
  t.equal(await modeOf(path.join(dir, 'pglite')), '700', 'data/pglite/ is 0700');
  t.same(
    running.filter((e) => e.dir && e.mode !== 0o700).map((e) => e.path),
    [],
    'every folder is 0700 while running',
  );
  t.equal(await modeOf(path.join(dir, 'linkage-secret')), '600', 'linkage-secret is 0600');
  t.equal(await modeOf(path.join(dir, 'admin-key')), '600', 'admin-key is 0600');
  if (running.some((e) => e.path === 'uploads')) t.equal(await modeOf(path.join(dir, 'uploads')), '700', 'uploads/ is 0700');
  t.same(open(running), [], 'no file readable by others while running');

  await app.close();
  t.same(open(await entries(dir)), [], 'nothing readable by others after close');
});

t.test('a data folder an older version left readable is tightened at start', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vawg-modes-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const dir = path.join(root, 'data');
  const env = { VAWG_DATA_DIR: dir, LOG_LEVEL: 'silent' };
  // The database opened as buildApp opens it (the database plugin), without the app's plugin timeout.
  await loadConfig(env);
  await (await openDatabase({ dataDir: dir })).close();
  // What the previous release left: folders 0755, database files 0666, the secret 0644.
  for (const entry of await entries(dir)) await chmod(path.join(dir, entry.path), entry.dir ? 0o755 : 0o666);
  await chmod(path.join(dir, 'linkage-secret'), 0o644);
  t.ok(open(await entries(dir)).length > 500, 'the folder was made readable');

  await loadConfig(env);
  const handle = await openDatabase({ dataDir: dir });
  t.teardown(() => handle.close());
  t.same(open(await entries(dir)), [], 'nothing readable by others once opened');
  t.equal(await modeOf(dir), '700', 'data/ is 0700 again');
  t.equal(await modeOf(path.join(dir, 'linkage-secret')), '600', 'the secret is 0600 again');
});

t.test('the server process runs with umask 077', async (t) => {
  const server = await startServerProcess({ VAWG_DATA_DIR: 'memory://' });
  t.teardown(() => server.kill());
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  t.equal(/Umask:\s+(\d+)/.exec(status)?.[1], '0077');
});
