import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { admin, buildTestApp, LogCapture, registerService, testConfig } from '../helper.js';
import { makeRecord } from '../support/records.js';

const SLK = 'MIHAR010119802';
const SLK2 = 'ONE2J150319752';
/** An alleged perpetrator's key (1.1.0), on record 2. */
const PERPETRATOR_SLK = 'ROWJO210719751';

function withSlk(i: number, slk: string) {
  const record = makeRecord(i);
  return { ...record, victim: { ...(record.victim as object), linkage: { slk581: slk } } };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}

t.test('no clear SLK in the database or the logs (database in use for this run)', async (t) => {
  const logs = new LogCapture();
  const app = await buildTestApp(t, { logs, config: { logLevel: 'trace' } });
  await registerService(app, 'col-vva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: {
      service: 'col-vva',
      period: '2022-23-Q1',
      records: [
        withSlk(1, SLK),
        { ...withSlk(2, SLK2), perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: 47, linkage: { slk581: PERPETRATOR_SLK } }] },
      ],
    },
  });
  t.equal(res.statusCode, 201);
  const read = await app.inject({ method: 'GET', url: `/v1/returns/${res.json().id}`, headers: admin });
  t.equal(read.statusCode, 200);
  t.notOk(read.body.includes(SLK) || read.body.includes(SLK2) || read.body.includes(PERPETRATOR_SLK), 'GET /v1/returns/{id} returns no key');
  // A rejected return with a key in it must not leak it either.
  await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'col-vva', period: '2022-23-Q1', records: [{ ...withSlk(3, SLK), riskLevel: 'bad' }] },
  });

  const dump = await app.db.execute(sql`select string_agg(t::text, ' ') as text from (select * from records) t`);
  const text = String((dump as unknown as { rows: Array<{ text: string }> }).rows[0]!.text);
  t.ok(text.length > 100, 'the records were read');
  t.notOk(text.includes(SLK) || text.includes(SLK2), 'no clear SLK in any column');
  t.notOk(text.includes(SLK.slice(5, 13)) || text.includes(SLK2.slice(5, 13)), 'no clear date of birth (DDMMYYYY) either');
  t.notOk(text.includes(SLK.slice(0, 5)), 'nor the name letters');
  t.notOk(text.includes(PERPETRATOR_SLK) || text.includes(PERPETRATOR_SLK.slice(5, 13)), "nor the alleged perpetrator's key (records.perpetrators holds none)");
  const perpetrators = await app.db.execute(sql`select string_agg(t::text, ' ') as text from (select * from perpetrator_keys) t`);
  const keys = String((perpetrators as unknown as { rows: Array<{ text: string }> }).rows[0]!.text);
  t.match(keys, /[A-Za-z0-9_-]{43}/, "the perpetrator's key is stored as a token");
  t.notOk(keys.includes(PERPETRATOR_SLK) || keys.includes(PERPETRATOR_SLK.slice(5, 13)), 'and only as tokens');

  const tokens = await app.db.execute(sql`select victim_linkage_slk581_token as token from records order by position`);
  const rows = (tokens as unknown as { rows: Array<{ token: string }> }).rows;
  t.equal(rows.length, 2);
  t.not(rows[0]!.token, rows[1]!.token, 'different keys give different tokens');
  t.match(rows[0]!.token, /^[A-Za-z0-9_-]{43}$/, 'an HMAC-SHA-256 token');

  t.ok(logs.text.length > 0, 'the app logged');
  t.notOk(logs.text.includes(SLK) || logs.text.includes(SLK2) || logs.text.includes(PERPETRATOR_SLK), 'no clear SLK in the logs');
  t.notOk(logs.text.includes(SLK.slice(5, 13)), 'no date of birth in the logs');
  t.notOk(logs.text.includes('test-admin-key'), 'no API key in the logs');
});

t.test('no clear SLK anywhere in the embedded database files', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vawg-privacy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const app = await buildApp(testConfig({ dataDir: dir }));
  await app.ready();
  await registerService(app, 'col-vva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'col-vva', period: '2022-23-Q1', records: [withSlk(1, SLK)] },
  });
  t.equal(res.statusCode, 201);
  await app.close();

  let files = 0;
  let bytes = 0;
  for await (const file of walk(dir)) {
    const content = await readFile(file);
    files += 1;
    bytes += (await stat(file)).size;
    t.notOk(content.includes(SLK), `${path.relative(dir, file)} holds no clear SLK`, { diagnostic: false });
  }
  t.ok(files > 10 && bytes > 1_000_000, `scanned ${files} files`);
  const marker = Buffer.from('REF-00001');
  let found = false;
  for await (const file of walk(dir)) if ((await readFile(file)).includes(marker)) found = true;
  t.ok(found, 'the scan can find what was stored (so the SLK check is meaningful)');
});

t.test('the embedded mode keeps a generated linkage secret and a first admin key in the data folder', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vawg-first-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { loadConfig } = await import('../../src/config.js');
  const config = await loadConfig({ VAWG_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  const again = await loadConfig({ VAWG_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  t.equal(config.linkageSecret, again.linkageSecret, 'the secret is generated once and kept');
  t.equal(((await stat(path.join(dir, 'linkage-secret'))).mode & 0o777).toString(8), '600');

  const app = await buildApp(config);
  await app.ready();
  const key = (await readFile(path.join(dir, 'admin-key'), 'utf8')).trim();
  const res = await app.inject({ method: 'GET', url: '/v1/services', headers: { authorization: `Bearer ${key}` } });
  t.equal(res.statusCode, 200, 'the first admin key works');
  await app.close();
});
