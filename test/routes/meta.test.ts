import { readFile } from 'node:fs/promises';
import t from 'tap';
import { API_VERSION } from '../../src/lib/version.js';
import { readRepoFile } from '../../src/routes/meta.js';
import { DATASET_VERSION } from '../../src/schema/dataset/index.js';
import { buildTestApp } from '../helper.js';

t.test('GET /v1 metadata', async (t) => {
  const app = await buildTestApp(t);

  await t.test('names the versions and links everything an integrator needs, without a key', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1' });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.match(body, { name: 'VAWG Dataset API', apiVersion: API_VERSION, datasetVersion: DATASET_VERSION });
    t.same(body.datasetVersions, ['1.0.0', '1.1.0'], 'every dataset version, oldest first');
    t.same(body.links, {
      openapi: '/v1/openapi.json',
      docs: '/docs',
      dataset: '/v1/dataset',
      datasetVersions: '/v1/dataset/versions',
      health: '/health',
      recordSchema: `/v1/dataset/${DATASET_VERSION}/record.schema.json`,
      template: '/v1/dataset/template.csv',
      codeLists: '/v1/dataset/code-lists',
      releaseNotes: '/v1/release-notes',
      versioningPolicy: '/v1/versioning-policy',
    });
    for (const [name, url] of Object.entries<string>(body.links)) {
      if (url === '/docs') continue;
      const linked = await app.inject({ method: 'GET', url });
      t.equal(linked.statusCode, 200, `links.${name} (${url}) answers`);
    }
  });

  await t.test('release notes are CHANGELOG.md, as Markdown', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/release-notes' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/markdown; charset=utf-8/);
    t.equal(res.body, await readFile(new URL('../../CHANGELOG.md', import.meta.url), 'utf8'));
  });

  await t.test('the versioning policy is docs/versioning.md, as Markdown', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/versioning-policy' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/markdown/);
    t.equal(res.body, await readFile(new URL('../../docs/versioning.md', import.meta.url), 'utf8'));
    t.match(res.body, /Deprecation/);
    t.match(res.body, /Sunset/);
  });

  await t.test('repository files are found by walking up, and missing ones are undefined', async (t) => {
    const here = new URL('.', import.meta.url).pathname;
    t.match(readRepoFile('CHANGELOG.md', here), /^# Changelog/);
    t.equal(readRepoFile('no-such-file.md', here), undefined);
  });

  await t.test('documented as public operations', async (t) => {
    const spec = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    for (const [path, id] of [
      ['/v1', 'getApiMetadata'],
      ['/v1/release-notes', 'getReleaseNotes'],
      ['/v1/versioning-policy', 'getVersioningPolicy'],
    ] as const) {
      const op = spec.paths[path].get;
      t.equal(op.operationId, id);
      t.same(op.security, [], `${path} needs no key`);
      t.ok(op.description, `${path} is described`);
    }
    t.ok(spec.paths['/v1/release-notes'].get.responses['200'].content['text/markdown']);
    const links = spec.paths['/v1'].get.responses['200'].content['application/json'].schema.properties.links;
    t.ok(links.properties.releaseNotes && links.properties.recordSchema && links.properties.versioningPolicy);
  });
});
