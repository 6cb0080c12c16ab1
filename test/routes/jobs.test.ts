import t from 'tap';
import { eq } from 'drizzle-orm';
import { jobs, periodLocks, returns } from '../../src/db/tables.js';
import { failInterruptedJobs } from '../../src/services/jobs.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import type { App } from '../../src/app.js';

async function waitForJob(app: App, id: string, headers: Record<string, string>) {
  for (let i = 0; i < 200; i++) {
    const res = await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers });
    const job = res.json();
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('job did not finish');
}

t.test('large returns become jobs', async (t) => {
  // Every body above 2 KiB goes to a job, so small fixtures exercise the path.
  const app = await buildTestApp(t, { config: { asyncReturnBytes: 2048 } });
  await registerService(app, 'col-vva', 'vva');
  const provider = await createKey(app, 'provider', ['col-vva']);
  const csv = (records: unknown[]) => recordsToCsv(records);

  await t.test('202 with the job; polling gives progress and then the stored return', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q1',
      headers: { ...bearer(provider), 'content-type': 'text/csv' },
      payload: csv(makeRecords(200)),
    });
    t.equal(res.statusCode, 202, res.body);
    t.equal(res.headers.location, `/v1/jobs/${res.json().id}`);
    t.match(res.json(), { kind: 'submit-return', status: 'queued', service: 'col-vva', period: '2022-23-Q1', result: null });
    const job = await waitForJob(app, res.json().id, bearer(provider));
    t.equal(job.status, 'succeeded');
    t.equal(job.progress.recordsRead, 200);
    t.equal(job.progress.fraction, 1);
    t.match(job.result, { status: 201, body: { service: 'col-vva', period: '2022-23-Q1', version: 1, recordCount: 200 } });
    const stored = await app.inject({ method: 'GET', url: `/v1/returns/${job.result.body.id}`, headers: admin });
    t.equal(stored.json().records.length, 200);
  });

  await t.test('a job that finds problems fails with every problem and stores nothing', async (t) => {
    const records = makeRecords(100, '2022-23-Q2');
    records[40] = makeRecord(40, '2022-23-Q2', { riskLevel: 'very' });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: { ...bearer(provider), 'content-type': 'application/json' },
      payload: { service: 'col-vva', period: '2022-23-Q2', records },
    });
    t.equal(res.statusCode, 202, 'JSON bodies above the size go to a job too');
    const job = await waitForJob(app, res.json().id, bearer(provider));
    t.equal(job.status, 'failed');
    t.equal(job.result.status, 422);
    t.same(
      job.result.body.errors.map((e: { pointer: string }) => e.pointer),
      ['/records/40/riskLevel'],
    );
    const list = await app.inject({ method: 'GET', url: '/v1/returns?period=2022-23-Q2', headers: admin });
    t.equal(list.json().total, 0);
  });

  await t.test('a locked period refuses new versions with 409, in a job or not', async (t) => {
    await app.db.insert(periodLocks).values({ period: '2022-23-Q3', reason: 'published' });
    const small = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: bearer(provider),
      payload: { service: 'col-vva', period: '2022-23-Q3', records: [] },
    });
    t.equal(small.statusCode, 409);
    t.equal(small.json().type, 'urn:vawg:problem:period-locked');
    t.match(small.json().detail, /published/);
    const large = await app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q3',
      headers: { ...bearer(provider), 'content-type': 'text/csv' },
      payload: csv(makeRecords(50, '2022-23-Q3')),
    });
    const job = await waitForJob(app, large.json().id, bearer(provider));
    t.equal(job.result.status, 409);
    t.equal((await app.db.select().from(returns).where(eq(returns.period, '2022-23-Q3'))).length, 0);
  });

  await t.test('jobs are private to the key that started them', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q4&dryRun=true',
      headers: { ...bearer(provider), 'content-type': 'text/csv' },
      payload: csv(makeRecords(50, '2022-23-Q4')),
    });
    t.equal(res.json().kind, 'validate-return');
    const other = await createKey(app, 'provider', ['col-vva']);
    t.equal((await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id}`, headers: bearer(other) })).statusCode, 404);
    const job = await waitForJob(app, res.json().id, admin);
    t.match(job.result, { status: 200, body: { dryRun: true, recordCount: 50 } });
  });

  await t.test('jobs a dead process left running are marked failed at start', async (t) => {
    const [row] = await app.db
      .insert(jobs)
      .values({ kind: 'submit-return', status: 'running', progress: { recordsRead: 5000 } })
      .returning();
    t.equal(await failInterruptedJobs(app.db), 1);
    const job = await waitForJob(app, row!.id, admin);
    t.equal(job.status, 'failed');
    t.equal(job.result.status, 503);
    t.match(job.result.body.detail, /nothing was stored/);
  });
});
