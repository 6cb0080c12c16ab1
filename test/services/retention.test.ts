/**
 * Retention (issue 17, in part): what is past its limit (superseded versions, finished jobs,
 * expired idempotency responses, old audit events) is aged here by moving its timestamps back,
 * counted, deleted, and shown gone, while the current data and its aggregates are unchanged and
 * what the service still needs (a superseded version a linkage run must still read, a failed
 * linkage job, the newest run) stays.
 */
import { sql } from 'drizzle-orm';
import t from 'tap';
import type { App } from '../../src/app.js';
import { buildApp } from '../../src/app.js';
import { runRetentionCommand } from '../../src/cli/retention-command.js';
import { applyRetention, planRetention } from '../../src/services/retention.js';
import { admin, LINKAGE_SECRET, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import { makeRecords } from '../support/records.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LIMITS = { supersededDays: 365, jobDays: 30, auditYears: 2 };
// Records by period and uploads: test/services/retention-records.test.ts.
const NONE = {
  supersededReturns: 0,
  supersededRecords: 0,
  expiredPeriodReturns: 0,
  expiredPeriodRecords: 0,
  expiredPeriodUpdates: 0,
  jobs: 0,
  idempotencyKeys: 0,
  auditEvents: 0,
  uploads: 0,
};
const rowsOf = async (app: App, query: ReturnType<typeof sql>) => ((await app.db.execute(query)) as unknown as { rows: Json[] }).rows;
const countOf = async (app: App, table: string) => (await rowsOf(app, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n as number;

t.test('what is past its limit is counted, deleted and gone; the current data is not touched', async (t) => {
  const databaseUrl = selectedBackend() === 'postgres' ? await postgresDatabase(t) : undefined;
  const app = await buildApp(testConfig({ databaseUrl }));
  await app.ready();
  t.teardown(() => app.close());
  await registerService(app, 'rt-vva', 'vva');
  await registerService(app, 'rt-idva', 'idva');
  const submit = async (service: string, period: string, n: number, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers, payload: { service, period, records: makeRecords(n, period) } });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as Json;
  };
  const old = await submit('rt-vva', '2022-23-Q1', 5, { ...admin, 'idempotency-key': 'retention-1' });
  await submit('rt-vva', '2022-23-Q1', 6);
  await submit('rt-vva', '2022-23-Q2', 7);
  const owed = await submit('rt-idva', '2022-23-Q1', 4);
  const owing = await submit('rt-idva', '2022-23-Q1', 3);
  // A linkage run that failed for the version superseding `owed`: it must still read `owed`'s records.
  await app.db.execute(
    sql`insert into jobs (kind, status, service_id, period, payload, finished_at) values ('linkage', 'failed', 'rt-idva', '2022-23-Q1', ${JSON.stringify({ returnId: owing.id, supersededReturnId: owed.id })}::jsonb, now())`,
  );
  const aggregates = async () =>
    (await app.inject({ method: 'GET', url: '/v1/aggregates?period=2022-23&groupBy=period,service', headers: admin })).json().cells as Json[];
  const before = await aggregates();

  // Age everything past its limit.
  await app.db.execute(sql`update returns set superseded_at = now() - interval '400 days' where superseded_at is not null`);
  await app.db.execute(sql`update jobs set finished_at = now() - interval '40 days' where finished_at is not null`);
  await app.db.execute(sql`update idempotency_keys set expires_at = now() - interval '1 hour'`);
  await app.db.execute(sql`update audit_events set at = now() - interval '3 years' where resource_id = ${old.id}`);
  const agedAudit = (await rowsOf(app, sql`select count(*)::int as n from audit_events where resource_id = ${old.id}`))[0]!.n as number;
  const linkageJobs = (await rowsOf(app, sql`select count(*)::int as n from jobs where kind = 'linkage' and status = 'succeeded'`))[0]!.n as number;
  t.ok(agedAudit > 0 && linkageJobs > 1, 'there is something of each kind to age');

  const plan = await planRetention(app.db, LIMITS);
  t.same(
    plan,
    { ...NONE, supersededReturns: 1, supersededRecords: 5, jobs: linkageJobs - 1, idempotencyKeys: 1, auditEvents: agedAudit },
    'the plan counts what is past its limit',
  );
  const tables = ['returns', 'records', 'jobs', 'idempotency_keys', 'audit_events', 'analytic_records'];
  const sizes = async () => Object.fromEntries(await Promise.all(tables.map(async (name) => [name, await countOf(app, name)])));
  const sizesBefore = await sizes();
  t.same(await planRetention(app.db, LIMITS), plan, 'counting twice changes nothing');
  t.same(await sizes(), sizesBefore, 'a plan deletes nothing');

  const applied = await applyRetention(app.db, LIMITS);
  t.same(applied, plan, 'it deletes what it counted');
  t.same(await rowsOf(app, sql`select id from returns where id = ${old.id}`), [], 'the superseded version is gone');
  t.same(await rowsOf(app, sql`select id from records where return_id = ${old.id}`), [], 'with its records');
  t.equal((await rowsOf(app, sql`select id from returns where id = ${owed.id}`)).length, 1, 'a version a linkage run still owes is kept');
  t.same(await rowsOf(app, sql`select key from idempotency_keys`), [], 'expired idempotency responses are gone');
  t.same(await rowsOf(app, sql`select id from audit_events where resource_id = ${old.id} and action <> 'retention.applied'`), [], 'old audit events are gone');
  const jobsLeft = await rowsOf(app, sql`select kind, status from jobs order by kind, status`);
  t.same(
    jobsLeft,
    [
      { kind: 'linkage', status: 'failed' },
      { kind: 'linkage', status: 'succeeded' },
    ],
    'of the jobs, the failed linkage run and the newest succeeded one stay',
  );
  t.same(await aggregates(), before, 'the current figures are unchanged');
  const status = (await app.inject({ method: 'GET', url: '/v1/linkage/status', headers: admin })).json() as Json;
  t.type(status.lastRunAt, 'string', 'when persons were last brought current is still known');
  const [event] = await rowsOf(app, sql`select detail from audit_events where action = 'retention.applied'`);
  t.match(event!.detail, { supersededReturns: 1, supersededRecords: 5, limits: LIMITS }, 'an audit event with the counts');
  t.same(await planRetention(app.db, LIMITS), NONE, 'nothing left past its limit');

  if (databaseUrl) {
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } } as never;
    const env = { DATABASE_URL: databaseUrl, VAWG_LINKAGE_SECRET: LINKAGE_SECRET, VAWG_SUPERSEDED_RETENTION_DAYS: '365', LOG_LEVEL: 'silent' };
    t.equal(await runRetentionCommand(['--dry-run'], io, env), 0, out.join(''));
    t.match(out.join(''), /superseded versions: 0 \(0 records\)[\s\S]*finished jobs: 0/, 'vawg retention --dry-run prints the counts');
    t.equal(await runRetentionCommand(['--apply', '--dry-run'], io, env), 2, 'not both');
  }
});
