/**
 * A CSV return is written chunk by chunk (COPY on PostgreSQL, jsonb on PGlite), each chunk sent
 * while the next is read: a problem or a failed write after chunks have been written still leaves
 * nothing stored, and answers as a return with one problem always did.
 */
import { sql } from 'drizzle-orm';
import t from 'tap';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const RECORDS = 2600;

t.test('CSV returns of several chunks', async (t) => {
  const app = await buildTestApp(t, { config: { embeddedMaxRecords: 10_000 } });
  await registerService(app, 'col-vva', 'vva');
  const submitCsv = (csv: string, period: string) =>
    app.inject({ method: 'POST', url: `/v1/returns?service=col-vva&period=${period}`, headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
  const storedRecords = async () =>
    ((await app.db.execute(sql.raw('select count(*)::int as n from records'))) as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
  const returnsOf = async (period: string) => (await app.inject({ method: 'GET', url: `/v1/returns?period=${period}`, headers: admin })).json().total as number;

  await t.test('a bad cell in the third chunk: the same 422 naming its row and column, never its value; nothing stored', async (t) => {
    const records = makeRecords(RECORDS, '2022-23-Q1');
    records[2501] = makeRecord(2501, '2022-23-Q1', { childrenInHousehold: 'secret-ish' });
    const res = await submitCsv(recordsToCsv(records), '2022-23-Q1');
    t.equal(res.statusCode, 422, res.body);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.json().errors, [{ pointer: 'row 2503, column childrenInHousehold', code: 'wrong_type' }]);
    t.equal(res.json().errors.length, 1);
    t.notMatch(res.body, /secret-ish/, 'the cell is not echoed');
    t.equal(await storedRecords(), 0, 'the two chunks already written were rolled back');
    t.equal(await returnsOf('2022-23-Q1'), 0);
  });

  await t.test('a duplicate referralId across chunks is found, and nothing stored', async (t) => {
    const records = makeRecords(RECORDS, '2022-23-Q1');
    records[2400] = { ...records[2400]!, referralId: records[10]!.referralId };
    const res = await submitCsv(recordsToCsv(records), '2022-23-Q1');
    t.equal(res.statusCode, 422, res.body);
    t.match(res.json().errors, [{ pointer: 'row 2402, column referralId', code: 'duplicate', detail: /row 12, column referralId/ }]);
    t.equal(await storedRecords(), 0);
  });

  await t.test('a write failing in a later chunk answers a clean problem promptly, and nothing is stored', async (t) => {
    // A database-side failure at record 1,500 (the second chunk), after the first was written.
    await app.db.execute(
      sql.raw(`create function fail_at_1500() returns trigger language plpgsql as $$ begin
        if new.position = 1500 then raise exception 'refused by the test'; end if; return new; end $$`),
    );
    await app.db.execute(sql.raw('create trigger fail_at_1500 before insert on records for each row execute function fail_at_1500()'));
    t.teardown(async () => {
      await app.db.execute(sql.raw('drop trigger if exists fail_at_1500 on records'));
    });
    const started = Date.now();
    const res = await submitCsv(recordsToCsv(makeRecords(RECORDS, '2022-23-Q2')), '2022-23-Q2');
    t.ok(res.statusCode >= 500, `a server-side failure (${res.statusCode})`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.notMatch(res.body, /refused by the test|REF-/, 'neither the database message nor a cell');
    t.ok(Date.now() - started < 60_000, 'answered, not hung');
    t.equal(await storedRecords(), 0);
    t.equal(await returnsOf('2022-23-Q2'), 0);
    await app.db.execute(sql.raw('drop trigger fail_at_1500 on records'));
    // The connection the failed COPY ran on is usable again: the same return is then accepted whole.
    const again = await submitCsv(recordsToCsv(makeRecords(RECORDS, '2022-23-Q2')), '2022-23-Q2');
    t.equal(again.statusCode, 201, again.body);
    t.equal(await storedRecords(), RECORDS);
    const read = await app.inject({ method: 'GET', url: `/v1/returns/${again.json().id}`, headers: admin });
    t.same(read.json().records, makeRecords(RECORDS, '2022-23-Q2'), 'every record stored as sent, in order');
  });
});
