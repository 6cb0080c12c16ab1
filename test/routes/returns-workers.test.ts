/**
 * A large return's records are converted, checked and tokenised in worker threads (record-pool.ts)
 * from its second chunk on; a small one, or an app with `recordWorkers: 0`, does it all on the
 * main thread. Either way the same rows are stored and the same problems answered, and closing
 * the app ends the threads.
 */
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { deriveLinkageTokens } from '../../src/services/linkage/tokens.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, buildTestApp, LINKAGE_SECRET, LogCapture, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import type { App } from '../../src/app.js';

/** Two full chunks and a part: chunks in flight at once, and a short last one. */
const RECORDS = 2600;

/** A valid SLK-581 (family letters, given letters, date of birth, sex) varied by `i`. */
function slk581(i: number, sex = '2'): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const l = (k: number) => letters[(i * 7 + k * 3) % 26]!;
  const day = String(1 + (i % 28)).padStart(2, '0');
  const month = String(1 + (i % 12)).padStart(2, '0');
  return `${l(0)}${l(1)}${l(2)}${l(3)}${l(4)}${day}${month}${1960 + (i % 40)}${sex}`;
}

/** Records with the victim's linkage key and, for some, a perpetrator's: the HMAC tokens are made where the records are checked. */
function recordsWithKeys(n: number, period: string): Array<Record<string, unknown>> {
  return makeRecords(n, period).map((record, i) => {
    const victim = { ...(record.victim as Record<string, unknown>), linkage: { slk581: slk581(i) } };
    const perpetrators = (record.perpetrators as Array<Record<string, unknown>>).map((p) =>
      i % 3 === 0 ? { ...p, linkage: { slk581: slk581(i + 5000, '1') } } : p,
    );
    return { ...record, victim, perpetrators };
  });
}

type Rows = Array<Record<string, unknown>>;

async function rowsOf(app: App, period: string): Promise<{ records: Rows; keys: Rows }> {
  const query = async (text: string) => ((await app.db.execute(sql.raw(text))) as unknown as { rows: Rows }).rows;
  const current = `select r.* from records r join returns v on v.id = r.return_id where v.period = '${period}' and v.superseded_at is null`;
  // The ids (and the persons linkage gave them) are each database's own; everything else must agree.
  const records = (await query(`${current} order by r.position`)).map(
    ({ id: _id, return_id: _returnId, person_id: _personId, record_key: _recordKey, ...rest }) => rest,
  );
  const keys = (
    await query(`select r.position as record_position, k.* from perpetrator_keys k join (${current}) r on r.id = k.record_id order by r.position, k.position`)
  ).map(({ id: _id, record_id: _recordId, return_id: _returnId, person_id: _personId, ...rest }) => rest);
  return { records, keys };
}

/** A record's token columns as stored, and as its key hashed alone gives them: a return hashes each distinct component once. */
const TOKEN_COLUMNS = [
  'victim_linkage_slk581_token',
  'linkage_family',
  'linkage_family_partial',
  'linkage_given',
  'linkage_given_partial',
  'linkage_birth_date',
  'linkage_birth_date_swapped',
  'linkage_birth_year',
  'linkage_birth_month_year',
  'linkage_birth_day_month',
  'linkage_sex',
];
const storedTokens = (records: Rows) => records.map((r) => TOKEN_COLUMNS.map((c) => r[c]));
function tokensOfKey(slk: string): unknown[] {
  const t = deriveLinkageTokens(slk, LINKAGE_SECRET)!;
  return [t.key, t.family, t.familyPartial, t.given, t.givenPartial, t.birthDate, t.birthDateSwapped, t.birthYear, t.birthMonthYear, t.birthDayMonth, t.sex];
}

/** A problem document, but for the request's own id. */
const problemOf = (res: { json(): Record<string, unknown> }) => ({ ...res.json(), requestId: undefined });

const count = async (app: App) =>
  ((await app.db.execute(sql.raw('select count(*)::int as n from records'))) as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;

t.test('returns through the worker pool store and answer as the main thread does', async (t) => {
  const logs = new LogCapture();
  // Two threads even on a small machine, so chunks are checked out of order and taken back in order.
  // No linkage: persons are not what is compared, and linking 3,400 records a return would only slow the test.
  const pooled = await buildTestApp(t, { config: { recordWorkers: 2, linkageMode: 'none' }, logs });
  const here = await buildTestApp(t, { config: { recordWorkers: 0, linkageMode: 'none' } });
  t.equal(here.recordPool, null, 'recordWorkers 0: no pool');
  t.equal(pooled.recordPool!.liveThreads(), 0, 'no thread starts with the app');
  for (const app of [pooled, here]) await registerService(app, 'col-vva', 'vva');
  const submit = (app: App, payload: string | object, query = '') =>
    app.inject({
      method: 'POST',
      url: `/v1/returns${query}`,
      headers: { ...admin, 'content-type': typeof payload === 'string' ? 'text/csv' : 'application/json' },
      payload,
    });
  const both = async (payload: string | object, query = '') => Promise.all([submit(pooled, payload, query), submit(here, payload, query)]);

  await t.test('a small return stays on the main thread', async (t) => {
    const res = await submit(pooled, { service: 'col-vva', period: '2021-22-Q4', records: recordsWithKeys(1500, '2021-22-Q4') });
    t.equal(res.statusCode, 201, res.body);
    t.equal(pooled.recordPool!.liveThreads(), 0, 'one and a half chunks: no thread started');
  });

  await t.test('a multi-chunk CSV return: the same rows, tokens and perpetrator keys', async (t) => {
    const csv = recordsToCsv(recordsWithKeys(RECORDS, '2022-23-Q1'));
    const [a, b] = await both(csv, '?service=col-vva&period=2022-23-Q1');
    t.equal(a.statusCode, 201, a.body);
    t.equal(b.statusCode, 201, b.body);
    t.same(a.json().warnings, b.json().warnings, 'the same warnings');
    t.equal(a.json().recordCount, RECORDS);
    t.ok(pooled.recordPool!.liveThreads() > 0, 'the pool was used');
    const [stored, expected] = await Promise.all([rowsOf(pooled, '2022-23-Q1'), rowsOf(here, '2022-23-Q1')]);
    t.equal(stored.records.length, RECORDS);
    t.ok(stored.keys.length > 500, 'perpetrator keys were tokenised');
    t.ok(
      stored.records.every((r) => typeof r.victim_linkage_slk581_token === 'string'),
      'every victim key was tokenised',
    );
    t.same(stored.records, expected.records, 'the same records');
    t.same(stored.keys, expected.keys, 'the same perpetrator keys');
    t.same(
      storedTokens(stored.records),
      stored.records.map((_, i) => tokensOfKey(slk581(i))),
      'every record has the tokens of its key hashed alone',
    );
  });

  await t.test('a multi-chunk JSON return stays on the main thread: the same rows, and the same dry-run answer', async (t) => {
    const body = { service: 'col-vva', period: '2022-23-Q2', records: recordsWithKeys(RECORDS, '2022-23-Q2') };
    const [dryA, dryB] = await both(body, '?dryRun=true');
    t.equal(dryA.statusCode, 200, dryA.body);
    t.same(dryA.json(), dryB.json(), 'the same dry run');
    const [a, b] = await both(body);
    t.equal(a.statusCode, 201, a.body);
    t.equal(b.statusCode, 201, b.body);
    const [stored, expected] = await Promise.all([rowsOf(pooled, '2022-23-Q2'), rowsOf(here, '2022-23-Q2')]);
    t.equal(stored.records.length, RECORDS);
    t.same(stored.records, expected.records, 'the same records');
    t.same(stored.keys, expected.keys, 'the same perpetrator keys');
    t.same(
      storedTokens(stored.records),
      stored.records.map((_, i) => tokensOfKey(slk581(i))),
      'every record has the tokens of its key hashed alone',
    );
  });

  await t.test('a bad cell in a late chunk: the same located problem, never the value; nothing stored', async (t) => {
    const before = await Promise.all([count(pooled), count(here)]);
    const records = recordsWithKeys(RECORDS, '2022-23-Q3');
    records[2400] = { ...records[2400]!, childrenInHousehold: 'secret-ish' };
    // A referralId used again across chunks (a check across records, kept on the main thread), and an unknown onward service.
    records[2100] = { ...records[2100]!, referralId: records[20]!.referralId, onwardReferrals: [{ serviceType: 'idva', service: 'no-such-service' }] };
    const [a, b] = await both(recordsToCsv(records), '?service=col-vva&period=2022-23-Q3');
    t.equal(a.statusCode, 422, a.body);
    t.same(problemOf(a), problemOf(b), 'the same problem document');
    t.match(a.json().errors, [
      { pointer: 'row 2102, column referralId', code: 'duplicate', detail: /row 22, column referralId/ },
      { pointer: 'row 2102, column onwardReferrals.1.service', code: 'unknown_service' },
      { pointer: 'row 2402, column childrenInHousehold', code: 'wrong_type' },
    ]);
    t.notMatch(a.body, /secret-ish|no-such-service|REF-/, 'no cell is quoted');

    const json = makeRecords(RECORDS, '2022-23-Q3');
    json[2300] = makeRecord(2300, '2022-23-Q3', { riskLevel: 'extreme' });
    const [c, d] = await both({ service: 'col-vva', period: '2022-23-Q3', records: json });
    t.equal(c.statusCode, 422, c.body);
    t.same(problemOf(c), problemOf(d), 'the same problem document');
    t.match(c.json().errors, [{ pointer: '/records/2300/riskLevel', code: 'not_in_code_list' }]);
    t.same(await Promise.all([count(pooled), count(here)]), before, 'nothing was stored');
  });

  t.notOk(logs.text.includes(LINKAGE_SECRET), 'the linkage secret is in no log line');
});

t.test('app.close() ends the pool', async (t) => {
  const databaseUrl = selectedBackend() === 'postgres' ? await postgresDatabase(t) : undefined;
  const app = await buildApp(testConfig({ databaseUrl, recordWorkers: 1, linkageMode: 'none' }));
  await app.ready();
  await registerService(app, 'col-vva', 'vva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns?service=col-vva&period=2022-23-Q1',
    headers: { ...admin, 'content-type': 'text/csv' },
    payload: recordsToCsv(makeRecords(2500, '2022-23-Q1')),
  });
  t.equal(res.statusCode, 201, res.body);
  const pool = app.recordPool!;
  t.equal(pool.liveThreads(), 1);
  const started = Date.now();
  await app.close();
  t.equal(pool.liveThreads(), 0, 'no thread is left');
  t.ok(Date.now() - started < 30_000, 'closed promptly');
  await t.rejects(pool.run({ format: 'json', period: '2022-23-Q1', datasetVersion: '1.1.0', items: [], start: 0 }), /closed/);
});
