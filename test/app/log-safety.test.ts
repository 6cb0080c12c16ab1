/**
 * Nothing of a record, an SLK, a linkage token, an API key or a key hash reaches the log, at debug
 * level, whatever goes wrong: malformed CSV, invalid records, a NUL byte, bad and revoked keys,
 * analysts' filters in the query string, and database failures in the middle of an insert or a
 * key lookup (a held lock and a cancelled statement, PostgreSQL only).
 */
import { createHash, randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import t from 'tap';
import { buildApp, type App } from '../../src/app.js';
import { describeDatabaseFailure } from '../../src/db/database-errors.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';
import { ADMIN_KEY, admin, bearer, createKey, LogCapture, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';

const run = randomBytes(4).toString('hex').toUpperCase();
/** Referral ids that can only appear in the log if a record leaked. */
const marker = (i: number) => `LEAKMARK${run}${String(i).padStart(3, '0')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Valid SLK-581s (letters, DDMMYYYY, sex), one per record. */
const SLKS = ['MIHAR010119802', 'ONE2J150319752', 'ITHOM230419911', 'RDBRO301219842', 'NEAYL110720001', 'ALMAR050519722', 'UCHEN190919881'];
/** An alleged perpetrator's SLK-581 (1.1.0): tokenised and linked like a victim's, and as secret. */
const PERPETRATOR_SLK = 'ROWJO210719751';
const withPerpetratorKey = { perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: 47, linkage: { slk581: PERPETRATOR_SLK } }] };

function record(i: number, slk: string, overrides: Record<string, unknown> = {}) {
  const base = makeRecord(i, '2022-23-Q1', { referralId: marker(i) });
  return { ...base, victim: { ...(base.victim as object), linkage: { slk581: slk } }, ...overrides };
}

function rowsOf(result: unknown): Array<Record<string, unknown>> {
  return (result as { rows: Array<Record<string, unknown>> }).rows;
}

/** Waits until a statement starting with `prefix` waits on a lock, then cancels it. */
async function cancelWhenWaiting(client: pg.Client, prefix: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query<{ cancelled: boolean }>(
      `select pg_cancel_backend(pid) as cancelled from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock' and query like $1`,
      [`${prefix}%`],
    );
    if (rows.some((r) => r.cancelled)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

t.test('nothing secret in the log at debug level, whatever goes wrong', async (t) => {
  const backend = selectedBackend();
  const databaseUrl = backend === 'postgres' ? await postgresDatabase(t) : undefined;
  const logs = new LogCapture();
  const app: App = await buildApp(testConfig({ databaseUrl, logLevel: 'debug' }), { logStream: logs });
  await app.ready();
  t.teardown(() => app.close());

  const secrets = new Map<string, string>();
  const secret = (label: string, value: string) => secrets.set(value, label);
  SLKS.forEach((slk, i) => secret(`SLK ${i}`, slk));
  secret("an alleged perpetrator's SLK", PERPETRATOR_SLK);
  const presentedKeys: string[] = [ADMIN_KEY];

  await registerService(app, 'col-vva');
  const provider = await createKey(app, 'provider', ['col-vva']);
  const analyst = await createKey(app, 'analyst');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: admin,
    payload: { role: 'provider', label: 'to revoke', services: ['col-vva'] },
  });
  const revoked = created.json().key as string;
  presentedKeys.push(provider, analyst, revoked);
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${created.json().id}`, headers: admin })).statusCode, 204);

  const json = (records: unknown[], headers = bearer(provider)) =>
    app.inject({ method: 'POST', url: '/v1/returns', headers, payload: { service: 'col-vva', period: '2022-23-Q1', records } });
  const csv = (body: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q1',
      headers: { ...bearer(provider), 'content-type': 'text/csv' },
      payload: body,
    });
  const statuses: Record<string, number> = {};

  await t.test('a valid return is stored (its tokens are what the log must not hold)', async (t) => {
    const res = await json([record(1, SLKS[0]!), record(2, SLKS[1]!, withPerpetratorKey)]);
    t.equal(res.statusCode, 201, res.body);
    for (let i = 1; i <= 2; i++) secret(`referralId ${i}`, marker(i));
    const read = await app.inject({ method: 'GET', url: `/v1/returns/${res.json().id}`, headers: admin });
    t.equal(read.statusCode, 200);
  });

  await t.test('a CSV with a stray quote in the SLK cell', async () => {
    const rows = [record(10, SLKS[2]!), record(11, SLKS[3]!)];
    secret('referralId 10', marker(10));
    secret('referralId 11', marker(11));
    const text = recordsToCsv(rows);
    // Mid-cell (csv-parse's "Invalid Opening Quote … value is …") and at the start of a cell (never closed).
    const mid = text.replace(SLKS[2]!, `${SLKS[2]!.slice(0, 9)}"${SLKS[2]!.slice(9)}`);
    secret('SLK cell before the stray quote', SLKS[2]!.slice(0, 9));
    statuses['stray quote mid-cell'] = (await csv(mid)).statusCode;
    statuses['stray quote opening a cell'] = (await csv(text.replace(SLKS[3]!, `"${SLKS[3]!}`))).statusCode;
  });

  await t.test('a CSV without its header row', async () => {
    const text = recordsToCsv([record(20, SLKS[4]!), record(21, SLKS[5]!)]);
    secret('referralId 20', marker(20));
    secret('referralId 21', marker(21));
    statuses['no header row'] = (await csv(text.slice(text.indexOf('\n') + 1))).statusCode;
  });

  await t.test('a JSON return with invalid records', async () => {
    secret('referralId 30', marker(30));
    secret('referralId 31', marker(31));
    const bad = [record(30, SLKS[6]!, { riskLevel: marker(30) }), record(31, `${SLKS[6]!}X`, { childrenInHousehold: marker(31) })];
    secret('invalid SLK', `${SLKS[6]!}X`);
    statuses['invalid records'] = (await json(bad)).statusCode;
  });

  await t.test('a NUL byte in a field', async () => {
    secret('referralId 40', marker(40));
    statuses['NUL in JSON'] = (await json([record(40, SLKS[0]!, { referralId: `${marker(40)}\u0000x` })])).statusCode;
    secret('referralId 41', marker(41));
    const text = recordsToCsv([record(41, SLKS[1]!)]).replace(marker(41), `${marker(41)}\u0000`);
    statuses['NUL in CSV'] = (await csv(text)).statusCode;
  });

  await t.test('bad, malformed and revoked keys are refused', async (t) => {
    const bad = `vawg_${randomBytes(24).toString('base64url')}`;
    presentedKeys.push(bad);
    t.equal((await app.inject({ method: 'GET', url: '/v1/returns', headers: bearer(bad) })).statusCode, 401);
    t.equal((await app.inject({ method: 'GET', url: '/v1/returns', headers: bearer(revoked) })).statusCode, 401, 'revoked');
    const odd = `${marker(50)} extra`;
    presentedKeys.push(odd);
    t.equal((await app.inject({ method: 'GET', url: '/v1/returns', headers: { authorization: `Bearer ${odd}` } })).statusCode, 401);
    t.equal((await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst) })).statusCode < 500, true);
  });

  await t.test('an analyst query with filters in the query string', async (t) => {
    const filter = marker(60);
    secret('query-string filter', filter);
    const res = await app.inject({ method: 'GET', url: `/v1/aggregates?period=2022-23-Q1&service=${filter}&groupBy=riskLevel`, headers: bearer(analyst) });
    t.ok(res.statusCode < 500, `answered ${res.statusCode}`);
    await app.inject({ method: 'GET', url: `/v1/no-such-route?referralId=${marker(61)}`, headers: bearer(analyst) });
    secret('query string of an unknown route', marker(61));
    t.notOk(logs.text.includes('groupBy='), 'no query string at all in the request lines');
  });

  await t.test('database errors quoting a value (invalid input, duplicate key) are logged without it', async (t) => {
    const value = marker(70);
    secret('value cast to integer', value);
    const cast = await app.db.execute(sql`select ${value}::int as n`).catch((err: unknown) => err);
    app.log.error({ err: cast }, 'cast failed');
    app.log.error(cast as Error);
    app.log.error({ failure: describeDatabaseFailure(cast) }, 'cast failed, as the job runner logs it');
    await app.db.execute(sql`insert into services (id, name, service_type, area) values (${marker(71)}, 'x', 'vva', 'E09000001')`);
    const duplicate = await app.db
      .execute(sql`insert into services (id, name, service_type, area) values (${marker(71)}, 'x', 'vva', 'E09000001')`)
      .catch((err: unknown) => err);
    secret('duplicate key', marker(71));
    app.log.error({ err: duplicate }, 'duplicate failed');
    // csv-parse quotes the cell in its message and keeps the parsed record on the error.
    const cell = marker(72);
    secret('a cell quoted by the CSV parser', cell);
    try {
      parse(`a,b\n1,${cell}"x\n`);
    } catch (err) {
      app.log.error({ err }, 'csv failed');
    }
    t.match(logs.text, /"code":"INVALID_OPENING_QUOTE"/, 'the CSV error is logged with its code');
    t.match(logs.text, /"code":"22P02"/, 'the invalid-input error is logged with its code');
    t.match(logs.text, /"code":"23505".*"constraint":"services_pkey"/, 'the duplicate key is logged with its code and constraint');
  });

  await t.test(
    'a failed insert and a failed key lookup (lock held, statement cancelled)',
    { skip: backend !== 'postgres' && 'needs PostgreSQL (pg_cancel_backend)' },
    async (t) => {
      // Two connections: pg_stat_activity is read once per transaction, so the watcher is not the locker.
      const locker = new pg.Client({ connectionString: databaseUrl });
      const watcher = new pg.Client({ connectionString: databaseUrl });
      await Promise.all([locker.connect(), watcher.connect()]);
      t.teardown(() => Promise.all([locker.end(), watcher.end()]));

      secret('referralId 80', marker(80));
      secret('referralId 81', marker(81));
      await locker.query('begin');
      await locker.query('lock table records in exclusive mode');
      const pending = json([record(80, SLKS[2]!), record(81, SLKS[3]!)]);
      t.ok(await cancelWhenWaiting(watcher, 'copy "records"'), 'the insert (a COPY) waited on the lock and was cancelled');
      await locker.query('rollback');
      const res = await pending;
      t.equal(res.statusCode, 500, 'a database failure is a 500');
      t.match(logs.text, /query failed: copy \\"records\\"/, 'the log names the failed statement');
      t.match(logs.text, /"code":"57014"/, 'and the cause, canceled by user request');

      const presented = `vawg_${randomBytes(24).toString('base64url')}`;
      presentedKeys.push(presented);
      await locker.query('begin');
      await locker.query('lock table api_keys in access exclusive mode');
      const lookup = app.inject({ method: 'GET', url: '/v1/returns', headers: bearer(presented) });
      t.ok(await cancelWhenWaiting(watcher, 'select'), 'the key lookup waited on the lock and was cancelled');
      await locker.query('rollback');
      t.equal((await lookup).statusCode, 500);
      t.match(logs.text, /query failed: select .*from \\"api_keys\\"/, 'the failed key lookup is logged without its parameter');
    },
  );

  // Every SLK used above, stored once, so the tokens a failed insert carried are in the table to look for.
  const stored = await json(SLKS.map((slk, i) => record(90 + i, slk)));
  t.equal(stored.statusCode, 201, 'a return with every SLK is stored');
  SLKS.forEach((_, i) => secret(`referralId ${90 + i}`, marker(90 + i)));
  const tokens = rowsOf(await app.db.execute(sql`select victim_linkage_slk581_token as token from records where victim_linkage_slk581_token is not null`));
  t.ok(tokens.length >= 2, `${tokens.length} stored linkage tokens to look for`);
  tokens.forEach((row, i) => secret(`linkage token ${i}`, String(row.token)));
  const perpetratorTokens = rowsOf(await app.db.execute(sql`select slk581_token as token, linkage_birth_date as date from perpetrator_keys`));
  t.ok(perpetratorTokens.length >= 1, "the alleged perpetrator's tokens to look for");
  perpetratorTokens.forEach((row, i) => {
    secret(`perpetrator token ${i}`, String(row.token));
    secret(`perpetrator birth-date token ${i}`, String(row.date));
  });
  for (const key of presentedKeys) {
    secret('an API key presented', key);
    secret('the hash of a presented key', sha256(key));
  }
  const keyHashes = rowsOf(await app.db.execute(sql`select key_hash from api_keys`));
  keyHashes.forEach((row, i) => secret(`stored key hash ${i}`, String(row.key_hash)));

  // Bad input is a 4xx, never a 5xx (the CSV cases were 500s before the CSV parsing fixes).
  for (const [name, status] of Object.entries(statuses)) t.ok(status >= 400 && status < 500, `${name}: answered ${status}`);
  const text = logs.text;
  t.equal(app.log.level, 'debug', 'the log was written at debug level');
  t.ok(text.includes('unhandled error') || text.includes('cast failed'), 'errors were logged');
  for (const [value, label] of secrets) t.notOk(text.includes(value), `not in the log: ${label}`);
  t.notOk(text.includes('params:'), 'no drizzle parameter list');
  t.notOk(/Key \(|\\"detail\\"|"detail":/.test(text), 'no PostgreSQL detail (it quotes key values)');
});
