/**
 * Hostile and careless input: each case is a request that once answered 5xx, echoed a cell back or
 * stored one. Bad input is a 4xx problem document naming a position, and nothing of the input's
 * content reaches a response, a stored response or a log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { idempotencyKeys, jobs } from '../../src/db/tables.js';
import { listTemplateColumns } from '../../src/schema/dataset/csv-columns.js';
import { MAX_PROBLEMS } from '../../src/services/returns/validate-return.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, LogCapture, registerService } from '../helper.js';
import type { App } from '../../src/app.js';

/** An SLK-581 as a provider would compute it: it must never come back, be stored in clear or be logged. */
const SLK = 'MIHAR010119802';
const csvHeaders = { ...admin, 'content-type': 'text/csv' };

function withSlk(i: number, period = '2022-23-Q1') {
  const record = makeRecord(i, period);
  return { ...record, victim: { ...(record.victim as object), linkage: { slk581: SLK } } };
}

function isProblem(t: Test, res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, name: string) {
  t.equal(res.statusCode, status, `${name} → ${status}`);
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${name} is a problem document`);
  t.match(res.json(), { type: String, title: String, status, detail: String, instance: String, requestId: String }, `${name} has the RFC 9457 members`);
}

async function waitForJob(app: App, id: string) {
  for (let i = 0; i < 400; i++) {
    const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: admin })).json();
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('job did not finish');
}

async function returnCount(app: App, service: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: `/v1/returns?service=${service}`, headers: admin })).json().total as number;
}

// One app for the file (building one costs seconds on PGlite); each test has its own service.
// Bodies above 4 KiB become jobs, so small fixtures reach the job path too.
const logs = new LogCapture();
const app: App = await buildTestApp(t, { logs, config: { asyncReturnBytes: 4096 } });
await app.listen({ port: 0, host: '127.0.0.1' });
const csvUrlFor = (service: string, period = '2022-23-Q1') => `/v1/returns?service=${service}&period=${period}`;

t.test('malformed CSV is a 400 located by row and column, never quoting the cell', async (t) => {
  await registerService(app, 'col-csv');
  const csvUrl = csvUrlFor('col-csv');
  const columns = listTemplateColumns();
  const slkColumn = columns.findIndex((c) => c.name === 'victim.linkage.slk581');
  const [header, row] = recordsToCsv([withSlk(1)]).split('\n');
  const cells = row!.split(',');

  const strayQuote = [...cells];
  strayQuote[slkColumn] = `${SLK}"x`;
  let res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: `${header}\n${strayQuote.join(',')}\n` });
  isProblem(t, res, 400, 'a stray quote inside a cell');
  t.match(res.json().errors, [{ pointer: `row 2, column ${slkColumn + 1}`, code: 'csv_syntax' }], 'names the row and the column');
  t.notMatch(res.body, SLK, 'the cell is not quoted back');

  res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: '{"a":' });
  isProblem(t, res, 400, 'JSON sent as text/csv');

  res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: `${header}\n"${SLK},unclosed\n` });
  isProblem(t, res, 400, 'a quote never closed');
  t.notMatch(res.body, SLK);

  res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: `${header}\n${'x'.repeat(1_100_000)}\n` });
  t.equal(res.statusCode, 202, 'a big body is a job');
  const job = await waitForJob(app, res.json().id);
  t.match(job.result, { status: 400, body: { errors: [{ pointer: 'row 2, column 1', code: 'csv_syntax' }] } }, 'a row over the row size limit is a 400');

  t.equal(await returnCount(app, 'col-csv'), 0, 'nothing was stored');
  t.notMatch(logs.text, SLK, 'no log line holds the SLK');
  t.notMatch(logs.text, /"level":50/, 'no error was logged: these are client errors');
});

t.test('a CSV without its header row names header cells by position, and no cell is stored', async (t) => {
  await registerService(app, 'col-noheader');
  const csvUrl = csvUrlFor('col-noheader');
  const noHeader = recordsToCsv([withSlk(1), withSlk(2)])
    .split('\n')
    .slice(1)
    .join('\n');
  const res = await app.inject({ method: 'POST', url: csvUrl, headers: { ...csvHeaders, 'idempotency-key': 'no-header-1' }, payload: noHeader });
  isProblem(t, res, 422, 'a file without its header row');
  const errors = res.json().errors as Array<{ pointer: string; code: string }>;
  t.equal(errors[0]!.code, 'missing_header', 'says the header row seems missing');
  t.ok(
    errors.some((e) => e.pointer === 'row 1, column 1'),
    'unknown header cells are named by position',
  );
  t.notMatch(res.body, SLK, 'the SLK is not in the problem');
  t.notMatch(res.body, 'REF-00001', 'nor any other cell of the row');

  const replay = await app.inject({ method: 'POST', url: csvUrl, headers: { ...csvHeaders, 'idempotency-key': 'no-header-1' }, payload: noHeader });
  t.equal(replay.headers['idempotent-replayed'], 'true');
  const stored = await app.db.select({ body: idempotencyKeys.responseBody }).from(idempotencyKeys).where(eq(idempotencyKeys.key, 'no-header-1'));
  t.equal(stored.length, 1);
  t.notMatch(JSON.stringify(stored), SLK, 'the stored response (replayed for 24 h) holds no SLK');
  t.notMatch(JSON.stringify(stored), 'REF-00001');

  // The same file large enough to become a job: the job result is stored for good.
  const big = recordsToCsv(Array.from({ length: 40 }, (_, i) => withSlk(i)))
    .split('\n')
    .slice(1)
    .join('\n');
  const accepted = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: big });
  t.equal(accepted.statusCode, 202);
  const job = await waitForJob(app, accepted.json().id);
  t.equal(job.result.status, 422);
  const rows = await app.db.select({ result: jobs.result }).from(jobs).where(eq(jobs.id, job.id));
  t.notMatch(JSON.stringify(rows), SLK, 'no job result holds the SLK');
});

t.test('header problems are capped like record problems', async (t) => {
  await registerService(app, 'col-wide');
  const csvUrl = csvUrlFor('col-wide');
  const unknown = Array.from({ length: 20_000 }, (_, i) => `c${i}x`);
  const header = [...listTemplateColumns().map((c) => c.name), ...unknown].join(',');
  const res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: `${header}\n` });
  t.equal(res.statusCode, 202, 'large enough to be a job');
  const job = await waitForJob(app, res.json().id);
  t.equal(job.result.status, 422);
  t.equal(job.result.body.errors.length, MAX_PROBLEMS, 'the first MAX_PROBLEMS are listed');
  t.equal(job.result.body.problemCount, 20_000, 'and every one is counted');
  t.ok(JSON.stringify(job).length < 400_000, 'the stored result stays small');
});

t.test('values the database cannot hold are refused at the edge with the field named', async (t) => {
  await registerService(app, 'col-vva');
  const csvUrl = csvUrlFor('col-vva');
  const json = { ...admin, 'content-type': 'application/json' };
  const cases: Array<{
    name: string;
    method: 'POST' | 'PUT' | 'GET';
    url: string;
    headers?: Record<string, string>;
    payload?: unknown;
    status: number;
    at: string;
  }> = [
    {
      name: 'NUL in a service name',
      method: 'POST',
      url: '/v1/services',
      payload: { id: 'col-nul', name: 'a\u0000b', serviceType: 'vva', area: 'E09000001' },
      status: 422,
      at: '/name',
    },
    { name: 'NUL in a key label', method: 'POST', url: '/v1/api-keys', payload: { role: 'analyst', label: 'x\u0000' }, status: 422, at: '/label' },
    { name: 'NUL in a lock reason', method: 'PUT', url: '/v1/periods/2022-23-Q1/lock', payload: { reason: 'published\u0000' }, status: 422, at: '/reason' },
    { name: 'a control character in an area name', method: 'PUT', url: '/v1/areas/E09000001', payload: { name: 'City\u0007' }, status: 422, at: '/name' },
    {
      name: 'an unpaired surrogate',
      method: 'POST',
      url: '/v1/services',
      payload: '{"id":"col-x","name":"\\ud800","serviceType":"vva","area":"E09000001"}',
      status: 422,
      at: '/name',
    },
    {
      name: 'NUL in a JSON return envelope',
      method: 'POST',
      url: '/v1/returns',
      payload: { service: 'col\u0000', period: '2022-23-Q1', records: [] },
      status: 422,
      at: '/service',
    },
    { name: 'NUL in a query parameter', method: 'GET', url: '/v1/audit?resourceId=a%00b', status: 400, at: 'resourceId' },
    { name: 'NUL in the CSV service parameter', method: 'GET', url: '/v1/returns?service=col%00', status: 400, at: 'service' },
    {
      name: 'NUL in an Idempotency-Key',
      method: 'POST',
      url: '/v1/returns',
      headers: { 'idempotency-key': 'k\u0000' },
      payload: { service: 'col-vva', period: '2022-23-Q1', records: [makeRecord(1)] },
      status: 400,
      at: 'idempotency-key',
    },
  ];
  for (const c of cases) {
    const res = await app.inject({ method: c.method, url: c.url, headers: { ...json, ...(c.headers ?? {}) }, payload: c.payload as string });
    isProblem(t, res, c.status, c.name);
    const where = (res.json().errors ?? []).map((e: { pointer?: string; parameter?: string }) => e.pointer ?? e.parameter);
    t.ok(where.includes(c.at), `${c.name} names ${c.at} (${JSON.stringify(where)})`);
  }

  const [header, row] = recordsToCsv([makeRecord(1)]).split('\n');
  let res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: `${header},bad\u0000name\n${row},\n` });
  isProblem(t, res, 422, 'NUL in a CSV header cell');
  t.notMatch(res.body, '\\u0000', 'the header cell is not echoed');
  const cells = row!.split(',');
  cells[0] = 'REF\u0000';
  res = await app.inject({ method: 'POST', url: csvUrl, headers: csvHeaders, payload: `${header}\n${cells.join(',')}\n` });
  isProblem(t, res, 422, 'NUL in a CSV cell');
  t.match(res.json().errors, [{ pointer: 'row 2, column referralId', code: 'forbidden_character' }]);
  t.equal(await returnCount(app, 'col-vva'), 0, 'nothing was stored');
});

t.test('bodies: nesting, media types and charsets are 4xx, never 5xx', async (t) => {
  const json = { ...admin, 'content-type': 'application/json' };
  const deep = `{"service":"col-vva","period":"2022-23-Q1","records":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}`;
  isProblem(t, await app.inject({ method: 'POST', url: '/v1/returns', headers: json, payload: deep }), 400, 'JSON nested 10,000 levels');
  isProblem(
    t,
    await app.inject({ method: 'POST', url: '/v1/returns', headers: { ...json, 'idempotency-key': 'deep' }, payload: deep }),
    400,
    'the same with an Idempotency-Key (the request fingerprint stringifies the body)',
  );
  isProblem(
    t,
    await app.inject({ method: 'POST', url: '/v1/services', headers: json, payload: `{"name":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}` }),
    400,
    'deep objects',
  );
  const service = { id: 'col-two', name: 'Two', serviceType: 'vva', area: 'E09000001' };
  isProblem(
    t,
    await app.inject({ method: 'POST', url: '/v1/services', headers: { ...admin, 'content-type': 'text/plain' }, payload: JSON.stringify(service) }),
    415,
    'text/plain',
  );
  isProblem(
    t,
    await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: { ...admin, 'content-type': 'application/json; charset=utf-16' },
      payload: JSON.stringify(service),
    }),
    415,
    'charset=utf-16',
  );
  let res = await app.inject({ method: 'POST', url: '/v1/services', headers: json, payload: `{"name":${SLK}}` });
  isProblem(t, res, 400, 'invalid JSON');
  t.notMatch(res.body, SLK, "the parser's message, which quotes the body, is not passed on");
  res = await app.inject({ method: 'POST', url: '/v1/services', headers: json, payload: '{\n"name":"x",}' });
  isProblem(t, res, 400, 'a trailing comma');
  t.match(res.json().detail, /line 2, column 12/, 'the position instead, where the parser gives one');

  res = await app.inject({ method: 'POST', url: '/v1/services', headers: json, payload: { ...service, [`${SLK} ${'x'.repeat(500)}`]: 1 } });
  isProblem(t, res, 422, 'an unknown field whose name is not a name');
  t.notMatch(res.body, SLK, 'is not named back');

  res = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: json, payload: {} });
  t.equal(res.statusCode, 200, 'relink with {}: estimate defaults to false');
  t.equal(res.json().estimated, false);
  t.notOk(
    (await app.inject({ method: 'GET', url: '/v1/services', headers: admin })).json().items.some((s: { id: string }) => s.id === 'col-two'),
    'no service was created',
  );
});

t.test('a known path with another method is 405 with Allow; fastify and Node refusals are problem documents', async (t) => {
  let res = await app.inject({ method: 'DELETE', url: '/v1/services', headers: admin });
  isProblem(t, res, 405, 'DELETE /v1/services');
  t.equal(res.headers.allow, 'GET, HEAD, POST');
  res = await app.inject({ method: 'PATCH', url: '/v1/returns/0b6d1f4e-0000-4000-8000-000000000000', headers: admin });
  isProblem(t, res, 405, 'PATCH on a path with a parameter');
  t.equal(res.headers.allow, 'GET, HEAD');
  isProblem(t, await app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'an unknown path is still 404');
  isProblem(t, await app.inject({ method: 'GET', url: '/v1/returns/%zz', headers: admin }), 400, 'malformed percent-encoding');

  const { port } = app.server.address() as AddressInfo;
  const raw = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body }));
      });
      req.on('error', reject);
    });
  for (const [name, path, headers, status] of [
    ['a path parameter over maxParamLength', `/v1/returns/${'a'.repeat(500)}`, admin, 414],
    ['headers over the size limit', '/health', { 'x-filler': 'a'.repeat(20_000) }, 431],
  ] as const) {
    const response = await raw(path, headers);
    t.equal(response.status, status, `${name} → ${status}`);
    t.match(response.type, /^application\/problem\+json/, `${name} is a problem document`);
    t.match(JSON.parse(response.body), { status, type: String, title: String, detail: String, requestId: String });
    t.notMatch(response.body, 'aaaaaaaaaa', 'the path is not quoted back');
  }
});

t.test('an analyst aggregate without groupBy is the total alone, suppressed when small', async (t) => {
  await registerService(app, 'col-agg');
  const submitted = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'col-agg', period: '2021-22-Q1', records: makeRecords(3, '2021-22-Q1') },
  });
  t.equal(submitted.statusCode, 201);
  const analyst = await createKey(app, 'analyst');
  const res = await app.inject({ method: 'GET', url: '/v1/aggregates?period=2021-22&service=col-agg', headers: bearer(analyst) });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json().totals.overall, { value: null, status: 'suppressed' }, '3 referrals is below the threshold');
  t.match(res.json().cells, [{ value: null, status: 'suppressed' }]);
  const exact = await app.inject({ method: 'GET', url: '/v1/aggregates?period=2021-22&service=col-agg', headers: admin });
  t.match(exact.json().totals.overall, { value: 3, status: 'ok' }, 'admins see the exact figure');
});

t.test('record-level and other authenticated responses are not cacheable; chunked JSON meets the job threshold', async (t) => {
  await registerService(app, 'col-cache');
  const first = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'col-cache', period: '2022-23-Q1', records: makeRecords(2) },
  });
  const second = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'col-cache', period: '2022-23-Q1', records: makeRecords(3) },
  });
  t.equal(second.statusCode, 201);
  for (const url of [`/v1/returns/${second.json().id}`, `/v1/returns/${second.json().id}/diff`, `/v1/returns/${first.json().id}`, '/v1/returns', '/v1/audit']) {
    const res = await app.inject({ method: 'GET', url, headers: admin });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['cache-control'], 'no-store', `${url} is Cache-Control: no-store`);
  }

  const { port } = app.server.address() as AddressInfo;
  const body = JSON.stringify({ service: 'col-cache', period: '2022-23-Q2', records: makeRecords(60, '2022-23-Q2') });
  t.ok(body.length > 4096);
  const response = await new Promise<{ status: number; body: string; cacheControl: unknown }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/returns', headers: { ...admin, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, cacheControl: res.headers['cache-control'] }));
      },
    );
    req.on('error', reject);
    // No Content-Length: the body is sent chunked, as a streaming client would.
    for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000));
    req.end();
  });
  t.equal(response.status, 202, 'a chunked body over the threshold becomes a job');
  t.equal(response.cacheControl, 'no-store');
  const job = await waitForJob(app, JSON.parse(response.body).id);
  t.equal(job.result.status, 201);
  const jobRead = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: admin });
  t.equal(jobRead.headers['cache-control'], 'no-store', 'job results too');
});

t.test('problems never quote a cell: duplicate referralIds and unknown onward services', async (t) => {
  const records = [makeRecord(1, '2022-23-Q1', { referralId: SLK }), makeRecord(2, '2022-23-Q1', { referralId: SLK })];
  records[1] = { ...records[1]!, onwardReferrals: [{ serviceType: 'idva', service: 'mihar010119802' }] };
  for (const [name, res] of [
    ['JSON', await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service: 'col-vva', period: '2022-23-Q1', records } })],
    ['CSV', await app.inject({ method: 'POST', url: csvUrlFor('col-vva'), headers: csvHeaders, payload: recordsToCsv(records) })],
  ] as const) {
    isProblem(t, res, 422, `${name} duplicate referralId`);
    t.match(res.json().errors, [{ code: 'duplicate' }, { code: 'unknown_service' }]);
    t.notMatch(res.body.toLowerCase(), SLK.toLowerCase(), `${name}: neither value is quoted back`);
  }
  const provider = await createKey(app, 'provider', ['col-vva']);
  const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: bearer(provider), payload: { service: SLK, period: '2022-23-Q1', records: [] } });
  isProblem(t, res, 403, 'a provider naming a service that is not an id');
  t.notMatch(res.body, SLK, 'the value is not quoted back');
});

t.test('after all of the above, no log line holds the SLK or an error', async (t) => {
  t.notMatch(logs.text, SLK);
  t.notMatch(logs.text, /"level":50/);
});
