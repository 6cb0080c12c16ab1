import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import deprecationPlugin, { deprecationHeaders } from '../../src/plugins/deprecation.js';

/** A tiny app, not the real one: no route of the API is deprecated today. */
async function tinyApp(t: Test) {
  const app = Fastify();
  await app.register(deprecationPlugin);
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'tiny', version: '1.0.0' } } });
  app.get(
    '/old',
    {
      config: { deprecation: { since: '2026-01-15', sunset: '2026-07-15', link: '/docs/migrating-from-old' } },
      schema: { operationId: 'getOld', response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } },
    },
    async () => ({ ok: true }),
  );
  app.get(
    '/old-failing',
    { config: { deprecation: { since: '2026-01-15', sunset: '2027-01-15', link: 'https://example.org/why' } } },
    async (_request, reply) => {
      reply.header('link', '</next>; rel="successor-version"');
      return reply.code(400).send({ error: 'bad' });
    },
  );
  app.get('/current', { schema: { operationId: 'getCurrent' } }, async () => ({ ok: true }));
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

t.test('deprecated operations', async (t) => {
  const app = await tinyApp(t);

  await t.test('carry Deprecation, Sunset and a deprecation link', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/old' });
    t.equal(res.statusCode, 200);
    // RFC 9745: a Structured Field Date, @ and the Unix time of the deprecation.
    t.equal(res.headers.deprecation, `@${Date.UTC(2026, 0, 15) / 1000}`);
    t.match(res.headers.deprecation, /^@\d+$/);
    // RFC 8594: an HTTP-date (IMF-fixdate).
    t.equal(res.headers.sunset, 'Wed, 15 Jul 2026 00:00:00 GMT');
    t.match(res.headers.sunset, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    t.equal(res.headers.link, '</docs/migrating-from-old>; rel="deprecation"; type="text/html"');
  });

  await t.test('on error responses too, keeping a Link the route set', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/old-failing' });
    t.equal(res.statusCode, 400);
    t.equal(res.headers.sunset, 'Fri, 15 Jan 2027 00:00:00 GMT');
    t.equal(res.headers.link, '</next>; rel="successor-version", <https://example.org/why>; rel="deprecation"; type="text/html"');
  });

  await t.test('other operations have none of them', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/current' });
    t.equal(res.statusCode, 200);
    t.notOk(res.headers.deprecation);
    t.notOk(res.headers.sunset);
    t.notOk(res.headers.link);
    const missing = await app.inject({ method: 'GET', url: '/nowhere' });
    t.notOk(missing.headers.deprecation, 'nor does a 404 for no route');
  });

  await t.test('the OpenAPI operation is marked deprecated', async (t) => {
    const spec = app.swagger() as { paths: Record<string, { get: { deprecated?: boolean } }> };
    t.equal(spec.paths['/old']!.get.deprecated, true);
    t.equal(spec.paths['/old-failing']!.get.deprecated, true);
    t.notOk(spec.paths['/current']!.get.deprecated);
  });
});

t.test('deprecations are checked when the route is registered', async (t) => {
  t.throws(() => deprecationHeaders({ since: '2026-01-15', sunset: '2026-07-14', link: '/docs/x' }), /less than 6 months/);
  t.throws(() => deprecationHeaders({ since: '2026-02-30', sunset: '2027-01-01', link: '/docs/x' }), /since must be a date/);
  t.throws(() => deprecationHeaders({ since: '2026-01-15', sunset: 'soon', link: '/docs/x' }), /sunset must be a date/);
  t.throws(() => deprecationHeaders({ since: '2026-01-15', sunset: '2027-01-15', link: '' }), /link/);
  t.same(deprecationHeaders({ since: '2025-08-31', sunset: '2026-03-03', link: '/d' }).sunset, 'Tue, 03 Mar 2026 00:00:00 GMT');

  const app = Fastify();
  await app.register(deprecationPlugin);
  t.throws(
    () => app.get('/too-soon', { config: { deprecation: { since: '2026-01-01', sunset: '2026-03-01', link: '/docs/x' } } }, async () => 'x'),
    /GET \/too-soon: sunset 2026-03-01 is less than 6 months after the deprecation/,
    'a server with a too-short notice does not start',
  );
  await app.close();
});
