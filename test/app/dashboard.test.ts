/**
 * `/dashboard/` as the service serves it: the built page and its hashed assets, under the same
 * Content-Security-Policy as every page, outside the OpenAPI document, with no data in it.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';

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
