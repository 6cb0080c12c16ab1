/**
 * Analysts' reads from a streaming replica (issue 16): a private primary and a hot standby made from
 * it with `pg_basebackup -R`, the app pointed at both (DATABASE_URL, DATABASE_READ_URL). With the
 * replica's replay paused, a return the primary has committed is not in /v1/aggregates or
 * /v1/completeness, so those figures can only be coming from the replica; after resuming it is.
 * Writes, key lookups and audit events stay on the primary throughout, and every analytic route
 * answers from the standby (where any write would fail). Never touches the shared cluster at 5432.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { parseEnv } from '../../src/config.js';
import { READ_POOL_APPLICATION_NAME } from '../../src/db/connect.js';
import { admin, bearer, buildTestApp, createKey, registerService, selectedBackend, testConfig } from '../helper.js';
import { privatePostgresAvailable, startPrivatePostgres, startPrivateReplica, type PrivatePostgres } from '../support/private-postgres.js';
import { makeRecords } from '../support/records.js';

const BIN = process.env.VAWG_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PERIOD = '2022-23-Q1';
const DATABASE = 'vawg_replica';

const skip =
  selectedBackend() !== 'postgres'
    ? 'a read replica needs PostgreSQL: not run on PGlite (VAWG_TEST_BACKEND=pglite)'
    : !privatePostgresAvailable() || !existsSync(path.join(BIN, 'pg_basebackup'))
      ? 'needs the PostgreSQL 15 server binaries (initdb, pg_ctl, pg_basebackup in /usr/lib/postgresql/15/bin) for private clusters'
      : false;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The primary's WAL position now: once the replica has received (or replayed) it, it has every commit made so far. */
async function primaryLsn(primary: PrivatePostgres): Promise<string> {
  const [row] = await primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
  return row!.lsn;
}

async function replayed(replica: PrivatePostgres, lsn: string): Promise<boolean> {
  const [row] = await replica.query<{ done: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [lsn]);
  return row!.done;
}

async function received(replica: PrivatePostgres, lsn: string): Promise<boolean> {
  const [row] = await replica.query<{ done: boolean }>('select pg_last_wal_receive_lsn() >= $1::pg_lsn as done', [lsn]);
  return row!.done;
}

async function count(cluster: PrivatePostgres, query: string, params: unknown[] = []): Promise<number> {
  const [row] = await cluster.query<{ n: string }>(query, params, DATABASE);
  return Number(row!.n);
}

t.test('DATABASE_READ_URL is configured with DATABASE_URL only, and nothing changes without it', async (t) => {
  t.throws(() => parseEnv({ DATABASE_READ_URL: 'postgres://replica/db' }), /DATABASE_READ_URL needs DATABASE_URL/, 'refused with the embedded database');
  t.throws(
    () => parseEnv({ DATABASE_URL: 'postgres://p/db', DATABASE_READ_URL: 'mysql://replica/db', VAWG_LINKAGE_SECRET: 'x'.repeat(32) }),
    { name: 'ConfigError' },
    'a PostgreSQL URL only',
  );
  const env = parseEnv({ DATABASE_URL: 'postgres://p/db', DATABASE_READ_URL: 'postgresql://replica/db', VAWG_LINKAGE_SECRET: 'x'.repeat(32) });
  t.equal(env.DATABASE_READ_URL, 'postgresql://replica/db');
  await t.rejects(
    buildApp(testConfig({ databaseReadUrl: 'postgres://127.0.0.1:1/none' })),
    /needs a PostgreSQL primary/,
    'buildApp refuses it over PGlite too',
  );

  const app = await buildTestApp(t);
  t.equal(app.readDb, app.db, 'analytic reads use the one database');
  t.equal(app.hasReadReplica, false);
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', database: selectedBackend() }, 'no replica field');
});

t.test('analytic reads come from the streaming replica; writes and audits go to the primary', { skip, timeout: 240_000 }, async (t) => {
  const p = await startPrivatePostgres();
  t.teardown(() => p.destroy());
  await p.query(`create database ${DATABASE}`);
  const r = await startPrivateReplica(p);
  t.teardown(() => r.destroy());
  const [standby] = await r.query<{ r: boolean }>('select pg_is_in_recovery() as r');
  t.equal(standby!.r, true, 'the replica is a hot standby');

  const a = await buildApp(testConfig({ databaseUrl: p.urlOf(DATABASE), databaseReadUrl: r.urlOf(DATABASE) }));
  t.teardown(() => a.close());
  await a.ready();
  t.equal(a.hasReadReplica, true);

  // Registering services and keys: writes, on the primary, while the replica serves reads.
  await registerService(a, 'rep-vva', 'vva', 'E09000001');
  await registerService(a, 'rep-idva', 'idva', 'E09000001');
  const analyst = await createKey(a, 'analyst');
  const submit = async (service: string, records: unknown[]) => {
    const res = await a.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period: PERIOD, records } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string };
  };
  const referrals = async (headers: Record<string, string> = admin) => {
    const res = await a.inject({ method: 'GET', url: `/v1/aggregates?measure=referrals&groupBy=service&period=${PERIOD}`, headers });
    if (res.statusCode !== 200) throw new Error(`GET /v1/aggregates: ${res.statusCode} ${res.body}`);
    return res.json() as { totals: { overall: { value: number } } };
  };
  const submitted = async (service: string) => {
    const res = await a.inject({ method: 'GET', url: `/v1/completeness?period=${PERIOD}`, headers: admin });
    if (res.statusCode !== 200) throw new Error(`GET /v1/completeness: ${res.statusCode} ${res.body}`);
    const row = (res.json() as { services: { service: string; quarters: { submitted: boolean }[] }[] }).services.find((s) => s.service === service);
    return row!.quarters[0]!.submitted;
  };

  const first = makeRecords(30);
  await submit('rep-vva', first);
  await until('the replica to replay the first return', async () => replayed(r, await primaryLsn(p)));

  await t.test('the read pool is connected to the replica, read-only, and ran the analytic query there', async (t) => {
    t.equal((await referrals()).totals.overall.value, first.length);
    const mode = (await a.readDb.execute(sql`show default_transaction_read_only`)) as unknown as { rows: { default_transaction_read_only: string }[] };
    t.equal(mode.rows[0]!.default_transaction_read_only, 'on', 'a write sent to the read pool by mistake fails');
    const onReplica = await r.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1 and datname = $2', [
      READ_POOL_APPLICATION_NAME,
      DATABASE,
    ]);
    t.ok(Number(onReplica[0]!.n) >= 1, 'the read pool has sessions on the replica');
    const onPrimary = await p.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [READ_POOL_APPLICATION_NAME]);
    t.equal(Number(onPrimary[0]!.n), 0, 'and none on the primary');
  });

  await t.test('/ready reports the replica and its lag', async (t) => {
    const res = await a.inject({ method: 'GET', url: '/ready' });
    t.equal(res.statusCode, 200);
    const body = res.json() as { status: string; database: string; replica: { status: string; inRecovery: boolean; replicationLagSeconds: number | null } };
    t.match(body, { status: 'ready', database: 'postgres', replica: { status: 'ready', inRecovery: true } });
    const lag = body.replica.replicationLagSeconds;
    // 0 once everything received is replayed; a write beside the probe (a background worker) may make it a moment more.
    t.ok(typeof lag === 'number' && lag >= 0 && lag < 5, `caught up (${lag} s)`);
  });

  await t.test('with replay paused, a return on the primary is not yet in the figures; resumed, it is', async (t) => {
    await r.query('select pg_wal_replay_pause()');
    await until('replay to pause', async () => (await r.query<{ s: string }>('select pg_get_wal_replay_pause_state() as s'))[0]!.s === 'paused');

    const second = makeRecords(12);
    const accepted = await submit('rep-idva', second);
    t.equal(
      await count(p, 'select count(*) as n from records where return_id = $1', [accepted.id]),
      second.length,
      'the primary has the new return (a write while reads go to the replica)',
    );
    t.equal(
      await count(p, `select count(*) as n from audit_events where action = 'return.submitted' and resource_id = $1`, [accepted.id]),
      1,
      'its audit event is on the primary',
    );
    const denied = await a.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: bearer(analyst),
      payload: { service: 'rep-vva', period: PERIOD, records: [] },
    });
    t.equal(denied.statusCode, 403);
    await until(
      'the refusal to be audited on the primary',
      async () => (await count(p, `select count(*) as n from audit_events where action = 'access.denied'`)) === 1,
    );
    const lsn = await primaryLsn(p);
    await until('the replica to receive the WAL it is not replaying', () => received(r, lsn));
    t.equal(await count(r, 'select count(*) as n from records'), first.length, 'the replica has not replayed it');

    t.equal((await referrals()).totals.overall.value, first.length, '/v1/aggregates does not count it yet: read from the replica');
    t.equal(await submitted('rep-idva'), false, '/v1/completeness does not see it yet');
    const audit = await a.inject({ method: 'GET', url: `/v1/audit?resourceId=${accepted.id}`, headers: admin });
    t.equal(audit.statusCode, 200);
    t.equal((audit.json() as { items: unknown[] }).items.length, 1, 'the audit log is read from the primary: up to date');

    const ready = (await a.inject({ method: 'GET', url: '/ready' })).json() as { replica: { replicationLagSeconds: number } };
    t.ok(ready.replica.replicationLagSeconds > 0, `/ready shows the lag (${ready.replica.replicationLagSeconds} s)`);

    await r.query('select pg_wal_replay_resume()');
    await until('the replica to replay the second return', () => replayed(r, lsn));
    t.equal((await referrals()).totals.overall.value, first.length + second.length, 'counted once the replica has replayed it');
    t.equal(await submitted('rep-idva'), true);
  });

  await t.test('every analytic route answers from the standby for analysts (disclosure control included): none writes', async (t) => {
    const urls = [
      `/v1/aggregates?measure=referrals&groupBy=ethnicityGroup&period=${PERIOD}`,
      `/v1/aggregates?measure=people&groupBy=ageBand&period=${PERIOD}&format=csv`,
      `/v1/indicators?period=${PERIOD}`,
      `/v1/completeness?period=${PERIOD}`,
      `/v1/overlaps?period=${PERIOD}`,
      `/v1/counts?measure=helpline_calls&period=2022-23`,
    ];
    const before = await count(p, 'select count(*) as n from audit_events');
    for (const url of urls) {
      for (const headers of [bearer(analyst), admin]) {
        const res = await a.inject({ method: 'GET', url, headers });
        t.equal(res.statusCode, 200, `${url.split('?')[0]} ${headers === admin ? 'admin' : 'analyst'}: ${res.statusCode === 200 ? 'ok' : res.body}`);
      }
    }
    t.equal(await count(p, 'select count(*) as n from audit_events'), before, 'analytic reads audit nothing on either node');
  });

  await t.test('a replica down: analytic reads 503, submissions and /ready go on; back, reads recover', async (t) => {
    await r.stop('fast');
    const res = await a.inject({ method: 'GET', url: `/v1/aggregates?measure=referrals&period=${PERIOD}`, headers: admin });
    t.equal(res.statusCode, 503, 'unavailable, not 500');
    t.ok(res.headers['retry-after']);
    const ready = await a.inject({ method: 'GET', url: '/ready' });
    t.equal(ready.statusCode, 200, 'the instance still serves submissions');
    t.same((ready.json() as { replica: unknown }).replica, { status: 'unreachable' });
    await registerService(a, 'rep-isva', 'isva', 'E09000001');
    await submit('rep-isva', makeRecords(5));
    await r.start();
    const lsn = await primaryLsn(p);
    await until('the restarted replica to catch up', () => replayed(r, lsn), 60_000);
    t.equal((await referrals()).totals.overall.value, 30 + 12 + 5, 'reads recover without a restart of the service');
  });
});
