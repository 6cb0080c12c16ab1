/**
 * A third-party generator's view of the spec: @hey-api/openapi-ts (types, SDK, fetch client) makes a
 * client from the committed openapi/openapi.json, as another council would from `/v1/openapi.json`.
 * A small program using it is compiled strictly, together with the generated code, and run against
 * the real app over HTTP: JSON and CSV returns, an idempotent replay, aggregates as JSON and as CSV
 * (`parseAs: 'text'`), and the `Location`, `x-request-id` and `Idempotent-Replayed` headers. The
 * generated types are searched for `unknown`: only the places the API declares free-form may have it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@hey-api/openapi-ts';
import t from 'tap';
import { ADMIN_KEY, buildTestApp } from '../helper.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const spec = path.join(root, 'openapi/openapi.json');

/**
 * Where the generated types may say `unknown`, by the exported type it is in, and why. Everything
 * else the API answers has a declared shape, so an `unknown` anywhere else fails the test.
 */
const FREE_FORM: Record<string, string> = {
  DatasetRecord:
    "the record's conditional requirements (`allOf` of `if`/`then`, e.g. vawgTypes when category is vawg) have no TypeScript form: hey-api writes `unknown & { …the record… }`, which is the record itself",
  AuditEvent: '`detail` differs by action (counts, versions, roles) and is documented as open: never record contents',
  GetOpenApiDocumentResponses: 'an OpenAPI document: its own specification describes it',
  GetRecordJsonSchemaResponses: 'a JSON Schema 2020-12 document: its own specification describes it',
  GetDatasetResponses: 'the dataset definition document: open for additions within a dataset version (fields, code lists, derived groupings)',
  GetDatasetVersionResponses: 'the dataset definition document, as for GET /v1/dataset',
  GetCodeListsResponses: 'the code-list document: each list is open for additions (crosswalks, sources)',
  GetLinkageModelResponses: "the linkage model's m and u probabilities, in the format of the model version named beside it (admin inspection only)",
};

/** Exported types whose code (not comments) mentions `unknown`, with how many times. */
function unknownsByType(source: string): Map<string, number> {
  const found = new Map<string, number>();
  let current = '(top)';
  let inComment = false;
  for (const line of source.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('/*')) inComment = !trimmed.includes('*/');
    else if (inComment) {
      if (trimmed.includes('*/')) inComment = false;
      continue;
    }
    if (trimmed.startsWith('/*') || trimmed.startsWith('*') || trimmed.startsWith('//')) continue;
    const declared = /^export type (\w+)/.exec(trimmed);
    if (declared) current = declared[1]!;
    const count = (trimmed.match(/\bunknown\b/g) ?? []).length;
    if (count > 0) found.set(current, (found.get(current) ?? 0) + count);
  }
  return found;
}

const PERIOD = '2022-23-Q1';
const SERVICE = 'col-idva';

/** The program an integrator would write; compiled with the generated client under strict settings. */
const usage = `
import { readFileSync } from 'node:fs';
import { createClient, createConfig } from './client/client/index.js';
import {
  createApiKey, createService, getAggregates, getReturn, submitReturn,
  type Aggregate, type DatasetRecord, type Dimension, type Job, type Problem, type Return, type ServiceType,
} from './client/index.js';

const [baseUrl, adminKey, csvFile] = process.argv.slice(2);
if (!baseUrl || !adminKey || !csvFile) throw new Error('usage: usage.js <baseUrl> <adminKey> <return.csv>');
const admin = createClient(createConfig({ baseUrl, auth: adminKey }));

// The spec's enums are TypeScript unions: a wrong code is a compile error, not a 400.
// @ts-expect-error not a dimension
const notADimension: Dimension = 'notADimension';
// @ts-expect-error not a service type
const notAServiceType: ServiceType = 'library';
void notADimension;
void notAServiceType;

/** What a job's result body is, told apart by its required properties. */
function describeJobBody(job: Job): string {
  const body = job.result?.body;
  if (body === undefined) return 'running';
  if ('wouldBeVersion' in body) return 'dry run: version ' + body.wouldBeVersion;
  if ('recordCount' in body && 'id' in body) return 'stored: ' + body.id;
  return 'problem: ' + body.type;
}
void describeJobBody;

function referral(i: number): DatasetRecord {
  return {
    referralId: 'IDVA-' + String(i).padStart(4, '0'),
    referralDate: '2022-0' + String(4 + (i % 3)) + '-' + String(1 + (i % 28)).padStart(2, '0'),
    referralSource: i % 2 === 0 ? 'police' : 'marac',
    category: 'vawg',
    vawgTypes: ['domestic_abuse'],
    policeInvolvement: 'crime',
    riskLevel: i % 3 === 0 ? 'high' : 'medium',
    repeatReferral: i % 5 === 0,
    childrenInHousehold: i % 3,
    victim: {
      age: 20 + i, sex: 'female', genderIdentitySameAsSex: 'yes', sexualOrientation: 'heterosexual',
      ethnicity: i % 2 === 0 ? 'black_caribbean' : 'white_british', religion: 'no_religion', disability: 'no',
      interpreterRequired: false, relationshipToArea: 'resident', residence: 'in_area', vulnerabilities: [],
    },
    perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: 30 + i }],
    onwardReferrals: [],
  };
}

const service = await createService({ client: admin, body: { id: '${SERVICE}', name: 'City of London IDVA', serviceType: 'idva', area: 'E09000001' } });
if (!service.data) throw new Error('createService: ' + JSON.stringify(service.error));
const serviceType: ServiceType = service.data.serviceType;

const key = await createApiKey({ client: admin, body: { role: 'provider', services: ['${SERVICE}'], label: 'IDVA case system' } });
if (!key.data) throw new Error('createApiKey: ' + JSON.stringify(key.error));
const provider = createClient(createConfig({ baseUrl, auth: key.data.key }));

const records = Array.from({ length: 8 }, (_, i) => referral(i));
const body = { service: '${SERVICE}', period: '${PERIOD}', records };
const first = await submitReturn({ client: provider, body, headers: { 'idempotency-key': 'usage-1' } });
if (first.response.status !== 201 || !first.data || !('version' in first.data)) throw new Error('submitReturn: ' + JSON.stringify(first.error));
const stored: Return = first.data;
const replay = await submitReturn({ client: provider, body, headers: { 'idempotency-key': 'usage-1' } });

const detail = await getReturn({ client: provider, path: { id: stored.id } });
if (!detail.data) throw new Error('getReturn');
const versionStatuses: Array<'current' | 'superseded'> = detail.data.versions.map((v) => v.status);

// A CSV return through the same client: its body is text (a spreadsheet export), the service and period in the query.
const csv = readFileSync(csvFile, 'utf8');
const csvReturn = await provider.post<{ 201: Return }, { 422: Problem }>({
  url: '/v1/returns',
  security: [{ scheme: 'bearer', type: 'http' }],
  query: { service: '${SERVICE}', period: '2022-23-Q2' },
  body: csv,
  bodySerializer: null,
  headers: { 'content-type': 'text/csv' },
});

const groupBy: Dimension[] = ['category', 'riskLevel'];
const table = await getAggregates({ client: admin, query: { period: '${PERIOD}', groupBy } });
if (!table.data) throw new Error('getAggregates: ' + JSON.stringify(table.error));
const aggregate: Aggregate = table.data;
const representation: number | null | undefined = aggregate.cells[0]?.representation;
const dimensionTotals = aggregate.totals.byDimension['category'] ?? [];

// The CSV accessor: the same operation with format=csv, read as text.
const asCsv = await getAggregates({ client: admin, query: { period: '${PERIOD}', groupBy, format: 'csv' }, parseAs: 'text' });
const csvText: unknown = asCsv.data;
if (typeof csvText !== 'string') throw new Error('format=csv did not answer text');

const denied = await getAggregates({ client: provider, query: { period: '${PERIOD}' } });
const problem: Problem | undefined = denied.error;

console.log(JSON.stringify({
  serviceType,
  serviceRequestId: service.response.headers.get('x-request-id'),
  stored: { id: stored.id, version: stored.version, recordCount: stored.recordCount },
  location: first.response.headers.get('location'),
  requestId: first.response.headers.get('x-request-id'),
  replay: { status: replay.response.status, replayed: replay.response.headers.get('idempotent-replayed'), location: replay.response.headers.get('location') },
  versionStatuses,
  csvReturn: { status: csvReturn.response.status, location: csvReturn.response.headers.get('location'), recordCount: csvReturn.data?.recordCount ?? null },
  aggregate: { groupBy: aggregate.groupBy, total: aggregate.totals.overall.value, cells: aggregate.cells.length, categoryTotals: dimensionTotals.length, representation: representation ?? null },
  csv: { contentType: asCsv.response.headers.get('content-type'), firstLine: csvText.replace(/^\\uFEFF/, '').split(/\\r?\\n/)[0] },
  denied: { status: denied.response.status, problemStatus: problem?.status ?? null, requestId: denied.response.headers.get('x-request-id'), problemRequestId: problem?.requestId ?? null },
}));
`;

const tsconfig = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    // Not exactOptionalPropertyTypes: hey-api's own client code (client/, core/) does not compile with it.
    noImplicitOverride: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    noUnusedLocals: true,
    isolatedModules: true,
    skipLibCheck: false,
    outDir: 'dist',
    rootDir: '.',
    typeRoots: [path.join(root, 'node_modules/@types')],
    types: ['node'],
  },
  include: ['usage.ts', 'client/**/*.ts'],
};

t.test('a client generated by @hey-api/openapi-ts compiles strictly and talks to the API', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vawg-hey-api-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await createClient({
    input: spec,
    output: path.join(dir, 'client'),
    plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
    logs: { level: 'silent' },
  });

  await t.test('no unknown where the API answers a known shape', async (t) => {
    const types = await readFile(path.join(dir, 'client/types.gen.ts'), 'utf8');
    const found = unknownsByType(types);
    const unexpected = [...found.keys()].filter((name) => !(name in FREE_FORM));
    t.same(unexpected, [], 'every unknown is in a place the API declares free-form');
    const stale = Object.keys(FREE_FORM).filter((name) => !found.has(name));
    t.same(stale, [], 'the allow-list names only places that still have an unknown');
  });

  await writeFile(path.join(dir, 'usage.ts'), usage);
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const compiled = await run(process.execPath, [tsc, '-p', dir]).catch((e: { stdout?: string; code?: number }) => e);
  t.equal(
    'code' in compiled ? compiled.code : 0,
    0,
    `tsc (strict, noUncheckedIndexedAccess, no unused locals): ${'stdout' in compiled ? compiled.stdout : ''}`,
  );
  if ('code' in compiled && compiled.code) return;

  const app = await buildTestApp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const csvFile = path.join(dir, 'return.csv');
  await writeFile(
    csvFile,
    recordsToCsv(
      Array.from({ length: 3 }, (_, i) => makeRecord(i, '2022-23-Q2')),
      { bom: true, eol: '\r\n' },
    ),
  );
  const { stdout } = await run(process.execPath, [path.join(dir, 'dist/usage.js'), `http://127.0.0.1:${port}`, ADMIN_KEY, csvFile]);
  const seen = JSON.parse(stdout) as {
    serviceType: string;
    serviceRequestId: string | null;
    stored: { id: string; version: number; recordCount: number };
    location: string | null;
    requestId: string | null;
    replay: { status: number; replayed: string | null; location: string | null };
    versionStatuses: string[];
    csvReturn: { status: number; location: string | null; recordCount: number | null };
    aggregate: { groupBy: string[]; total: number | null; cells: number; categoryTotals: number; representation: number | null };
    csv: { contentType: string | null; firstLine: string };
    denied: { status: number; problemStatus: number | null; requestId: string | null; problemRequestId: string | null };
  };

  t.equal(seen.serviceType, 'idva');
  t.match(seen.serviceRequestId, /^[0-9a-f-]{36}$/, 'x-request-id on a 201');
  t.match(seen.stored, { version: 1, recordCount: 8 });
  t.equal(seen.location, `/v1/returns/${seen.stored.id}`, 'Location names the stored return');
  t.match(seen.requestId, /^[0-9a-f-]{36}$/);
  t.same(seen.replay, { status: 201, replayed: 'true', location: seen.location }, 'the same Idempotency-Key replays the 201, marked, with its Location');
  t.same(seen.versionStatuses, ['current']);
  t.match(seen.csvReturn, { status: 201, recordCount: 3 }, 'a CSV return through the generated client');
  t.match(seen.csvReturn.location, /^\/v1\/returns\/[0-9a-f-]{36}$/);

  t.same(seen.aggregate.groupBy, ['category', 'riskLevel'], 'groupBy sent as one comma-separated value, as the spec says');
  t.equal(seen.aggregate.total, 8, 'admin: the exact total of the JSON return (the CSV one is another quarter)');
  const direct = await app.inject({
    method: 'GET',
    url: `/v1/aggregates?period=${PERIOD}&groupBy=category,riskLevel`,
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  t.equal(seen.aggregate.cells, direct.json().cells.length, 'the cells the API answers');
  t.equal(seen.aggregate.representation, null, 'no population dimension: no representation');
  t.match(seen.csv.contentType, /^text\/csv/);
  t.ok(
    ['category', 'riskLevel'].every((d) => seen.csv.firstLine.split(',').includes(d)),
    'the CSV header row names the dimensions',
  );

  t.equal(seen.denied.status, 403, 'a provider key may not read aggregates');
  t.equal(seen.denied.problemStatus, 403, 'the typed error is the problem document');
  t.equal(seen.denied.problemRequestId, seen.denied.requestId, 'the problem quotes the x-request-id header');
});
