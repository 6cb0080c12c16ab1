/**
 * A published dataset version never changes. Every version but the current one is frozen: its
 * documents are the committed snapshot in src/schema/dataset/published/{version}/, served byte
 * for byte, and the field tree the server validates that version's returns with must still give
 * exactly those documents. The snapshot files themselves are pinned by hash, so editing one fails
 * here too: a change to a published version is a new version.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  buildVersionRecordSchema,
  DATASET_VERSION,
  DATASET_VERSIONS,
  datasetVersionDefinition,
  describeDataset,
  recordSchemaId,
} from '../../src/schema/dataset/index.js';
import { codeListSchemaName } from '../../src/schema/dataset/code-list-schemas.js';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { recordFields, type FieldDefinition } from '../../src/schema/dataset/fields.js';
import { DATASET_VERSION_LIST, LATEST_DATASET_VERSION } from '../../src/schema/dataset/versions.js';
import { buildTestApp } from '../helper.js';

/** The sha-256 of each frozen version's documents as first published (1.0.0: captured from the server before 1.1.0 was added). */
const PUBLISHED_HASHES: Record<string, Record<string, string>> = {
  '1.0.0': {
    'dataset.json': '30a17e30cc77063c7b69806123a108ec40123974b46ae26d4ba692478f1d85a6',
    'record.schema.json': '5bf29364ec5a450f2e96f77faaef99ee84bfd58c642ed89df8430e8f2dbb4415',
  },
};

const NEW_VAWG_TYPES_1_1 = ['coercive_control', 'economic_abuse', 'non_fatal_strangulation', 'tech_facilitated_abuse', 'child_to_parent_abuse'];

const snapshot = (version: string, name: string) => readFileSync(new URL(`../../src/schema/dataset/published/${version}/${name}`, import.meta.url), 'utf8');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** As a JSON document holds it: undefined members dropped. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

const frozenVersions = DATASET_VERSION_LIST.filter((v) => v.version !== LATEST_DATASET_VERSION).map((v) => v.version);

t.test('the version list', async (t) => {
  t.equal(DATASET_VERSION, '1.1.0', 'the current dataset version');
  t.same(DATASET_VERSIONS, ['1.0.0', '1.1.0'], 'every version, oldest first');
  t.same(frozenVersions, ['1.0.0']);
  t.same(Object.keys(PUBLISHED_HASHES).sort(), frozenVersions, 'every frozen version has its documents pinned here');
  for (const { publishedAt } of DATASET_VERSION_LIST) t.match(publishedAt, /^\d{4}-\d{2}-\d{2}$/);
});

t.test('each frozen version: its snapshot unchanged, served byte for byte, and still what its field tree gives', async (t) => {
  const app = await buildTestApp(t);
  for (const version of frozenVersions) {
    await t.test(version, async (t) => {
      for (const [name, hash] of Object.entries(PUBLISHED_HASHES[version]!)) t.equal(sha256(snapshot(version, name)), hash, `${name} is as first published`);

      const schemaFile = snapshot(version, 'record.schema.json');
      const schema = await app.inject({ method: 'GET', url: `/v1/dataset/${version}/record.schema.json` });
      t.equal(schema.statusCode, 200);
      t.equal(schema.body, schemaFile, 'record.schema.json: the very bytes committed');
      t.equal(schema.json().$id, recordSchemaId(version));
      t.same(asJson(buildVersionRecordSchema(version)), JSON.parse(schemaFile), "the version's field tree still gives the published schema");
      t.same(datasetVersionDefinition(version)!.recordJsonSchema, JSON.parse(schemaFile), 'returns declaring the version are validated with it');

      const descriptionFile = snapshot(version, 'dataset.json');
      const description = await app.inject({ method: 'GET', url: `/v1/dataset/${version}` });
      t.equal(description.statusCode, 200);
      t.same(description.json(), JSON.parse(descriptionFile), 'the description: the committed document');
      t.equal(description.body, descriptionFile, 'and byte for byte');
      t.same(asJson(describeDataset(version)), JSON.parse(descriptionFile), "the version's field tree still gives the published description");
    });
  }
});

t.test('1.1.0 adds the five vawgTypes of the v1.1 contract; 1.0.0 does not have them', async (t) => {
  const app = await buildTestApp(t);
  const codesOf = (description: { fields: Array<{ path: string; codes?: string[] }> }) => description.fields.find((f) => f.path === 'vawgTypes')!.codes!;
  const latest = (await app.inject({ method: 'GET', url: '/v1/dataset' })).json();
  const v100 = (await app.inject({ method: 'GET', url: '/v1/dataset/1.0.0' })).json();
  t.equal(latest.datasetVersion, '1.1.0');
  t.equal(v100.datasetVersion, '1.0.0');
  for (const code of NEW_VAWG_TYPES_1_1) {
    t.ok(codesOf(latest).includes(code), `1.1.0 accepts ${code}`);
    t.notOk(codesOf(v100).includes(code), `1.0.0 does not list ${code}`);
  }
  t.same(
    codesOf(latest).filter((c) => !NEW_VAWG_TYPES_1_1.includes(c)),
    codesOf(v100),
    'otherwise the same codes in the same order',
  );
  t.equal(codesOf(latest).at(-1), 'other_vawg', 'the catch-all stays last');
  t.same(
    codeLists.vawgType.codes.filter((c) => c.since === '1.1.0').map((c) => c.code),
    NEW_VAWG_TYPES_1_1,
    'the code list names the version each addition arrived in',
  );
  const schema11 = (await app.inject({ method: 'GET', url: '/v1/dataset/1.1.0/record.schema.json' })).json();
  t.equal(schema11.$id, 'urn:vawg:schema:record:1.1.0');
  t.same(schema11.$defs.VawgType.enum, codesOf(latest));
  const schema10 = (await app.inject({ method: 'GET', url: '/v1/dataset/1.0.0/record.schema.json' })).json();
  t.same(schema10.$defs.VawgType.enum, codesOf(v100));
  // Beyond the vawgType codes and the fields and code lists 1.1.0 adds, 1.1.0's schema is 1.0.0's with its own $id.
  type Node = { properties?: Record<string, Node>; items?: Node };
  const withoutAdditions = (node: Node, fields: readonly FieldDefinition[]) => {
    for (const field of fields) {
      if (field.since === '1.1.0') delete node.properties![field.name];
      else if (field.fields) {
        const inner = node.properties![field.name]!;
        withoutAdditions(field.type === 'objects' ? inner.items! : inner, field.fields);
      }
    }
  };
  const strip = (s: Record<string, unknown>) => {
    const copy = structuredClone(s) as { $id?: string; $defs: Record<string, unknown> } & Node;
    delete copy.$id;
    delete copy.$defs.VawgType;
    for (const list of Object.values(codeLists)) if (list.since === '1.1.0') delete copy.$defs[codeListSchemaName(list)];
    withoutAdditions(copy, recordFields);
    // 1.1.0's subject makes victim optional in a perpetrator's referral (and perpetrators one entry):
    // rules conditioned on subject, and victim's place in `required` moved into them.
    const node = copy as { required?: string[]; allOf?: Array<{ if?: { properties?: Record<string, unknown> } }> };
    node.required = node.required!.filter((name) => name !== 'victim');
    node.allOf = node.allOf!.filter((rule) => !rule.if?.properties?.subject);
    return copy;
  };
  t.same(strip(schema11), strip(schema10));
  t.notSame(schema11.properties, schema10.properties, '1.1.0 has fields 1.0.0 has not');
});
