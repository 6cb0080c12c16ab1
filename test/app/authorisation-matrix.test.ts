/**
 * Every operation of the served OpenAPI document, called as every kind of caller, against the
 * expected matrix in test/support/authorisation-matrix.ts; and docs/authorisation.md, generated
 * from that matrix, is current.
 */
import { readFile } from 'node:fs/promises';
import type { InjectOptions } from 'fastify';
import t from 'tap';
import type { App } from '../../src/app.js';
import { DATASET_VERSION } from '../../src/schema/dataset/index.js';
import { generateAuthorisationDoc } from '../../scripts/generate-authorisation-doc.js';
import { authorisationMatrix, callers, expectedOutcome, type Caller } from '../support/authorisation-matrix.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

interface Context {
  app: App;
  returnId: string;
  jobId: string;
}

type Headers = Record<string, string>;
/** How to call one operation: may prepare what it destroys (a key to revoke, a lock to lift) first. */
type Call = (context: Context, headers: Headers) => Promise<InjectOptions> | InjectOptions;

let serial = 0;
const fresh = () => `m${++serial}`;

const calls: Record<string, Call> = {
  getHealth: () => ({ method: 'GET', url: '/health' }),
  getReadiness: () => ({ method: 'GET', url: '/ready' }),
  getApiMetadata: () => ({ method: 'GET', url: '/v1' }),
  getOpenApiDocument: () => ({ method: 'GET', url: '/v1/openapi.json' }),
  getReleaseNotes: () => ({ method: 'GET', url: '/v1/release-notes' }),
  getVersioningPolicy: () => ({ method: 'GET', url: '/v1/versioning-policy' }),
  getDataset: () => ({ method: 'GET', url: '/v1/dataset' }),
  getReturnTemplate: () => ({ method: 'GET', url: '/v1/dataset/template.csv' }),
  getCodeLists: () => ({ method: 'GET', url: '/v1/dataset/code-lists' }),
  getCodeListsCsv: () => ({ method: 'GET', url: '/v1/dataset/code-lists.csv' }),
  getRecordJsonSchema: () => ({ method: 'GET', url: `/v1/dataset/${DATASET_VERSION}/record.schema.json` }),
  getDatasetVersion: () => ({ method: 'GET', url: `/v1/dataset/${DATASET_VERSION}` }),
  listDatasetVersions: () => ({ method: 'GET', url: '/v1/dataset/versions' }),
  createService: () => ({ method: 'POST', url: '/v1/services', payload: { id: `svc-${fresh()}`, name: 'Matrix', serviceType: 'vva', area: 'E09000001' } }),
  listServices: () => ({ method: 'GET', url: '/v1/services' }),
  setServiceSchedule: () => ({ method: 'PUT', url: '/v1/services/svc-a/schedule', payload: { expectedFrom: '2022-23-Q1', deadlineDays: 30 } }),
  createApiKey: () => ({ method: 'POST', url: '/v1/api-keys', payload: { role: 'analyst', label: 'matrix' } }),
  revokeApiKey: async ({ app }) => {
    const created = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { role: 'analyst', label: 'to revoke' } });
    return { method: 'DELETE', url: `/v1/api-keys/${created.json().id}` };
  },
  putArea: () => ({ method: 'PUT', url: '/v1/areas/E09000001', payload: { name: 'City of London', population: [{ year: 2021, total: 8600 }] } }),
  getArea: () => ({ method: 'GET', url: '/v1/areas/E09000001' }),
  submitReturn: () => ({ method: 'POST', url: '/v1/returns', payload: { service: 'svc-a', period: '2022-23-Q2', records: [makeRecord(1, '2022-23-Q2')] } }),
  listReturns: () => ({ method: 'GET', url: '/v1/returns' }),
  getReturn: ({ returnId }) => ({ method: 'GET', url: `/v1/returns/${returnId}` }),
  getJob: ({ jobId }) => ({ method: 'GET', url: `/v1/jobs/${jobId}` }),
  getCountMeasures: () => ({ method: 'GET', url: '/v1/count-measures' }),
  getCountReturnTemplate: () => ({ method: 'GET', url: '/v1/count-measures/template.csv' }),
  submitCountReturn: () => ({
    method: 'POST',
    url: '/v1/count-returns',
    payload: { service: 'svc-a', period: '2022-23-Q2', counts: [{ measure: 'police_dvpn', area: 'E09000001', value: 3 }] },
  }),
  listCountReturns: () => ({ method: 'GET', url: '/v1/count-returns' }),
  getCounts: () => ({ method: 'GET', url: '/v1/counts?measure=helpline_calls&period=2022-23' }),
  getCountReturn: async ({ app }) => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/count-returns',
      headers: admin,
      payload: { service: 'svc-a', period: '2022-23-Q1', counts: [{ measure: 'police_dvpn', area: 'E09000001', value: 2 }] },
    });
    return { method: 'GET', url: `/v1/count-returns/${created.json().id}` };
  },
  getAggregates: () => ({ method: 'GET', url: '/v1/aggregates?period=2022-23&groupBy=period' }),
  getIndicators: () => ({ method: 'GET', url: '/v1/indicators?period=2022-23' }),
  getCompleteness: () => ({ method: 'GET', url: '/v1/completeness?period=2022-23' }),
  getOverlaps: () => ({ method: 'GET', url: '/v1/overlaps?period=2022-23' }),
  relinkPersons: () => ({ method: 'POST', url: '/v1/linkage/relink', payload: {} }),
  explainPerson: () => ({ method: 'GET', url: '/v1/linkage/persons?service=svc-a&period=2022-23-Q1&referralId=REF-00001' }),
  getLinkageModel: () => ({ method: 'GET', url: '/v1/linkage/model' }),
  getLinkageStatus: () => ({ method: 'GET', url: '/v1/linkage/status' }),
  diffReturnVersions: ({ returnId }) => ({ method: 'GET', url: `/v1/returns/${returnId}/diff` }),
  exportReferral: () => ({ method: 'GET', url: '/v1/services/svc-a/referrals/REF-00001' }),
  eraseReferral: async ({ app }) => {
    // A referral of its own for each caller to erase: a new version of a quarter nothing else reads.
    const referralId = `ERASE-${fresh()}`;
    const payload = { service: 'svc-a', period: '2019-20-Q4', records: [makeRecord(0, '2019-20-Q4', { referralId })] };
    await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
    return { method: 'DELETE', url: `/v1/services/svc-a/referrals/${referralId}?reason=subject_request` };
  },
  listPeriods: () => ({ method: 'GET', url: '/v1/periods' }),
  lockPeriod: () => ({ method: 'PUT', url: '/v1/periods/2019-20-Q1/lock', payload: { reason: 'matrix' } }),
  unlockPeriod: async ({ app }) => {
    await app.inject({ method: 'PUT', url: '/v1/periods/2019-20-Q2/lock', headers: admin, payload: {} });
    return { method: 'DELETE', url: '/v1/periods/2019-20-Q2/lock' };
  },
  listAuditEvents: () => ({ method: 'GET', url: '/v1/audit' }),
};

interface Operation {
  operationId: string;
  method: string;
  path: string;
  public: boolean;
}

function operationsOf(document: { paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ operationId: op.operationId, method: method.toUpperCase(), path, public: !op.security?.length })),
  );
}

t.test('every operation, as every caller, against the matrix', async (t) => {
  // The matrix makes some seventy failed authentications from one address; the limit is tested elsewhere.
  const app = await buildTestApp(t, { config: { authFailuresPerMinute: 10_000, asyncReturnBytes: 20_000 } });
  const operations = operationsOf((await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json());

  t.same(
    operations.map((o) => o.operationId).sort(),
    Object.keys(authorisationMatrix).sort(),
    'the matrix has a row for every operation of the served document, and no other',
  );
  t.same(Object.keys(calls).sort(), Object.keys(authorisationMatrix).sort(), 'and the test knows how to call each');
  for (const operation of operations) {
    t.equal(Boolean(authorisationMatrix[operation.operationId]?.public), operation.public, `${operation.operationId}: public in the matrix as in the document`);
  }

  await registerService(app, 'svc-a');
  await registerService(app, 'svc-b');
  const providerOwn = await createKey(app, 'provider', ['svc-a']);
  const providerOther = await createKey(app, 'provider', ['svc-b']);
  const analyst = await createKey(app, 'analyst');
  const revoked = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { role: 'admin', label: 'revoked' } });
  await app.inject({ method: 'DELETE', url: `/v1/api-keys/${revoked.json().id}`, headers: admin });

  // Two versions of svc-a's Q1 (so there is a diff), and a job of the provider's own.
  const submit = (period: string, records: Array<Record<string, unknown>>, key: string) =>
    app.inject({ method: 'POST', url: '/v1/returns', headers: bearer(key), payload: { service: 'svc-a', period, records } });
  t.equal((await submit('2022-23-Q1', makeRecords(5, '2022-23-Q1'), providerOwn)).statusCode, 201);
  const second = await submit('2022-23-Q1', makeRecords(6, '2022-23-Q1'), providerOwn);
  t.equal(second.statusCode, 201);
  const job = await submit('2022-23-Q3', makeRecords(60, '2022-23-Q3'), providerOwn);
  t.equal(job.statusCode, 202, 'a large return is a job');
  const context: Context = { app, returnId: second.json().id, jobId: job.json().id };

  const headersOf: Record<Caller, Headers> = {
    none: {},
    badKey: bearer('vawg_notAKey0000000000000000000000000000000000'),
    revokedKey: bearer(revoked.json().key),
    admin,
    providerOwn: bearer(providerOwn),
    providerOther: bearer(providerOther),
    analyst: bearer(analyst),
  };

  for (const operation of operations) {
    const access = authorisationMatrix[operation.operationId]!;
    const call = calls[operation.operationId]!;
    for (const caller of callers) {
      const headers = headersOf[caller];
      const request = await call(context, headers);
      const res = await app.inject({ ...request, headers: { ...(request.headers as Headers | undefined), ...headers } });
      const expected = expectedOutcome(access, caller);
      const where = `${operation.operationId} (${operation.method} ${operation.path}) as ${caller}: ${res.statusCode}`;
      if (expected === 'allowed' || expected === 'allowed, own data only') {
        t.ok(res.statusCode >= 200 && res.statusCode < 300, `${where}, expected ${expected}${res.statusCode >= 300 ? ` (${res.body.slice(0, 200)})` : ''}`);
        if (expected === 'allowed, own data only' && operation.operationId === 'listReturns') {
          t.notOk(
            (res.json().items as Array<{ service: string }>).some((r) => r.service === 'svc-a'),
            "another service's provider sees none of svc-a's returns",
          );
        }
      } else if (expected === '403 or 404') {
        t.ok(res.statusCode === 403 || res.statusCode === 404, `${where}, expected 403 or 404`);
      } else {
        t.equal(res.statusCode, Number(expected), `${where}, expected ${expected}`);
        if (expected === '401') t.match(res.headers['www-authenticate'], /^Bearer/, `${operation.operationId}: WWW-Authenticate`);
      }
    }
  }
});

t.test('docs/authorisation.md is the matrix (run node --import tsx scripts/generate-authorisation-doc.ts after changing it)', async (t) => {
  const committed = await readFile(new URL('../../docs/authorisation.md', import.meta.url), 'utf8');
  t.equal(committed, await generateAuthorisationDoc());
});
