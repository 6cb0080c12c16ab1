/**
 * VAWG_EMBEDDED_MAX_RECORDS: on the embedded database (PGlite, one connection) a return with more
 * records than the limit is refused whole with 413 and nothing is stored; PostgreSQL takes it.
 * The apps here name their backend, so the file runs the same way under both suite runs.
 */
import t, { type Test } from 'tap';
import { EnvSchema, loadConfig, ConfigError } from '../../src/config.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import type { App } from '../../src/app.js';

const LIMIT = 50;
const LIMIT_TYPE = 'urn:vawg:problem:embedded-limit';

async function waitForJob(app: App, id: string, headers: Record<string, string>) {
  for (let i = 0; i < 400; i++) {
    const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers })).json();
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('job did not finish');
}

function postJson(app: App, key: string, body: unknown, query = '') {
  return app.inject({ method: 'POST', url: `/v1/returns${query}`, headers: { ...bearer(key), 'content-type': 'application/json' }, payload: body as object });
}

function postCsv(app: App, key: string, csv: string, period: string, extra = '') {
  return app.inject({
    method: 'POST',
    url: `/v1/returns?service=col-vva&period=${period}${extra}`,
    headers: { ...bearer(key), 'content-type': 'text/csv' },
    payload: csv,
  });
}

async function storedReturns(app: App): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/v1/returns?service=col-vva', headers: admin })).json().total;
}

/** The refusal names the limit and PostgreSQL, and never a value of the return. */
function assertLimitProblem(t: Test, body: Record<string, unknown>, records: unknown[]) {
  t.equal(body.type, LIMIT_TYPE);
  t.equal(body.status, 413);
  t.match(body.detail, new RegExp(`more than ${LIMIT} records`));
  t.match(body.detail, /VAWG_EMBEDDED_MAX_RECORDS/);
  t.match(body.detail, /PostgreSQL \(DATABASE_URL\)/);
  t.notOk('errors' in body, 'no cell is located, let alone quoted');
  const text = JSON.stringify(body);
  for (const record of records.slice(0, 5) as Array<{ referralId: string }>) t.notOk(text.includes(record.referralId), 'no record value in the problem');
}

t.test('the setting: VAWG_EMBEDDED_MAX_RECORDS, a positive whole number with a default', async (t) => {
  t.equal((await loadConfig({ VAWG_DATA_DIR: 'memory://', VAWG_EMBEDDED_MAX_RECORDS: '123' })).embeddedMaxRecords, 123);
  t.equal(
    (await loadConfig({ VAWG_DATA_DIR: 'memory://' })).embeddedMaxRecords,
    (EnvSchema.properties.VAWG_EMBEDDED_MAX_RECORDS as { default?: number }).default,
  );
  await t.rejects(loadConfig({ VAWG_DATA_DIR: 'memory://', VAWG_EMBEDDED_MAX_RECORDS: '0' }), ConfigError);
});

t.test('on PGlite, a return above the limit is refused whole', async (t) => {
  const app = await buildTestApp(t, { backend: 'pglite', config: { embeddedMaxRecords: LIMIT } });
  await registerService(app, 'col-vva', 'vva');
  await registerService(app, 'other-vva', 'vva');
  const provider = await createKey(app, 'provider', ['col-vva']);

  await t.test('JSON: 413 naming the limit, nothing stored', async (t) => {
    const records = makeRecords(LIMIT + 1, '2022-23-Q1');
    const res = await postJson(app, provider, { service: 'col-vva', period: '2022-23-Q1', records });
    t.equal(res.statusCode, 413, res.body);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    assertLimitProblem(t, res.json(), records);
    t.equal(await storedReturns(app), 0);
  });

  await t.test('JSON dry run: the same 413, so a provider learns it before submitting', async (t) => {
    const records = makeRecords(LIMIT + 1, '2022-23-Q1');
    const res = await postJson(app, provider, { service: 'col-vva', period: '2022-23-Q1', records }, '?dryRun=true');
    t.equal(res.statusCode, 413, res.body);
    t.equal(res.json().type, LIMIT_TYPE);
  });

  await t.test('updates count with the records', async (t) => {
    const records = makeRecords(LIMIT - 10, '2022-23-Q1');
    // Refused before the updates are checked, so their content does not matter.
    const updates = Array.from({ length: 11 }, () => ({}));
    const res = await postJson(app, provider, { service: 'col-vva', period: '2022-23-Q1', datasetVersion: '1.1.0', records, updates });
    t.equal(res.statusCode, 413, res.body);
    t.equal(res.json().type, LIMIT_TYPE);
  });

  await t.test('another service: authorisation comes first (403, not 413)', async (t) => {
    const res = await postJson(app, provider, { service: 'other-vva', period: '2022-23-Q1', records: makeRecords(LIMIT + 1, '2022-23-Q1') });
    t.equal(res.statusCode, 403, res.body);
  });

  await t.test('CSV: counted while read, 413 naming the limit, nothing stored', async (t) => {
    const records = makeRecords(LIMIT + 1, '2022-23-Q1');
    const res = await postCsv(app, provider, recordsToCsv(records), '2022-23-Q1');
    t.equal(res.statusCode, 413, res.body);
    assertLimitProblem(t, res.json(), records);
    t.equal(await storedReturns(app), 0);
  });

  await t.test('a refusal frees its Idempotency-Key: the same key may be used for a return that fits', async (t) => {
    const key = { 'idempotency-key': 'embedded-limit-retry-0001' };
    const over = await app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q3',
      headers: { ...bearer(provider), ...key, 'content-type': 'text/csv' },
      payload: recordsToCsv(makeRecords(LIMIT + 1, '2022-23-Q3')),
    });
    t.equal(over.statusCode, 413, over.body);
    const fits = await app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q3',
      headers: { ...bearer(provider), ...key, 'content-type': 'text/csv' },
      payload: recordsToCsv(makeRecords(LIMIT, '2022-23-Q3')),
    });
    t.equal(fits.statusCode, 201, fits.body);
  });

  await t.test('at the limit: JSON and CSV are accepted', async (t) => {
    const json = await postJson(app, provider, { service: 'col-vva', period: '2022-23-Q1', records: makeRecords(LIMIT, '2022-23-Q1') });
    t.equal(json.statusCode, 201, json.body);
    t.equal(json.json().recordCount, LIMIT);
    const csv = await postCsv(app, provider, recordsToCsv(makeRecords(LIMIT, '2022-23-Q2')), '2022-23-Q2');
    t.equal(csv.statusCode, 201, csv.body);
    t.equal(csv.json().recordCount, LIMIT);
    t.equal(await storedReturns(app), 3, 'Q1, Q2 and Q3, one version each');
  });
});

t.test('on PGlite, large bodies (jobs): JSON is refused before any job, a CSV job fails with the problem', async (t) => {
  // Every body above 2 KiB goes to a job, so small fixtures exercise the path.
  const app = await buildTestApp(t, { backend: 'pglite', config: { embeddedMaxRecords: LIMIT, asyncReturnBytes: 2048 } });
  await registerService(app, 'col-vva', 'vva');
  const provider = await createKey(app, 'provider', ['col-vva']);

  await t.test('JSON above the limit: 413 at once, no job', async (t) => {
    const records = makeRecords(LIMIT + 1, '2022-23-Q1');
    const res = await postJson(app, provider, { service: 'col-vva', period: '2022-23-Q1', records });
    t.equal(res.statusCode, 413, res.body);
    assertLimitProblem(t, res.json(), records);
  });

  await t.test('CSV above the limit: the job fails with 413, stops reading at the first record past it, stores nothing', async (t) => {
    // Far above the limit, so a job that read the whole file would show it in its progress.
    const records = makeRecords(LIMIT * 100, '2022-23-Q1');
    const res = await postCsv(app, provider, recordsToCsv(records), '2022-23-Q1');
    t.equal(res.statusCode, 202, res.body);
    const job = await waitForJob(app, res.json().id, bearer(provider));
    t.equal(job.status, 'failed');
    t.equal(job.result.status, 413);
    assertLimitProblem(t, job.result.body, records);
    t.ok(job.progress.fraction < 0.5, `read ${job.progress.fraction} of the file`);
    t.equal(await storedReturns(app), 0);
  });

  await t.test('CSV at the limit: the job succeeds', async (t) => {
    const res = await postCsv(app, provider, recordsToCsv(makeRecords(LIMIT, '2022-23-Q2')), '2022-23-Q2');
    t.equal(res.statusCode, 202, res.body);
    const job = await waitForJob(app, res.json().id, bearer(provider));
    t.equal(job.status, 'succeeded', JSON.stringify(job.result));
    t.match(job.result, { status: 201, body: { recordCount: LIMIT } });
  });
});

t.test('on PostgreSQL the limit does not apply', { skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set' }, async (t) => {
  const app = await buildTestApp(t, { backend: 'postgres', config: { embeddedMaxRecords: LIMIT } });
  await registerService(app, 'col-vva', 'vva');
  const provider = await createKey(app, 'provider', ['col-vva']);
  const json = await postJson(app, provider, { service: 'col-vva', period: '2022-23-Q1', records: makeRecords(LIMIT + 1, '2022-23-Q1') });
  t.equal(json.statusCode, 201, json.body);
  t.equal(json.json().recordCount, LIMIT + 1);
  const csv = await postCsv(app, provider, recordsToCsv(makeRecords(LIMIT + 1, '2022-23-Q2')), '2022-23-Q2');
  t.equal(csv.statusCode, 201, csv.body);
  t.equal(csv.json().recordCount, LIMIT + 1);
  t.equal(await storedReturns(app), 2);
});
