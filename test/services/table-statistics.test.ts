/**
 * Planner statistics after a large return are refreshed after its answer, never before it
 * (services/table-statistics.ts, plugins/table-statistics.ts).
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import t from 'tap';
import { buildApp, type App } from '../../src/app.js';
import { ANALYZE_AFTER_RECORDS } from '../../src/services/table-statistics.js';
import { admin, buildTestApp, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import { rowsOf } from '../support/database-rows.js';
import { makeRecords } from '../support/records.js';

const submit = (app: App, period: string, records: number) =>
  app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'stats-vva', period, records: makeRecords(records, period) },
  });

/** The planner's row estimate for analytic_records: -1 until it is first analysed (PostgreSQL 14+). */
const ESTIMATED_ROWS = `select reltuples::float8 as n from pg_class where relname = 'analytic_records'`;
const estimatedRows = async (app: App) => Number((await rowsOf(app, sql.raw(ESTIMATED_ROWS)))[0]!.n);

t.test('a large return leaves the tables analysed once its refresh settles', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'stats-vva');
  const res = await submit(app, '2022-23-Q1', ANALYZE_AFTER_RECORDS);
  t.equal(res.statusCode, 201, res.body);
  await app.tableStatistics.settle();
  t.equal(await estimatedRows(app), ANALYZE_AFTER_RECORDS, 'analytic_records analysed with every row');
});

t.test('a small return does not set off a refresh', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'stats-vva');
  t.equal((await submit(app, '2022-23-Q1', 20)).statusCode, 201);
  await app.tableStatistics.settle();
  t.equal(await estimatedRows(app), -1, 'never analysed');
});

t.test(
  'the answer does not wait for the refresh, and refreshes never overlap',
  { skip: selectedBackend() === 'pglite' && 'needs a second connection' },
  async (t) => {
    const databaseUrl = await postgresDatabase(t);
    const app = await buildApp(testConfig({ databaseUrl, linkageMode: 'none' }));
    await app.ready();
    t.teardown(() => app.close());
    await registerService(app, 'stats-vva');
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    t.teardown(() => blocker.end());
    // ANALYZE takes this lock; a return's own writes (row exclusive) do not conflict with it.
    await blocker.query('begin');
    await blocker.query('lock table analytic_records in share update exclusive mode');

    for (const period of ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3']) {
      const res = await submit(app, period, ANALYZE_AFTER_RECORDS);
      t.equal(res.statusCode, 201, `${period} answered while its refresh waits`);
    }
    const waiting = async () =>
      (
        await blocker.query(
          `select count(*)::int as n from pg_stat_activity where state = 'active' and query ilike 'analyze%' and datname = current_database()`,
        )
      ).rows[0].n as number;
    t.equal(await waiting(), 1, 'one refresh at a time: the later returns share the next');

    await blocker.query('rollback');
    await app.tableStatistics.settle();
    t.equal(await waiting(), 0);
    t.equal(await estimatedRows(app), 3 * ANALYZE_AFTER_RECORDS);
  },
);
