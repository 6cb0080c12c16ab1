import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import t from 'tap';
import { problemsFromAjv } from '../../src/lib/problem.js';
import { buildRecordJsonSchema } from '../../src/schema/dataset/record-schema.js';
import { DATASET_VERSION, DATASET_VERSIONS, describeDataset, RECORD_SCHEMA_ID, recordJsonSchema } from '../../src/schema/dataset/index.js';
import { makeRecord } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
type Json = Record<string, unknown>;

const SCHEMA_URL = `/v1/dataset/${DATASET_VERSION}/record.schema.json`;

/** Records the schema alone decides on: valid ones, and ones broken in ways the schema states. */
function fixtures(): Array<{ name: string; record: Json }> {
  const valid = (i: number) => makeRecord(i);
  const broken = (i: number, change: (r: Json) => void) => {
    const r = structuredClone(makeRecord(i));
    change(r);
    return r;
  };
  const victim = (r: Json) => r.victim as Json;
  return [
    { name: 'valid, vawg', record: valid(1) },
    { name: 'valid, non_vawg', record: valid(3) },
    { name: 'valid, nulls and empty lists', record: valid(11) },
    { name: 'valid, no perpetrators', record: valid(4) },
    { name: 'unknown code', record: broken(1, (r) => (victim(r).ethnicity = 'martian')) },
    { name: 'missing required field', record: broken(1, (r) => delete r.referralSource) },
    { name: 'unknown field', record: broken(1, (r) => (r.victimName = 'someone')) },
    { name: 'wrong type', record: broken(1, (r) => (r.childrenInHousehold = '2')) },
    { name: 'out of range', record: broken(2, (r) => (victim(r).age = 130)) },
    { name: 'bad date', record: broken(1, (r) => (r.referralDate = '2022-02-30x')) },
    { name: 'vawg without vawgTypes (conditional requirement)', record: broken(1, (r) => delete r.vawgTypes) },
    { name: 'several problems', record: broken(2, (r) => ((victim(r).sex = 'x'), (r.riskLevel = 7), delete r.referralId)) },
  ];
}

t.test('the record JSON Schema by dataset version', async (t) => {
  const app = await buildTestApp(t);

  const res = await app.inject({ method: 'GET', url: SCHEMA_URL });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/schema\+json/);
  t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.match(res.headers.etag, /^"[A-Za-z0-9_-]+"$/);
  const served = JSON.parse(res.body) as Json;

  await t.test('is the very schema the validator compiles', async (t) => {
    t.same(served, recordJsonSchema, 'served = the shared object validate-return.ts compiles');
    t.equal(served.$schema, 'https://json-schema.org/draft/2020-12/schema');
    t.equal(served.$id, RECORD_SCHEMA_ID);
    t.equal(served.$id, `urn:vawg:schema:record:${DATASET_VERSION}`);
    const { $schema: _s, $id: _i, ...rest } = served;
    t.same(rest, buildRecordJsonSchema(), 'derived from the dataset definition, nothing added but $schema and $id');
    t.ok(Object.isFrozen(recordJsonSchema), 'frozen, so the validator and the route cannot drift apart');
  });

  await t.test('revalidation answers 304 with the entity tag', async (t) => {
    const again = await app.inject({ method: 'GET', url: SCHEMA_URL, headers: { 'if-none-match': `"other", ${res.headers.etag}` } });
    t.equal(again.statusCode, 304);
    t.equal(again.body, '');
    const stale = await app.inject({ method: 'GET', url: SCHEMA_URL, headers: { 'if-none-match': '"other"' } });
    t.equal(stale.statusCode, 200);
  });

  await t.test('a supplier validating with the served schema gets the server verdicts', async (t) => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    const validate = ajv.compile(served);
    await registerService(app, 'col-vva', 'vva');
    let valid = 0;
    let invalid = 0;
    for (const { name, record } of fixtures()) {
      const verdict = validate(record);
      const server = await app.inject({
        method: 'POST',
        url: '/v1/returns?dryRun=true',
        headers: admin,
        payload: { service: 'col-vva', period: '2022-23-Q1', records: [record] },
      });
      t.equal(server.statusCode, verdict ? 200 : 422, `${name}: same verdict (${server.body.slice(0, 200)})`);
      if (verdict) valid++;
      else {
        invalid++;
        const ours = problemsFromAjv(validate.errors ?? []).map((p) => `/records/0${p.pointer === '/' ? '' : p.pointer}`);
        const theirs = (server.json().errors as Array<{ pointer: string }>).map((p) => p.pointer);
        t.same([...new Set(theirs)].sort(), [...new Set(ours)].sort(), `${name}: the same fields at fault`);
      }
    }
    t.equal(valid, 4);
    t.equal(invalid, 8);
  });

  await t.test('an unknown version is a 404 listing the versions there are', async (t) => {
    for (const url of ['/v1/dataset/0.9.0/record.schema.json', '/v1/dataset/constructor/record.schema.json', '/v1/dataset/__proto__']) {
      const missing = await app.inject({ method: 'GET', url });
      t.equal(missing.statusCode, 404, url);
      t.match(missing.headers['content-type'], /^application\/problem\+json/);
      t.match(missing.json(), {
        type: 'urn:vawg:problem:not-found',
        status: 404,
        detail: new RegExp(`available: ${DATASET_VERSIONS.join(', ').replace(/\./g, '\\.')}`),
      });
    }
  });

  await t.test('the dataset description by version, public', async (t) => {
    const byVersion = await app.inject({ method: 'GET', url: `/v1/dataset/${DATASET_VERSION}` });
    t.equal(byVersion.statusCode, 200);
    t.same(byVersion.json(), JSON.parse(JSON.stringify(describeDataset())));
    const current = await app.inject({ method: 'GET', url: '/v1/dataset' });
    t.same(byVersion.json(), current.json(), 'the current version is what /v1/dataset describes');
    const staticRoute = await app.inject({ method: 'GET', url: '/v1/dataset/code-lists' });
    t.equal(staticRoute.statusCode, 200, 'the fixed dataset files still win over {version}');
    t.ok(staticRoute.json().codeLists);
  });

  await t.test('documented in the OpenAPI document', async (t) => {
    const spec = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const op = spec.paths['/v1/dataset/{version}/record.schema.json'].get;
    t.equal(op.operationId, 'getRecordJsonSchema');
    t.same(op.security, []);
    t.ok(op.responses['200'].content['application/schema+json']);
    t.ok(op.responses['404'].content['application/problem+json']);
    t.equal(spec.paths['/v1/dataset/{version}'].get.operationId, 'getDatasetVersion');
    const list = spec.paths['/v1/dataset/versions'].get;
    t.equal(list.operationId, 'listDatasetVersions');
    t.same(list.security, []);
    t.same(list.tags, ['Dataset']);
    const media = list.responses['200'].content['application/json'];
    t.same(media.schema.properties.versions.items.properties.status.enum, ['current', 'supported', 'deprecated']);
    t.ok(media.examples.versions.value.versions.length >= 2);
  });

  await t.test('GET /v1/dataset/versions lists every version with its status and publication date', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/dataset/versions' });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['cache-control'], 'public, max-age=86400');
    t.same(res.json(), {
      versions: [
        { version: '1.0.0', status: 'supported', publishedAt: '2026-11-23' },
        { version: '1.1.0', status: 'current', publishedAt: '2026-12-02' },
      ],
    });
    const meta = (await app.inject({ method: 'GET', url: '/v1' })).json();
    t.same(
      meta.datasetVersions,
      res.json().versions.map((v: Json) => v.version),
      'GET /v1 lists the same versions',
    );
    t.equal(meta.datasetVersion, res.json().versions.find((v: Json) => v.status === 'current').version, 'and names the current one');
    t.equal(meta.links.datasetVersions, '/v1/dataset/versions');
    for (const { version } of res.json().versions as Json[]) {
      t.equal((await app.inject({ method: 'GET', url: `/v1/dataset/${String(version)}` })).statusCode, 200, `${String(version)} is described`);
      t.equal(
        (await app.inject({ method: 'GET', url: `/v1/dataset/${String(version)}/record.schema.json` })).statusCode,
        200,
        `${String(version)} has a schema`,
      );
    }
  });
});
