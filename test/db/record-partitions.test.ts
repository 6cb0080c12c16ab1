/**
 * Migration 0012 partitions `records` by financial year (issue 16). A database at 0011 holding
 * returns of two financial years (one period resubmitted), persons, links, perpetrator keys, a
 * referral's state and the analytic projection is migrated, then: every row is kept with its id
 * and person, `records` is partitioned with one partition per year and an empty default, the
 * projection and figures are unchanged, a return of a new year gets its partition, and deleting a
 * return still removes what the foreign keys used to cascade to. On PostgreSQL and PGlite alike.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import t, { type Test } from 'tap';
import { buildApp, type App } from '../../src/app.js';
import type { Database } from '../../src/db/connect.js';
import { findMigrationsFolder } from '../../src/db/migrate.js';
import { ensureRecordPartition, recordPartitionOf } from '../../src/db/record-partitions.js';
import { makeRecords } from '../support/records.js';
import { admin, postgresDatabase, selectedBackend, testConfig } from '../helper.js';

type Json = Record<string, unknown>;

async function rows<T = Json>(db: Pick<Database, 'execute'>, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

/** A copy of the committed migrations whose journal stops before `tag`. */
function migrationsBefore(t: Test, tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vawg-migrations-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(findMigrationsFolder(), dir, { recursive: true });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ idx: number; tag: string }> };
  const cut = journal.entries.find((e) => e.tag === tag)!.idx;
  journal.entries = journal.entries.filter((e) => e.idx < cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

t.test('recordPartitionOf names a financial year and bounds it by the next', async (t) => {
  t.same(recordPartitionOf('2022-23-Q4'), { name: 'records_y2022_23', from: '2022-23', to: '2023-24' });
  t.same(recordPartitionOf('2099-00'), { name: 'records_y2099_00', from: '2099-00', to: '2100-01' });
  t.equal(recordPartitionOf('2022-24-Q1'), null, 'not a financial year');
  t.equal(recordPartitionOf("2022-23'; drop table records; --"), null);
});

/** The database as a deployment at 0011 holds it, written in SQL (the app's code writes 0012's columns). */
async function fillAt0011(db: Pick<Database, 'execute'>) {
  await db.execute(sql`insert into services (id, name, service_type, area) values ('pt-a', 'A', 'idva', 'E09000001'), ('pt-b', 'B', 'vva', 'E09000012')`);
  const addReturn = async (service: string, period: string, version: number, superseded: boolean, start: string) => {
    const [row] = await rows<{ id: string }>(
      db,
      sql`insert into returns (service_id, period, version, dataset_version, record_count, superseded_at)
        values (${service}, ${period}, ${version}, '1.1.0', 4, ${superseded ? sql`now()` : sql`null`}) returning id`,
    );
    await db.execute(sql`insert into records (return_id, position, referral_id, referral_date, referral_source, category, police_involvement,
        risk_level, repeat_referral, children_in_household, perpetrators, onward_referrals, linkage_family, linkage_birth_date,
        victim_linkage_slk581_token, person_id)
      select ${row!.id}, g, 'R' || g, date '${sql.raw(start)}' + g, 'police', 'vawg', 'crime', case when g % 2 = 0 then 'high' else 'medium' end,
        false, 0, '[]'::jsonb, '[]'::jsonb, 'family-' || g, 'date-' || g, 'slk-' || g, 1000 + g
      from generate_series(0, 3) g`);
    return row!.id;
  };
  const ids = {
    a1Old: await addReturn('pt-a', '2022-23-Q1', 1, true, '2022-04-01'),
    a1: await addReturn('pt-a', '2022-23-Q1', 2, false, '2022-04-01'),
    b2: await addReturn('pt-b', '2022-23-Q2', 1, false, '2022-07-01'),
    a5: await addReturn('pt-a', '2023-24-Q1', 1, false, '2023-04-01'),
  };
  // The projection of the current returns, as migration 0010 and every accepted return write it.
  await db.execute(sql`insert into analytic_records (id, period, service_id, record_key, person_id, referral_id, referral_date, referral_source,
      category, police_involvement, risk_level, repeat_referral, children_in_household, perpetrators, onward_referrals, victim_linkage_slk581_token)
    select r.id, ret.period, ret.service_id, r.record_key, r.person_id, r.referral_id, r.referral_date, r.referral_source, r.category,
      r.police_involvement, r.risk_level, r.repeat_referral, r.children_in_household, r.perpetrators, r.onward_referrals, r.victim_linkage_slk581_token
    from records r join returns ret on ret.id = r.return_id where ret.superseded_at is null`);
  await db.execute(sql`insert into referral_states (record_id, status) select id, 'declined' from records where position = 0`);
  await db.execute(
    sql`insert into perpetrator_keys (record_id, position, slk581_token, person_id) select id, 0, 'p-slk-' || position, 5 from records where position < 2`,
  );
  // Links within a return and across the two years (the same person in 2022-23 and 2023-24).
  await db.execute(sql`insert into person_links (record_a, record_b, weight, levels, model_version)
    select a.id, b.id, 9.5, '{}'::jsonb, 'm1' from records a join records b on b.position = a.position and b.id > a.id
    where a.return_id = ${ids.a1} and b.return_id in (${ids.b2}, ${ids.a5})`);
  return ids;
}

/** What the migration must keep, table by table. */
async function contents(db: Pick<Database, 'execute'>) {
  return {
    records: await rows(db, sql`select id::text, return_id, person_id::text, referral_id, record_key from records r order by r.id`),
    analytic: await rows(db, sql`select to_jsonb(a) as row from analytic_records a order by id`),
    states: await rows(db, sql`select record_id::text, status from referral_states s order by s.record_id`),
    keys: await rows(db, sql`select id::text, record_id::text, position, person_id::text from perpetrator_keys k order by k.id`),
    links: await rows(db, sql`select record_a::text, record_b::text from person_links l order by l.record_a, l.record_b`),
  };
}

const partitionsOf = (db: Pick<Database, 'execute'>) =>
  rows<{ name: string }>(
    db,
    sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'records'::regclass order by 1`,
  );

/** The dependents of these records that are left, in every table that used to cascade from them. */
async function dependentsOf(db: Pick<Database, 'execute'>, ids: string[]) {
  const list = sql.raw(ids.join(', '));
  const [row] = await rows<Json>(
    db,
    sql`select (select count(*)::int from referral_states where record_id in (${list})) as states,
      (select count(*)::int from analytic_records where id in (${list})) as analytic,
      (select count(*)::int from perpetrator_keys where record_id in (${list})) as keys,
      (select count(*)::int from person_links where record_a in (${list}) or record_b in (${list})) as links`,
  );
  return row;
}

t.test('migration 0012 partitions a populated records table by financial year', async (t) => {
  const previous = migrationsBefore(t, '0012_partition_records');
  const backend = selectedBackend();
  let db: Pick<Database, 'execute'>;
  let migrate: (folder: string) => Promise<void>;
  let openApp: () => Promise<App>;
  if (backend === 'postgres') {
    const databaseUrl = await postgresDatabase(t);
    const pool = new pg.Pool({ connectionString: databaseUrl });
    t.teardown(() => pool.end());
    const pgDb = drizzlePg({ client: pool, casing: 'snake_case' });
    db = pgDb as unknown as Database;
    migrate = (migrationsFolder) => migratePg(pgDb, { migrationsFolder });
    openApp = () => buildApp(testConfig({ databaseUrl }));
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vawg-partition-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    // Where the app keeps its embedded database under VAWG_DATA_DIR (db/connect.ts).
    const client = await PGlite.create(path.join(dataDir, 'pglite'));
    const pgliteDb = drizzlePglite({ client, casing: 'snake_case' });
    db = pgliteDb as unknown as Database;
    migrate = (migrationsFolder) => migratePglite(pgliteDb, { migrationsFolder });
    // PGlite has one connection: the migrated directory is closed before the app opens it.
    openApp = async () => {
      if (!client.closed) await client.close();
      return buildApp(testConfig({ dataDir }));
    };
  }

  await migrate(previous);
  const ids = await fillAt0011(db);
  const before = await contents(db);
  const riskBefore = await rows<{ risk_level: string; n: number }>(
    db,
    sql`select risk_level, count(*)::int as n from analytic_records where period like '2022-23-%' group by 1 order by 1`,
  );

  await migrate(findMigrationsFolder());
  t.same(await contents(db), before, 'every row of every table kept, with the same ids and persons');
  t.same(
    await rows(db, sql`select r.id from records r join returns ret on ret.id = r.return_id where r.period is distinct from ret.period`),
    [],
    'each record holds its return’s period',
  );
  t.same(
    await rows(db, sql`select partstrat from pg_partitioned_table where partrelid = 'records'::regclass`),
    [{ partstrat: 'r' }],
    'records is range-partitioned',
  );
  t.same(
    (await partitionsOf(db)).map((p) => p.name),
    ['records_default', 'records_y2022_23', 'records_y2023_24'],
    'one partition per financial year, and the default',
  );
  t.same(await rows(db, sql`select count(*)::int as n from records_default`), [{ n: 0 }], 'the default partition is empty');
  t.same(
    await rows(db, sql`select tableoid::regclass::text as part, count(*)::int as n from records group by 1 order by 1`),
    [
      { part: 'records_y2022_23', n: 12 },
      { part: 'records_y2023_24', n: 4 },
    ],
    'each record in its year',
  );
  const [{ max } = { max: '0' }] = await rows<{ max: string }>(db, sql`select max(id)::text as max from records`);

  const app = await openApp();
  t.teardown(() => app.close());
  const figures = await app.inject({ method: 'GET', url: '/v1/aggregates?measure=referrals&groupBy=riskLevel&period=2022-23', headers: admin });
  t.equal(figures.statusCode, 200, figures.body);
  const cells = (figures.json().cells as Array<{ key: { riskLevel: string }; value: number }>).filter((c) => c.value > 0);
  t.same(
    cells.map((c) => ({ risk_level: c.key.riskLevel, n: c.value })).sort((a, b) => a.risk_level.localeCompare(b.risk_level)),
    riskBefore,
    'the figures are those of the projection before the migration',
  );

  await t.test('a return of a new financial year gets its partition before its records', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: admin,
      payload: { service: 'pt-b', period: '2024-25-Q1', records: makeRecords(5, '2024-25-Q1') },
    });
    t.equal(res.statusCode, 201, res.body);
    t.same(
      (await partitionsOf(app.db)).map((p) => p.name),
      ['records_default', 'records_y2022_23', 'records_y2023_24', 'records_y2024_25'],
    );
    t.same(
      await rows(
        app.db,
        sql`select tableoid::regclass::text as part, period, count(*)::int as n, bool_and(id > ${max}) as fresh from records where return_id = ${res.json().id} group by 1, 2`,
      ),
      [{ part: 'records_y2024_25', period: '2024-25-Q1', n: 5, fresh: true }],
      'in the new year, with ids from the kept sequence',
    );
    t.same(await rows(app.db, sql`select count(*)::int as n from records_default`), [{ n: 0 }], 'the default stays empty');
    const again = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: admin,
      payload: { service: 'pt-b', period: '2024-25-Q1', records: makeRecords(6, '2024-25-Q1') },
    });
    t.equal(again.statusCode, 201, 'a second return of the year uses the partition it has');
    // Two instances making the same year at once: both succeed, one partition.
    await Promise.all([ensureRecordPartition(app.db, '2030-31-Q1'), ensureRecordPartition(app.db, '2030-31-Q2')]);
    t.same(await rows(app.db, sql`select count(*)::int as n from pg_class where relname = 'records_y2030_31'`), [{ n: 1 }]);
  });

  await t.test('deleting a return deletes its records’ dependents in every table', async (t) => {
    const gone = (await rows<{ id: string }>(app.db, sql`select id::text from records where return_id = ${ids.a1}`)).map((r) => r.id);
    const kept = (await rows<{ id: string }>(app.db, sql`select id::text from records where return_id in (${ids.b2}, ${ids.a5})`)).map((r) => r.id);
    t.same(await dependentsOf(app.db, gone), { states: 1, analytic: 4, keys: 2, links: 8 }, 'before: the return’s records have dependents');
    const keptBefore = await dependentsOf(app.db, kept);
    await app.db.execute(sql`delete from returns where id = ${ids.a1}`);
    t.same(
      await rows(app.db, sql`select count(*)::int as n from records where return_id = ${ids.a1}`),
      [{ n: 0 }],
      'its records go (the foreign key to returns)',
    );
    t.same(await dependentsOf(app.db, gone), { states: 0, analytic: 0, keys: 0, links: 0 }, 'and everything that referred to them');
    t.same(await dependentsOf(app.db, kept), { ...keptBefore, links: 0 }, 'other returns keep theirs (but the links to the deleted records)');
    const a5 = (await rows<{ id: string }>(app.db, sql`select id::text from records where return_id = ${ids.a5}`)).map((r) => r.id);
    await app.db.execute(sql`delete from records where return_id = ${ids.a5}`);
    t.same(await dependentsOf(app.db, a5), { states: 0, analytic: 0, keys: 0, links: 0 }, 'deleting records directly too');
  });
});

t.test(
  'making a partition waits for a running ingest without holding back readers of records',
  { skip: selectedBackend() !== 'postgres' && 'PGlite has one connection: no other transaction can hold records' },
  async (t) => {
    const databaseUrl = await postgresDatabase(t);
    const app = await buildApp(testConfig({ databaseUrl }));
    t.teardown(() => app.close());
    const ingest = new pg.Client({ connectionString: databaseUrl });
    const reader = new pg.Client({ connectionString: databaseUrl });
    await Promise.all([ingest.connect(), reader.connect()]);
    t.teardown(() => Promise.all([ingest.end(), reader.end()]));
    // A return's transaction writing records holds this lock until its commit.
    await ingest.query('begin');
    await ingest.query('lock table records in row exclusive mode');
    let made = false;
    const making = ensureRecordPartition(app.db, '2031-32-Q1', { lockWaitMs: 100, attempts: 1000 }).then(() => (made = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = performance.now();
    await reader.query(`set statement_timeout = '5s'`);
    await reader.query('select count(*) from records');
    const readMs = performance.now() - started;
    t.ok(readMs < 2000, `a reader got through while the partition waited (${Math.round(readMs)} ms)`);
    t.notOk(made, 'the partition waits for the ingest');
    await ingest.query('commit');
    await making;
    t.same(await rows(app.db, sql`select count(*)::int as n from pg_class where relname = 'records_y2031_32'`), [{ n: 1 }], 'made once the ingest committed');
  },
);
