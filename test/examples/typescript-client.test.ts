/**
 * The proof that another council can integrate from the spec alone: the client generated from
 * openapi/openapi.json (examples/typescript-client) talks to the real app over HTTP, and every call
 * below is type-checked against the generated types (`npm run typecheck` covers this file).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import t from 'tap';
import {
  ApiProblemError,
  checkReturn,
  createProviderKey,
  createVawgClient,
  getAggregate,
  getIndicators,
  getReturn,
  registerService,
  submitReturn,
  type DatasetRecord,
  type NewReturn,
} from '../../examples/typescript-client/client.js';
import { clientSchemaFile, generateClientSchema } from '../../scripts/generate-client.js';
import { ADMIN_KEY, buildTestApp } from '../helper.js';

const PERIOD = '2022-23-Q1';
const SERVICE = 'col-idva';

/** A typed record: a wrong code or a missing field here is a compile error, not a test failure. */
function referral(i: number): DatasetRecord {
  const vawg = i % 4 !== 3;
  return {
    referralId: `IDVA-${String(i).padStart(4, '0')}`,
    referralDate: `2022-0${4 + (i % 3)}-${String(1 + (i % 28)).padStart(2, '0')}`,
    referralSource: i % 2 === 0 ? 'police' : 'marac',
    category: vawg ? 'vawg' : 'non_vawg',
    ...(vawg ? { vawgTypes: i % 3 === 0 ? ['domestic_abuse', 'stalking'] : ['domestic_abuse'] } : { nonVawgCrimeType: 'violence' }),
    policeInvolvement: 'crime',
    riskLevel: i % 3 === 0 ? 'high' : 'medium',
    riskTool: 'dash',
    repeatReferral: i % 5 === 0,
    childrenInHousehold: i % 3,
    victim: {
      age: 20 + i,
      sex: 'female',
      genderIdentitySameAsSex: 'yes',
      sexualOrientation: 'heterosexual',
      ethnicity: i % 2 === 0 ? 'black_caribbean' : 'white_british',
      religion: 'no_religion',
      disability: 'no',
      interpreterRequired: false,
      relationshipToArea: 'resident',
      residence: 'in_area',
      vulnerabilities: [],
    },
    perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: 30 + i }],
    onwardReferrals: [],
  };
}

t.test('the generated client: register, key, submit, read back, aggregate, indicators', async (t) => {
  const app = await buildTestApp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const admin = createVawgClient({ baseUrl, apiKey: ADMIN_KEY });

  const service = await registerService(admin, { id: SERVICE, name: 'City of London IDVA', serviceType: 'idva', area: 'E09000001' });
  t.match(service, { id: SERVICE, serviceType: 'idva', area: 'E09000001' });

  const key = await createProviderKey(admin, [SERVICE], 'IDVA case system');
  t.equal(key.role, 'provider');
  t.same(key.services, [SERVICE]);
  const provider = createVawgClient({ baseUrl, apiKey: key.key });

  const records = Array.from({ length: 12 }, (_, i) => referral(i));
  const body: NewReturn = { service: SERVICE, period: PERIOD, records };

  const dryRun = await checkReturn(provider, body);
  t.match(dryRun, { dryRun: true, recordCount: 12, wouldBeVersion: 1 }, 'a dry run through the client');

  // openapi-fetch directly: `data` and `error` are typed from the spec's responses.
  const { data, error, response } = await provider.POST('/v1/returns', { params: { query: { dryRun: false } }, body });
  t.equal(response.status, 201, JSON.stringify(error));
  if (!data || 'kind' in data || 'dryRun' in data) throw new Error('expected a stored return');
  t.match(data, { service: SERVICE, period: PERIOD, version: 1, status: 'current', recordCount: 12 });

  const detail = await getReturn(provider, data.id);
  t.equal(detail.recordCount, 12);
  t.equal(detail.records.length, 12);
  t.same(detail.records, records, 'the records read back are the records sent');

  const byCategory = await getAggregate(admin, { measure: 'referrals', groupBy: ['category', 'riskLevel'], period: PERIOD });
  t.equal(byCategory.totals.overall.value, 12, 'the grand total is the number of records submitted');
  t.equal(byCategory.disclosure.applied, false, 'admin sees exact figures');
  const vawg = byCategory.totals.byDimension.category?.find((row) => row.key.category === 'vawg');
  t.equal(vawg?.value, records.filter((r) => r.category === 'vawg').length);
  const cellsSum = byCategory.cells.reduce((sum, cell) => sum + (cell.value ?? 0), 0);
  t.equal(cellsSum, 12, 'the cells add up to the total');

  const { indicators } = await getIndicators(admin, { period: PERIOD, service: SERVICE });
  const referrals = indicators.find((i) => i.id === 'referrals');
  t.equal(referrals?.value, 12, 'the referrals indicator counts the records');
  const repeat = indicators.find((i) => i.id === 'repeatReferrals');
  t.equal(repeat?.value ?? repeat?.numerator, records.filter((r) => r.repeatReferral).length, 'repeat referrals');

  // A second version through the helper, and a rejected return with typed problems.
  const second = await submitReturn(provider, { ...body, records: records.slice(0, 10) });
  t.match(second, { version: 2, recordCount: 10 });
  const after = await getAggregate(admin, { measure: 'referrals', groupBy: ['category'], period: PERIOD });
  t.equal(after.totals.overall.value, 10, 'only the current version counts');

  const bad = { ...body, records: [{ ...referral(0), referralDate: '2022-01-15' }] };
  const rejected = await submitReturn(provider, bad).catch((e: unknown) => e);
  t.ok(rejected instanceof ApiProblemError, 'a 422 becomes an ApiProblemError');
  if (rejected instanceof ApiProblemError) {
    t.equal(rejected.problem.status, 422);
    t.same(
      rejected.problem.errors?.map((e) => [e.pointer, e.code]),
      [['/records/0/referralDate', 'outside_period']],
    );
  }

  const forbidden = await getAggregate(provider, { measure: 'referrals', period: PERIOD }).catch((e: unknown) => e);
  t.ok(forbidden instanceof ApiProblemError && forbidden.problem.status === 403, 'a provider key may not read aggregates');
});

t.test('schema.d.ts is what openapi-typescript makes of the committed spec', async (t) => {
  const committed = await readFile(clientSchemaFile, 'utf8');
  const generated = await generateClientSchema();
  const lines = [committed.split('\n'), generated.split('\n')] as const;
  const firstDifference = lines[1].findIndex((line, i) => line !== lines[0][i]);
  t.ok(committed === generated, 'schema.d.ts is current (if not: npm run openapi, then npm run client)', {
    firstDifference: firstDifference < 0 ? null : { line: firstDifference + 1, committed: lines[0][firstDifference], generated: lines[1][firstDifference] },
  });
});

t.test('the example compiles on its own with its own tsconfig (tsc --noEmit, strict)', async (t) => {
  const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  const project = new URL('../../examples/typescript-client/tsconfig.json', import.meta.url).pathname;
  const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', project]).catch((e: { stdout?: string; code?: number }) => e);
  t.equal('code' in result ? result.code : 0, 0, 'stdout' in result ? String(result.stdout) : '');
});
