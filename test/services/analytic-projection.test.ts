/**
 * The analytic projection (`analytic_records`, issue 16) holds exactly the records of current
 * returns, in their current state: after a submission, a resubmission that supersedes a version,
 * updates of earlier referrals and their withdrawal, and linkage moving persons. Each step is
 * checked against the records themselves and against a rebuild from scratch (so incremental upkeep
 * and `rebuildAnalyticProjection` agree), and figures do not move when a return is resubmitted
 * unchanged. Also the upgrade: a database migrated to 0009 with data gets its projection at once.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { getTableColumns } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/connect.js';
import { findMigrationsFolder } from '../../src/db/migrate.js';
import { analyticRecords, records } from '../../src/db/tables.js';
import { rebuildAnalyticProjection, syncProjectedPersons } from '../../src/services/analytics/analytic-projection.js';
import { makeRecord } from '../support/records.js';
import { admin, buildTestApp, postgresDatabase, registerService, selectedBackend } from '../helper.js';

type Json = Record<string, unknown>;
const [Q1, Q2] = ['2022-23-Q1', '2022-23-Q2'];

async function rows<T = Json>(db: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

/** A referral without a closure, with a linkage key when given (so linkage has something to join). */
function referral(i: number, period: string, slk581?: string): Json {
  const { closure: _closure, ...record } = makeRecord(i, period);
  return slk581 ? { ...record, victim: { ...(record.victim as Json), linkage: { slk581 } } } : record;
}

const projectionRows = (db: Database) => rows(db, sql`select to_jsonb(a) as row from analytic_records a order by id`);

/** The ids of the records of current returns, straight from `records` and `returns`. */
const currentIds = async (db: Database) =>
  (await rows<{ id: number }>(db, sql`select r.id from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null order by r.id`)).map(
    (r) => Number(r.id),
  );

/** The projection as it is, and as a rebuild from the records leaves it: equal when the upkeep is right. */
async function checkProjection(t: Test, db: Database, what: string) {
  const ids = (await rows<{ id: number }>(db, sql`select id from analytic_records order by id`)).map((r) => Number(r.id));
  t.same(ids, await currentIds(db), `${what}: one row per record of a current return`);
  const before = await projectionRows(db);
  t.equal(await rebuildAnalyticProjection(db), ids.length, `${what}: a rebuild projects as many`);
  t.same(await projectionRows(db), before, `${what}: the upkeep left what a rebuild leaves`);
  const persons = await rows(db, sql`select a.id from analytic_records a join records r on r.id = a.id where a.person_id is distinct from r.person_id`);
  t.same(persons, [], `${what}: every person as records has it`);
}

t.test('the projection names no linkage component token, and every other records column', async (t) => {
  const projected = Object.keys(getTableColumns(analyticRecords));
  t.notOk(
    projected.some((key) => key.startsWith('linkage')),
    'no linkage component tokens',
  );
  const missing = Object.keys(getTableColumns(records)).filter((key) => !projected.includes(key));
  t.same(
    missing.filter((key) => !key.startsWith('linkage')),
    ['returnId', 'position'],
    'every other records column is projected',
  );
  t.ok(projected.includes('period') && projected.includes('serviceId'), "the return's period and service");
});

t.test('the projection follows submissions, resubmissions, updates and linkage', async (t) => {
  const app: App = await buildTestApp(t);
  const db = app.db;
  await registerService(app, 'pj-a', 'idva');
  await registerService(app, 'pj-b', 'vva');
  const post = async (payload: Json) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
    if (res.statusCode !== 201) throw new Error(`return refused: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const figures = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/v1/aggregates?${query}`, headers: admin });
    if (res.statusCode !== 200) throw new Error(`aggregates ${query}: ${res.statusCode} ${res.body}`);
    return res.json().cells;
  };
  const indicators = async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/indicators?period=2022-23', headers: admin });
    if (res.statusCode !== 200) throw new Error(`indicators: ${res.statusCode} ${res.body}`);
    return res.json().indicators;
  };

  const q1 = Array.from({ length: 12 }, (_, i) => referral(i, Q1, i < 4 ? 'MIHAR010119802' : i < 6 ? 'SMJON020219751' : undefined));
  await post({ service: 'pj-a', period: Q1, records: q1 });
  await post({ service: 'pj-b', period: Q1, records: [referral(40, Q1, 'MIHAR010119802'), referral(41, Q1)] });
  await checkProjection(t, db, 'first returns');

  // Updates of Q1 referrals, carried by Q2's return.
  const ids = q1.map((r) => r.referralId as string);
  await post({
    service: 'pj-a',
    period: Q2,
    records: [referral(20, Q2)],
    updates: [
      { referralId: ids[0], referralPeriod: Q1, closure: { closedDate: '2022-07-15', reason: 'support_completed', riskReduced: true, feelsSafer: true } },
      { referralId: ids[1], referralPeriod: Q1, status: 'declined' },
    ],
  });
  await checkProjection(t, db, 'updates');
  const [updated] = await rows(
    db,
    sql`select a.closure_closed_date::text as closed, a.updated from analytic_records a join records r on r.id = a.id where a.service_id = 'pj-a' and a.period = ${Q1} and r.referral_id = ${ids[0]}`,
  );
  t.same(updated, { closed: '2022-07-15', updated: true }, 'the update applied');

  // Linkage moves persons in records; the projection follows (the trigger of migration 0010).
  const relink = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
  t.equal(relink.statusCode, 200, 'relinked');
  const [linked] = await rows<{ n: number }>(db, sql`select count(*)::int as n from analytic_records where person_id is not null`);
  t.ok(linked!.n >= 7, 'linked records carry their person');
  await checkProjection(t, db, 'after a full relink');
  const people = await figures('measure=people&groupBy=service&period=2022-23');

  // An unchanged resubmission of Q1: new record ids, the same figures.
  const byRisk = await figures('groupBy=riskLevel,period&period=2022-23');
  const closures = await figures('groupBy=closureReason&period=2022-23&basis=closure');
  const before = await indicators();
  await post({ service: 'pj-a', period: Q1, records: q1 });
  await checkProjection(t, db, 'a resubmission');
  t.same(await figures('groupBy=riskLevel,period&period=2022-23'), byRisk, 'figures unchanged by the resubmission');
  t.same(await figures('groupBy=closureReason&period=2022-23&basis=closure'), closures, 'updates follow the new version');
  t.same(await indicators(), before, 'indicators unchanged');
  await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
  t.same(await figures('measure=people&groupBy=service&period=2022-23'), people, 'people unchanged once relinked');

  // A smaller resubmission drops records; superseding Q2 withdraws its updates.
  await post({ service: 'pj-a', period: Q1, records: q1.slice(0, 8) });
  await post({ service: 'pj-a', period: Q2, records: [referral(20, Q2)] });
  await checkProjection(t, db, 'a smaller resubmission and a withdrawn update');
  const [withdrawn] = await rows(
    db,
    sql`select a.closure_closed_date, a.status, a.updated from analytic_records a join records r on r.id = a.id where a.service_id = 'pj-a' and a.period = ${Q1} and r.referral_id = ${ids[0]}`,
  );
  t.same(withdrawn, { closure_closed_date: null, status: null, updated: false }, 'back to the record as submitted');

  // Any write of records.person_id reaches the projection, and the sync repairs a drifted one.
  await db.execute(sql`update records set person_id = null where person_id is not null`);
  const [unlinked] = await rows<{ n: number }>(db, sql`select count(*)::int as n from analytic_records where person_id is not null`);
  t.equal(unlinked!.n, 0, 'persons cleared in records are cleared in the projection');
  await db.execute(sql`update analytic_records set person_id = 1 where id = (select min(id) from analytic_records)`);
  await syncProjectedPersons(db);
  await checkProjection(t, db, 'a repaired projection');
});

/** The committed migrations up to (not including) the one at `index`, in a folder of their own. */
function migrationsBefore(t: Test, index: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vawg-migrations-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(findMigrationsFolder(), dir, { recursive: true });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ idx: number; tag: string }> };
  journal.entries = journal.entries.filter((e) => e.idx < index);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

t.test('upgrading from migration 0009 projects the current records at once', async (t) => {
  const projectionIndex = (
    JSON.parse(readFileSync(path.join(findMigrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ idx: number; tag: string }> }
  ).entries.find((e) => e.tag.endsWith('_analytic_projection'))!.idx;
  const previous = migrationsBefore(t, projectionIndex);
  let db: Database;
  let migrate: (folder: string) => Promise<void>;
  if (selectedBackend() === 'postgres') {
    const pool = new pg.Pool({ connectionString: await postgresDatabase(t) });
    t.teardown(() => pool.end());
    const pgDb = drizzlePg({ client: pool, casing: 'snake_case' });
    db = pgDb as unknown as Database;
    migrate = (migrationsFolder) => migratePg(pgDb, { migrationsFolder });
  } else {
    const client = await PGlite.create('memory://');
    t.teardown(() => client.close());
    const pgliteDb = drizzlePglite({ client, casing: 'snake_case' });
    db = pgliteDb as unknown as Database;
    migrate = (migrationsFolder) => migratePglite(pgliteDb, { migrationsFolder });
  }
  await migrate(previous);
  t.same(await rows(db, sql`select to_regclass('analytic_records') as t`), [{ t: null }], 'no projection before 0010');

  // Data as a deployment at 0009 holds it: a superseded and a current version, and an update's state.
  await db.execute(sql`insert into services (id, name, service_type, area) values ('up-a', 'A', 'idva', 'E09000001')`);
  const version = async (v: number, superseded: boolean) =>
    (
      await rows<{ id: string }>(
        db,
        sql`insert into returns (service_id, period, version, dataset_version, record_count, superseded_at)
          values ('up-a', ${Q1}, ${v}, '1.1.0', 3, ${superseded ? sql`now()` : sql`null`}) returning id`,
      )
    )[0]!.id;
  const old = await version(1, true);
  const current = await version(2, false);
  for (const returnId of [old, current])
    await db.execute(sql`insert into records (return_id, position, referral_id, referral_date, referral_source, category, police_involvement,
        risk_level, repeat_referral, children_in_household, perpetrators, onward_referrals, linkage_family, victim_linkage_slk581_token, person_id)
      select ${returnId}, g, 'R' || g, date '2022-04-01' + g, 'police', 'vawg', 'crime', 'high', false, 0, '[]'::jsonb, '[]'::jsonb,
        'family-token', 'slk-token-' || g, case when g = 1 then 99 end
      from generate_series(0, 2) g`);
  await db.execute(sql`insert into referral_states (record_id, status, closure_closed_date)
    select id, 'declined', date '2022-07-01' from records where return_id = ${current} and position = 0`);

  await migrate(findMigrationsFolder());
  t.same(
    await rows(db, sql`select id from analytic_records order by id`),
    await rows(db, sql`select id from records where return_id = ${current} order by id`),
    'the current version only',
  );
  t.same(
    await rows(
      db,
      sql`select period, service_id, referral_id, status, closure_closed_date::text as closed, updated, person_id, victim_linkage_slk581_token as token
        from analytic_records order by id`,
    ),
    [
      { period: Q1, service_id: 'up-a', referral_id: 'R0', status: 'declined', closed: '2022-07-01', updated: true, person_id: null, token: 'slk-token-0' },
      { period: Q1, service_id: 'up-a', referral_id: 'R1', status: null, closed: null, updated: false, person_id: '99', token: 'slk-token-1' },
      { period: Q1, service_id: 'up-a', referral_id: 'R2', status: null, closed: null, updated: false, person_id: null, token: 'slk-token-2' },
    ].map((row) => (selectedBackend() === 'postgres' ? row : { ...row, person_id: row.person_id === null ? null : Number(row.person_id) })),
    'current records, updates applied, persons kept',
  );
  await db.execute(sql`update records set person_id = 7 where return_id = ${current}`);
  t.same(await rows(db, sql`select distinct person_id::int as p from analytic_records`), [{ p: 7 }], 'the trigger keeps persons in step');
});
