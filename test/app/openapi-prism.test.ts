/**
 * The spec checked against the server by a third party: Prism (`@stoplight/prism-cli`) as a
 * validating proxy in front of the real app, over a realistic session that calls every operation of
 * openapi/openapi.json (admin registers a service and keys, a provider submits JSON and CSV returns
 * and retries one, a large one becomes a job, an analyst reads the analytics, the client errors
 * 400/401/403/404/409/422/429). Prism reports, in `sl-violations`, every request and every response
 * that the document does not describe (status, headers, body); the session must find none.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ADMIN_KEY, buildTestApp } from '../helper.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';
import { spawnUntilReady, type ReadyProcess } from '../support/server-process.js';

const prismBin = fileURLToPath(new URL('../../node_modules/@stoplight/prism-cli/dist/index.js', import.meta.url));

type Json = Record<string, unknown>;

interface Violation {
  location?: string[];
  severity?: string;
  code?: string | number;
  message?: string;
}

interface Exchange {
  method: string;
  url: string;
  status: number;
  violations: Violation[];
  /** Sent deliberately against the document (a wrong code, no key): Prism should flag the request. */
  invalid: boolean;
}

/** Starts Prism in front of `upstream`; resolves once it answers (it does so within seconds). */
function startPrism(upstream: string): Promise<ReadyProcess> {
  return spawnUntilReady({
    name: 'prism',
    args: (port) => [prismBin, 'proxy', 'openapi/openapi.json', upstream, '--host', '127.0.0.1', '--port', String(port)],
    readyPath: '/health',
    timeoutMs: 60_000,
  });
}

/** `/v1/returns/{id}` for `/v1/returns/1c0a…`: which operation of the document a request was. */
function operationOf(templates: Array<{ method: string; template: string; pattern: RegExp }>, method: string, url: string): string | undefined {
  const path = url.split('?')[0]!;
  // The most specific template first: `/v1/dataset/template.csv` before `/v1/dataset/{version}`.
  const match = templates
    .filter((o) => o.method === method && o.pattern.test(path))
    .sort((a, b) => a.template.split('{').length - b.template.split('{').length)[0];
  return match ? `${method} ${match.template}` : undefined;
}

t.test('Prism, as a validating proxy over a whole session, finds no violation', async (t) => {
  const document = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, Json> };
  const templates = Object.entries(document.paths).flatMap(([template, item]) =>
    Object.keys(item).map((method) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    })),
  );

  // Returns above 40 kB become jobs, so the 202 and the job are part of the session.
  const app = await buildTestApp(t, { config: { asyncReturnBytes: 40_000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const upstream = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let prism: Awaited<ReturnType<typeof startPrism>>;
  try {
    prism = await startPrism(upstream);
  } catch (error) {
    t.skip(`Prism could not start, so the spec was not checked through it: ${(error as Error).message}`, async () => {});
    return;
  }
  t.teardown(async () => {
    if (prism.child.exitCode === null) {
      prism.child.kill('SIGTERM');
      await once(prism.child, 'exit');
    }
  });

  const exchanges: Exchange[] = [];
  const call = async (
    method: string,
    url: string,
    options: { key?: string | null; json?: unknown; text?: string; contentType?: string; headers?: Record<string, string>; invalid?: boolean } = {},
  ) => {
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.text !== undefined) {
      body = options.text;
      headers['content-type'] = options.contentType ?? 'text/csv';
    }
    const res = await fetch(`${prism.url}${url}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const raw = res.headers.get('sl-violations');
    const violations = raw ? (JSON.parse(raw) as Violation[]) : [];
    exchanges.push({ method, url, status: res.status, violations, invalid: options.invalid ?? false });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, text, body: /json/.test(type) && text ? (JSON.parse(text) as Json) : undefined };
  };

  // Public: metadata, the documents, the dataset, health.
  await call('GET', '/health', { key: null });
  await call('GET', '/ready', { key: null });
  await call('GET', '/v1', { key: null });
  await call('GET', '/v1/openapi.json', { key: null });
  await call('GET', '/v1/release-notes', { key: null });
  await call('GET', '/v1/versioning-policy', { key: null });
  await call('GET', '/v1/dataset', { key: null });
  await call('GET', '/v1/dataset/template.csv', { key: null });
  await call('GET', '/v1/dataset/code-lists', { key: null });
  await call('GET', '/v1/dataset/code-lists.csv', { key: null });
  await call('GET', '/v1/dataset/versions', { key: null });
  const version = ((await call('GET', '/v1', { key: null })).body as { datasetVersion: string }).datasetVersion;
  const schema = await call('GET', `/v1/dataset/${version}/record.schema.json`, { key: null });
  const etag = schema.headers.get('etag')!;
  t.equal((await call('GET', `/v1/dataset/${version}/record.schema.json`, { key: null, headers: { 'if-none-match': etag } })).status, 304);
  await call('GET', `/v1/dataset/${version}`, { key: null });
  await call('GET', '/v1/dataset/1.0.0', { key: null });
  await call('GET', '/v1/dataset/1.0.0/record.schema.json', { key: null });
  t.equal((await call('GET', '/v1/dataset/99.0.0', { key: null })).status, 404);

  // An admin registers services, an area and keys.
  const service = { id: 'col-idva', name: 'City of London IDVA', serviceType: 'idva', area: 'E09000001' };
  t.equal((await call('POST', '/v1/services', { json: service })).status, 201);
  await call('POST', '/v1/services', { json: { id: 'col-vva', name: 'City of London VVA', serviceType: 'vva', area: 'E09000001' } });
  t.equal((await call('POST', '/v1/services', { json: service })).status, 409, 'the same id again');
  t.equal((await call('POST', '/v1/services', { json: { ...service, id: 'col-x', serviceType: 'library' }, invalid: true })).status, 422);
  t.equal((await call('POST', '/v1/services', { json: service, key: null, invalid: true })).status, 401);
  await call('GET', '/v1/services');
  t.equal((await call('PUT', '/v1/services/col-idva/schedule', { json: { expectedFrom: '2022-23-Q1', deadlineDays: 30 } })).status, 200);
  t.equal((await call('PUT', '/v1/services/col-nobody/schedule', { json: { expectedFrom: null, deadlineDays: 30 } })).status, 404);

  const population = [{ year: 2021, total: 8600, adultFemale: 3600, byGroup: { sex: { female: 4200, male: 4400 } } }];
  const area = await call('PUT', '/v1/areas/E09000001', { json: { name: 'City of London', population } });
  t.equal(area.status, 201);
  t.equal(area.headers.get('location'), '/v1/areas/E09000001', 'Location of a new area');
  t.equal((await call('PUT', '/v1/areas/E09000001', { json: { name: 'City of London', population } })).status, 200);
  await call('GET', '/v1/areas/E09000001');

  // Count returns (contract 1.1 §5): the catalogue, JSON and CSV intake, a dry run, a 422, the list and one read.
  await call('GET', '/v1/count-measures', { key: null });
  await call('GET', '/v1/count-measures/template.csv', { key: null });
  const countBody = {
    service: 'col-vva',
    period: '2022-23-Q1',
    counts: [{ measure: 'helpline_calls', area: 'E09000001', value: 12, breakdown: { sex: 'female' } }],
  };
  const countReturn = await call('POST', '/v1/count-returns', { json: countBody });
  t.equal(countReturn.status, 201);
  t.equal((await call('POST', '/v1/count-returns?dryRun=true', { json: countBody })).status, 200);
  t.equal((await call('POST', '/v1/count-returns?service=col-vva&period=2022-23-Q1', { text: 'measure,area,value\npolice_dvpn,E09000001,3\n' })).status, 201);
  t.equal(
    (await call('POST', '/v1/count-returns', { json: { ...countBody, counts: [{ measure: 'helpline_calls', area: 'E09000001', value: -1 }] }, invalid: true }))
      .status,
    422,
  );
  await call('GET', '/v1/count-returns?service=col-vva');
  await call('GET', `/v1/count-returns/${(countReturn.body as { id: string }).id}`);
  t.equal((await call('GET', '/v1/areas/E09000002')).status, 404);

  const providerKey = (await call('POST', '/v1/api-keys', { json: { role: 'provider', services: ['col-idva'], label: 'IDVA case system' } })).body!
    .key as string;
  const analystKey = (await call('POST', '/v1/api-keys', { json: { role: 'analyst', label: 'Partnership analyst' } })).body!.key as string;
  const spare = (await call('POST', '/v1/api-keys', { json: { role: 'analyst', label: 'Spare' } })).body!.id as string;
  t.equal((await call('DELETE', `/v1/api-keys/${spare}`)).status, 204);
  t.equal((await call('DELETE', `/v1/api-keys/${spare}`)).status, 404);
  t.equal((await call('POST', '/v1/api-keys', { json: { role: 'analyst', label: 'x' }, key: providerKey })).status, 403);

  // A provider submits: JSON with an Idempotency-Key and its replay, a dry run, problems, CSV, a job.
  const records = Array.from({ length: 30 }, (_, i) => makeRecord(i, '2022-23-Q1', { onwardReferrals: [] }));
  const submission = { service: 'col-idva', period: '2022-23-Q1', records };
  const provider = { key: providerKey };
  const first = await call('POST', '/v1/returns', { ...provider, json: submission, headers: { 'idempotency-key': 'session-1' } });
  t.equal(first.status, 201, first.text);
  const returnId = first.body!.id as string;
  const replay = await call('POST', '/v1/returns', { ...provider, json: submission, headers: { 'idempotency-key': 'session-1' } });
  t.equal(replay.headers.get('idempotent-replayed'), 'true');
  t.equal((await call('POST', '/v1/returns?dryRun=true', { ...provider, json: submission })).status, 200);
  const invalid = { ...submission, records: [{ ...records[0], referralDate: '2022-01-15' }] };
  t.equal((await call('POST', '/v1/returns', { ...provider, json: invalid, headers: { 'idempotency-key': 'session-2' } })).status, 422);
  t.equal((await call('POST', '/v1/returns', { ...provider, json: invalid, headers: { 'idempotency-key': 'session-2' } })).status, 422, 'replayed 422');
  t.equal((await call('POST', '/v1/returns', { ...provider, text: '{"service": ', contentType: 'application/json' })).status, 400);
  t.equal((await call('POST', '/v1/returns', { ...provider, json: { ...submission, service: 'col-vva' } })).status, 403, 'another service');
  t.equal((await call('POST', '/v1/returns', { ...provider, text: 'a,b', contentType: 'application/xml', invalid: true })).status, 415);
  const second = await call('POST', '/v1/returns', { ...provider, json: { ...submission, records: records.slice(0, 25) } });
  t.equal(second.status, 201);
  const csv = recordsToCsv(
    Array.from({ length: 12 }, (_, i) => makeRecord(i, '2022-23-Q2', { onwardReferrals: [] })),
    { bom: true, eol: '\r\n' },
  );
  t.equal((await call('POST', '/v1/returns?service=col-idva&period=2022-23-Q2', { ...provider, text: csv })).status, 201, 'a CSV return');

  const large = {
    service: 'col-idva',
    period: '2022-23-Q3',
    records: Array.from({ length: 60 }, (_, i) => makeRecord(i, '2022-23-Q3', { onwardReferrals: [] })),
  };
  const queued = await call('POST', '/v1/returns', { ...provider, json: large });
  t.equal(queued.status, 202, 'a large return is a job');
  const jobUrl = queued.headers.get('location')!;
  let job: Json | undefined;
  for (let i = 0; i < 200; i++) {
    job = (await call('GET', jobUrl, provider)).body;
    if (job?.status === 'succeeded' || job?.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(job?.status, 'succeeded', JSON.stringify(job?.result));
  t.equal((await call('GET', '/v1/jobs/00000000-0000-4000-8000-000000000000', provider)).status, 404);

  await call('GET', '/v1/returns?service=col-idva&status=current', provider);
  await call('GET', `/v1/returns/${returnId}`, provider);
  await call('GET', `/v1/returns/${second.body!.id as string}/diff`, provider);
  t.equal((await call('GET', '/v1/returns/00000000-0000-4000-8000-000000000000', provider)).status, 404);
  t.equal((await call('GET', '/v1/returns/not-a-uuid', { ...provider, invalid: true })).status, 400);
  const exported = await call('GET', `/v1/services/col-idva/referrals/${records[0]!.referralId as string}`, provider);
  t.equal(exported.status, 200, 'a referral exported for a subject access request');
  t.equal((await call('GET', '/v1/services/col-idva/referrals/NO-SUCH-REF', provider)).status, 404);
  const erased = await call('DELETE', `/v1/services/col-idva/referrals/${records[29]!.referralId as string}?reason=recorded_in_error`, provider);
  t.equal(erased.status, 200, 'a referral erased');
  t.equal((await call('DELETE', '/v1/services/col-idva/referrals/NO-SUCH-REF?reason=other', provider)).status, 404);

  // An analyst reads the analytics, as JSON and as CSV.
  const analyst = { key: analystKey };
  await call('GET', '/v1/aggregates?period=2022-23&groupBy=category,riskLevel', analyst);
  await call('GET', '/v1/aggregates?period=2022-23&groupBy=sex&measure=people', analyst);
  await call('GET', '/v1/aggregates?period=2022-23-Q1&groupBy=vawgType', { key: ADMIN_KEY });
  const aggregateCsv = await call('GET', '/v1/aggregates?period=2022-23&groupBy=category&format=csv', analyst);
  t.match(aggregateCsv.headers.get('content-type'), /^text\/csv/);
  t.equal((await call('GET', '/v1/aggregates?period=2022-23&groupBy=category,notADimension', { ...analyst, invalid: true })).status, 400);
  t.equal((await call('GET', '/v1/aggregates?period=2022-23&service=col-nobody', analyst)).status, 404);
  await call('GET', '/v1/indicators?period=2022-23', analyst);
  await call('GET', '/v1/indicators?period=2022-23&area=E09000001', { key: ADMIN_KEY });
  await call('GET', '/v1/completeness?period=2022-23', analyst);
  await call('GET', '/v1/overlaps?period=2022-23', analyst);
  await call('GET', '/v1/counts?measure=helpline_calls&period=2022-23&groupBy=area,sex', analyst);
  await call('GET', '/v1/counts?measure=helpline_calls&period=2022-23-Q1&compareWith=previous_year', { key: ADMIN_KEY });
  t.equal((await call('GET', '/v1/counts?measure=not_a_measure&period=2022-23', { ...analyst, invalid: true })).status, 400);
  await call('GET', '/v1/services', analyst);
  await call('GET', '/v1/periods', analyst);
  t.equal((await call('GET', '/v1/aggregates?period=2022-23', provider)).status, 403);

  // Linkage, periods and the audit log (admin).
  await call('POST', '/v1/linkage/relink', { json: {} });
  await call('GET', `/v1/linkage/persons?service=col-idva&period=2022-23-Q1&referralId=${records[0]!.referralId as string}`);
  t.equal((await call('GET', '/v1/linkage/persons?service=col-idva&period=2022-23-Q1&referralId=NOBODY')).status, 404);
  await call('GET', '/v1/linkage/model');
  await call('GET', '/v1/linkage/status');
  t.equal((await call('PUT', '/v1/periods/2022-23-Q1/lock', { json: { reason: 'Annual report published' } })).status, 200);
  t.equal((await call('POST', '/v1/returns', { ...provider, json: submission })).status, 409, 'a locked period');
  t.equal((await call('DELETE', '/v1/periods/2022-23-Q1/lock')).status, 200);
  t.equal((await call('DELETE', '/v1/periods/2022-23-Q1/lock')).status, 404);
  await call('GET', '/v1/audit?limit=20');

  // Wrong keys until the failed-authentication limit answers 429 (last: it holds this address back).
  let limited = false;
  for (let i = 0; i < 40 && !limited; i++) limited = (await call('GET', '/v1/services', { key: `wrong-key-${i}` })).status === 429;
  t.ok(limited, 'failed authentications end in 429');

  const where = (e: Exchange, v: Violation) => ({ request: `${e.method} ${e.url}`, status: e.status, ...v });
  const ofResponses = exchanges.flatMap((e) => e.violations.filter((v) => v.location?.[0] !== 'request').map((v) => where(e, v)));
  t.same(ofResponses, [], `Prism found no violation in the ${exchanges.length} responses: each is a status, headers and body the document declares`);
  const ofRequests = exchanges.filter((e) => !e.invalid).flatMap((e) => e.violations.map((v) => where(e, v)));
  t.same(ofRequests, [], 'nor in the requests sent as the document says');
  // The requests sent against the document on purpose: Prism (the spec) and the server both refuse them.
  for (const e of exchanges.filter((x) => x.invalid))
    t.ok(
      e.status >= 400 && e.violations.some((v) => v.location?.[0] === 'request'),
      `${e.method} ${e.url}: refused by the server (${e.status}) and by the document`,
    );

  const called = new Set(exchanges.map((e) => operationOf(templates, e.method, e.url)));
  const missed = templates.map((o) => `${o.method} ${o.template}`).filter((op) => !called.has(op));
  t.same(missed, [], 'the session calls every operation of the document');
  const statuses = new Set(exchanges.map((e) => e.status));
  for (const status of [200, 201, 202, 204, 304, 400, 401, 403, 404, 409, 415, 422, 429]) t.ok(statuses.has(status), `the session met a ${status}`);
});
