/**
 * Linkage off the request path (issue 16): a return is answered before its linkage runs; linkage
 * jobs wait in the jobs table until a worker in any instance claims one (`FOR UPDATE SKIP LOCKED`,
 * one run at a time across instances); analytic answers say how current persons are; a full relink
 * covers what is queued. Several instances share one PostgreSQL database here, and none fails the
 * request jobs of another live instance (one holding its lock).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { eq, sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { buildApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { jobs } from '../../src/db/tables.js';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { failInterruptedJobs, INSTANCE_LOCK_CLASS } from '../../src/services/jobs.js';
import { linkNextReturn } from '../../src/services/linkage/linkage-queue.js';
import { LINKAGE_LOCK } from '../../src/services/linkage/relink.js';
import { DEFAULT_MODEL } from '../../src/services/linkage/default-model.js';
import { DEFAULT_THRESHOLD } from '../../src/services/linkage/match-threshold.js';
import { admin, buildTestApp, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import { makeRecord, makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const P = '2022-23-Q1';
const mary = { familyName: 'Smith', givenName: 'Mary', birthDate: '1980-01-05', sex: 'female' };
const ATTRIBUTES = { ethnicity: 'black_caribbean', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' };
/** Mary as the VVA, the IDVA and MARAC recorded her: the IDVA's key has one family letter different. */
const KEYS = { vva: computeSlk581(mary), idva: computeSlk581({ ...mary, familyName: 'Smyth' }), marac: computeSlk581(mary) };

function maryRecord(i: number, slk: string): Json {
  const record = makeRecord(i, P, { referralDate: `2022-0${4 + (i % 3)}-0${1 + i}` });
  const { closure: _closure, ...rest } = record;
  return { ...rest, onwardReferrals: [], victim: { ...(record.victim as Json), ...ATTRIBUTES, linkage: { slk581: slk } } };
}

async function submitMary(t: Test, app: App): Promise<void> {
  for (const [i, service] of (['vva', 'idva', 'marac'] as const).entries()) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: admin,
      payload: { service: `q-${service}`, period: P, records: [maryRecord(i, KEYS[service])] },
    });
    t.equal(res.statusCode, 201, res.body);
  }
}

const get = async (app: App, url: string) => {
  const res = await app.inject({ method: 'GET', url, headers: admin });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json() as Json;
};
const people = async (app: App) => (await get(app, `/v1/aggregates?measure=people&period=${P}`)).totals.overall.value as number;
const jobCounts = async (app: App) =>
  (
    (await app.db.execute(sql`select status, count(*)::int as n from jobs where kind = 'linkage' group by status order by status`)) as unknown as {
      rows: Array<{ status: string; n: number }>;
    }
  ).rows.map((r) => [r.status, r.n]);

t.test('a return is answered before linkage; the queue brings persons current', async (t) => {
  // An API-only instance: it queues linkage and never runs it.
  const app = await buildTestApp(t, { config: { linkageMode: 'none' } });
  for (const service of ['vva', 'idva', 'marac']) await registerService(app, `q-${service}`, service);
  await submitMary(t, app);

  const waiting = await get(app, '/v1/linkage/status');
  t.match(waiting, { current: false, pendingReturns: 3, failedReturns: 0, lastRunAt: null, mode: 'none' });
  t.type(waiting.oldestPendingSince, 'string');
  const before = await get(app, `/v1/aggregates?measure=people&period=${P}`);
  t.match(before.linkage, { current: false, pendingReturns: 3 }, 'the people count says persons are not yet current');
  t.equal(before.totals.overall.value, 2, 'meanwhile people are counted by exact key: the IDVA’s differs');
  t.equal((await get(app, `/v1/indicators?period=${P}`)).linkage.pendingReturns, 3, 'indicators say so too');
  t.equal((await get(app, `/v1/overlaps?period=${P}`)).linkage.pendingReturns, 3, 'and overlaps');
  t.notOk('linkage' in (await get(app, `/v1/aggregates?measure=referrals&period=${P}`)), 'a count of referrals needs no linkage');

  // A worker (here called directly, as any instance's would) claims the jobs oldest first.
  const settings = { threshold: DEFAULT_THRESHOLD };
  const outcomes = [];
  for (let run = 0; run < 4; run++) outcomes.push((await linkNextReturn(app.db, settings)).kind);
  t.same(outcomes, ['linked', 'linked', 'linked', 'idle'], 'one return per run, then nothing to do');
  t.same(await jobCounts(app), [['succeeded', 3]], 'each job ran once');
  const after = await get(app, '/v1/linkage/status');
  t.match(after, { current: true, pendingReturns: 0, oldestPendingSince: null });
  t.ok(Date.parse(after.lastRunAt) >= Date.parse(waiting.oldestPendingSince), 'the last run is stated');
  t.equal(await people(app), 1, 'linked: the woman referred by the VVA to the IDVA and to MARAC is one person');

  // A superseding version queues its own job; a full relink covers whatever is queued.
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'q-idva', period: P, records: [maryRecord(1, KEYS.idva)] },
  });
  t.equal(res.statusCode, 201);
  t.equal((await get(app, '/v1/linkage/status')).pendingReturns, 1);
  const relink = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
  t.equal(relink.json().coveredReturns, 1, 'the relink brought the queued return current');
  t.match(await get(app, '/v1/linkage/status'), { current: true, pendingReturns: 0 });
  t.equal(await people(app), 1);
  t.equal((await linkNextReturn(app.db, settings)).kind, 'idle', 'nothing is left for a worker');

  // A failure that passes: the job waits for its retry time (others would go first), then links.
  await app.db.execute(sql`create function refuse_persons() returns trigger language plpgsql as $$ begin raise exception 'persons refused'; end $$`);
  await app.db.execute(sql`create trigger refuse_persons before update of person_id on records for each row execute function refuse_persons()`);
  const later = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'q-marac', period: P, records: [maryRecord(2, KEYS.marac)] },
  });
  t.equal(later.statusCode, 201, 'a new version is stored whatever linkage does next');
  t.equal((await linkNextReturn(app.db, settings, 300)).kind, 'failed');
  t.equal((await linkNextReturn(app.db, settings, 300)).kind, 'idle', 'the failed job waits for its retry');
  t.match(await get(app, '/v1/linkage/status'), { pendingReturns: 1, failedReturns: 0 }, 'still pending, not given up');
  await app.db.execute(sql`drop trigger refuse_persons on records`);
  await new Promise((r) => setTimeout(r, 350));
  t.equal((await linkNextReturn(app.db, settings, 300)).kind, 'linked', 'retried after its wait, it links');
  t.match(await get(app, '/v1/linkage/status'), { current: true, pendingReturns: 0 });
});

t.test(
  'several instances on one PostgreSQL database',
  { skip: selectedBackend() === 'pglite' && 'instances share a database on PostgreSQL only' },
  async (t) => {
    const databaseUrl = await postgresDatabase(t);
    const start = async (overrides: Partial<Config>) => {
      const app = await buildApp(testConfig({ databaseUrl, ...overrides }));
      await app.ready();
      t.teardown(() => app.close());
      return app;
    };
    // Polling is slowed so only the nudges below run linkage.
    const api = await start({ linkageMode: 'background', linkagePollMs: 3_600_000 });
    for (const service of ['vva', 'idva', 'marac']) await registerService(api, `q-${service}`, service);

    await t.test('the 201 does not wait for linkage, and a worker backs off while another run holds the lock', async (t) => {
      // Another instance's run, held open: this instance's worker finds the lock taken and leaves the job queued.
      const other = new pg.Client({ connectionString: databaseUrl });
      await other.connect();
      await other.query('select pg_advisory_lock($1)', [LINKAGE_LOCK]);
      try {
        await submitMary(t, api);
        await api.linkage.drain();
        t.match(await get(api, '/v1/linkage/status'), { pendingReturns: 3, current: false }, 'answered, linkage still to come');
        t.equal((await linkNextReturn(api.db, { threshold: DEFAULT_THRESHOLD })).kind, 'busy', 'the lock is tried, never waited for');
      } finally {
        await other.query('select pg_advisory_unlock($1)', [LINKAGE_LOCK]);
        await other.end();
      }
      await api.linkage.drain();
      t.match(await get(api, '/v1/linkage/status'), { pendingReturns: 0, current: true }, 'the next nudge brings persons current');
      t.equal(await people(api), 1);
    });

    await t.test('two workers share the queue: each job once, persons as one instance would make them', async (t) => {
      const workers = [
        await start({ linkageMode: 'background', linkagePollMs: 3_600_000 }),
        await start({ linkageMode: 'background', linkagePollMs: 3_600_000 }),
      ];
      const quiet = await start({ linkageMode: 'none' });
      for (let round = 0; round < 3; round++) {
        for (const service of ['vva', 'idva', 'marac']) {
          const records = [maryRecord(round, KEYS[service as keyof typeof KEYS]), makeRecord(10 + round, P)];
          const res = await quiet.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service: `q-${service}`, period: P, records } });
          t.equal(res.statusCode, 201);
        }
      }
      t.equal((await get(quiet, '/v1/linkage/status')).pendingReturns, 9, 'queued by an instance that runs no linkage');
      // Both at once, until neither finds work; a busy worker returns and is nudged again.
      for (let i = 0; i < 50 && (await get(quiet, '/v1/linkage/status')).pendingReturns > 0; i++) await Promise.all(workers.map((w) => w.linkage.drain()));
      t.same(await jobCounts(quiet), [['succeeded', 3 + 9]], 'every job succeeded (3 from the test before)');
      const runs = (
        (await quiet.db.execute(sql`select (progress->>'runs')::int as runs, count(*)::int as n from jobs where kind = 'linkage' group by 1`)) as unknown as {
          rows: Array<{ runs: number; n: number }>;
        }
      ).rows;
      t.same(runs, [{ runs: 1, n: 12 }], 'each exactly once, though two workers took from the queue at the same time');
      const incremental = await people(quiet);
      const relink = await quiet.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
      t.equal(relink.statusCode, 200);
      t.equal(await people(quiet), incremental, 'a full relink finds the same people');
    });

    await t.test("an instance starting fails a dead instance's return jobs, never a live one's", async (t) => {
      const live = await start({ linkageMode: 'none' });
      const state = async (id: string) => (await live.db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, id)))[0]!.status;
      // A job the live instance is running, and one an instance that crashed (holding no lock) left.
      const [held] = await live.db.insert(jobs).values({ kind: 'submit-return', status: 'running', owner: live.jobs.instanceId }).returning();
      const [dead] = await live.db.insert(jobs).values({ kind: 'submit-return', status: 'running', owner: randomUUID() }).returning();
      // A crashed instance of our own making: it takes its lock, and its connection dies.
      const crashed = randomUUID();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query('select pg_advisory_lock($1::int, hashtext($2))', [INSTANCE_LOCK_CLASS, crashed]);
      const [alive] = await live.db.insert(jobs).values({ kind: 'submit-return', status: 'queued', owner: crashed }).returning();
      await start({ linkageMode: 'none' });
      t.equal(await state(held!.id), 'running', "the live instance's job is left running");
      t.equal(await state(alive!.id), 'queued', 'so is one whose instance still holds its lock');
      t.equal(await state(dead!.id), 'failed', "the dead instance's job is marked failed");
      await client.end();
      t.equal(await failInterruptedJobs(live.db, { ownersLive: true }), 1, 'once its connection is gone, its job is taken for dead too');
      t.equal(await state(alive!.id), 'failed');
      t.equal(await state(held!.id), 'running', 'and the live one still is not');
    });

    await t.test('queued linkage survives a restart: an instance starting does not fail it', async (t) => {
      const quiet = await start({ linkageMode: 'none' });
      const res = await quiet.inject({
        method: 'POST',
        url: '/v1/returns',
        headers: admin,
        payload: { service: 'q-vva', period: '2022-23-Q2', records: [makeRecord(1, '2022-23-Q2')] },
      });
      t.equal(res.statusCode, 201);
      await quiet.close();
      const restarted = await start({ linkageMode: 'none' });
      t.equal((await get(restarted, '/v1/linkage/status')).pendingReturns, 1, 'still queued after the restart');
      const worker = await start({ linkageMode: 'background', linkagePollMs: 50 });
      // Picked up by the poll alone: no instance nudged this worker.
      for (let i = 0; i < 100 && (await get(worker, '/v1/linkage/status')).pendingReturns > 0; i++) await new Promise((r) => setTimeout(r, 50));
      t.equal((await get(worker, '/v1/linkage/status')).pendingReturns, 0, 'a polling worker took it');
    });
  },
);

t.test('the worker re-estimates the model when the data has outgrown it', async (t) => {
  const app = await buildTestApp(t, { config: { linkageMode: 'background', linkageReestimate: 'auto', linkagePollMs: 3_600_000 } });
  for (const service of ['vva', 'idva', 'marac']) await registerService(app, `re-${service}`, service);
  const population = generatePopulation({ people: 700, seed: 16, services: ['re-vva', 're-idva', 're-marac'] });
  const submit = async (service: string, period: string, members: typeof population.records) => {
    const records = members.map((r) => makeSyntheticRecord(r, period));
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    t.equal(res.statusCode, 201, res.body);
  };
  const before = await get(app, '/v1/linkage/status');
  t.equal(before.modelVersion, DEFAULT_MODEL.version, 'the default model is in force');
  for (const service of ['re-vva', 're-idva', 're-marac'])
    await submit(
      service,
      P,
      population.records.filter((r) => r.service === service),
    );
  await app.linkage.drain();
  const estimated = await get(app, '/v1/linkage/status');
  t.not(estimated.modelVersion, DEFAULT_MODEL.version, 'over 1,000 linkable records: a model was estimated without being asked');
  t.equal(estimated.trainedOnRecords, population.records.length, 'on every linkable record');
  t.match(estimated, { current: true, pendingReturns: 0 });
  // A return that grows the data by less than a quarter keeps the model.
  await submit('re-vva', '2022-23-Q2', population.records.filter((r) => r.service === 're-vva').slice(0, 20));
  await app.linkage.drain();
  t.equal((await get(app, '/v1/linkage/status')).modelVersion, estimated.modelVersion, 'small growth: the same model');
});
