/**
 * `/dashboard/` as the service serves it: the built page and its hashed assets, under the same
 * Content-Security-Policy as every page, outside the OpenAPI document, with no data in it.
 */
import t from 'tap';
import { linkageNote } from '../../dashboard/src/panels.js';
import { linkNextReturn } from '../../src/services/linkage/linkage-queue.js';
import { DEFAULT_THRESHOLD } from '../../src/services/linkage/match-threshold.js';
import { admin, buildTestApp, registerService } from '../helper.js';
import { makeRecords } from '../support/records.js';

t.test('the dashboard is served from its build', async (t) => {
  const app = await buildTestApp(t);
  const redirect = await app.inject({ url: '/dashboard' });
  t.equal(redirect.statusCode, 301);
  t.equal(redirect.headers.location, '/dashboard/');

  const page = await app.inject({ url: '/dashboard/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.equal(page.headers['cache-control'], 'no-cache', 'the page is revalidated, so a new build is picked up');
  t.match(page.headers['content-security-policy'], /script-src 'self'/, 'no inline or foreign script may run');
  t.notMatch(page.body, /<script>(?!<\/script>)/, 'no inline script');
  const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
  t.ok(script, 'the page loads its bundle from /dashboard/assets/');
  const bundle = await app.inject({ url: script! });
  t.equal(bundle.statusCode, 200);
  t.match(bundle.headers['cache-control'], /immutable/, 'hashed assets are cached for good');

  const spec = (await app.inject({ url: '/v1/openapi.json' })).json() as { paths: Record<string, unknown> };
  t.notOk(
    Object.keys(spec.paths).some((path) => path.startsWith('/dashboard')),
    'the page is not an API operation',
  );
  const missing = await app.inject({ url: '/dashboard/nothing-here.js' });
  t.equal(missing.statusCode, 404);
  t.match(missing.headers['content-type'], /application\/problem\+json/);
});

t.test("panels counting people say when linkage has returns to catch up on, from the API's own answer", async (t) => {
  const app = await buildTestApp(t, { config: { linkageMode: 'none' } });
  await registerService(app, 'note-vva', 'vva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'note-vva', period: '2022-23-Q1', records: makeRecords(6) },
  });
  t.equal(res.statusCode, 201);
  const people = async () => (await app.inject({ url: '/v1/aggregates?measure=people&groupBy=period&period=2022-23-Q1', headers: admin })).json();
  t.match(linkageNote((await people()).linkage), /; 1 return is still to be linked, so until then some people may be counted more than once$/);
  t.equal((await linkNextReturn(app.db, { threshold: DEFAULT_THRESHOLD })).kind, 'linked');
  t.equal(linkageNote((await people()).linkage), '', 'nothing is added once persons are current');
});
