/**
 * Failed authentication is limited per address and per presented key, before the key is looked up;
 * legitimate traffic is not; a valid key has a generous limit of its own. Refusals are one log line
 * each, with neither the key nor a hash of it.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { admin, bearer, buildTestApp, createKey, LogCapture } from '../helper.js';

const from = (remoteAddress: string) => ({ remoteAddress });

t.test('bad keys from one address: 401 up to the limit, then 429 before any lookup', async (t) => {
  const app = await buildTestApp(t, { config: { authFailuresPerMinute: 5 } });
  const analyst = await createKey(app, 'analyst');
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(`vawg_wrong-${i}`), ...from('198.51.100.7') });
    t.equal(res.statusCode, 401, `failure ${i + 1} is a 401`);
  }
  const res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer('vawg_wrong-again'), ...from('198.51.100.7') });
  t.equal(res.statusCode, 429, 'then 429');
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(res.json(), { type: 'urn:vawg:problem:rate-limited', status: 429, title: 'Too Many Requests', instance: '/v1/services' });
  const retryAfter = Number(res.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${res.headers['retry-after']} s`);

  const valid = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst), ...from('198.51.100.7') });
  t.equal(valid.statusCode, 429, 'even a valid key from that address waits: the refusal comes before the lookup');
  const none = await app.inject({ method: 'GET', url: '/v1/services', ...from('198.51.100.7') });
  t.equal(none.statusCode, 429, 'as does no key');

  const elsewhere = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst), ...from('203.0.113.9') });
  t.equal(elsewhere.statusCode, 200, 'another address is not affected');
  const publicRoute = await app.inject({ method: 'GET', url: '/v1/dataset', ...from('198.51.100.7') });
  t.equal(publicRoute.statusCode, 200, 'public routes are not limited');
});

t.test('one bad key from many addresses is limited too (per key)', async (t) => {
  const app = await buildTestApp(t, { config: { authFailuresPerMinute: 5 } });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/returns', headers: bearer('vawg_a-revoked-or-leaked-key'), ...from(`192.0.2.${i + 1}`) });
    statuses.push(res.statusCode);
  }
  t.same(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
  const other = await app.inject({ method: 'GET', url: '/v1/returns', headers: bearer('vawg_another-bad-key'), ...from('192.0.2.200') });
  t.equal(other.statusCode, 401, 'a different key from a fresh address is still looked up');
});

t.test('a revoked key counts as a failure like any unknown key', async (t) => {
  const app = await buildTestApp(t, { config: { authFailuresPerMinute: 2 } });
  const res = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { role: 'analyst', label: 'to revoke' } });
  const { id, key } = res.json();
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: admin })).statusCode, 204);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(key), ...from('192.0.2.50') })).statusCode);
  t.same(statuses, [401, 401, 429]);
});

t.test('legitimate traffic is not throttled by the failure limit', async (t) => {
  const app = await buildTestApp(t, { config: { authFailuresPerMinute: 4 } });
  const analyst = await createKey(app, 'analyst');
  let ok = 0;
  for (let i = 0; i < 60; i++) {
    if (i % 20 === 0) await app.inject({ method: 'GET', url: '/v1/services', headers: bearer('vawg_typo'), ...from('198.51.100.20') });
    const res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst), ...from('198.51.100.20') });
    if (res.statusCode === 200) ok++;
  }
  t.equal(ok, 60, 'sixty requests with a valid key, and three typos among them (the limit is four), all answered');
  const forbidden = await app.inject({ method: 'GET', url: '/v1/audit', headers: bearer(analyst), ...from('198.51.100.20') });
  t.equal(forbidden.statusCode, 403, 'a valid key refused for its role is not an authentication failure');
  const again = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst), ...from('198.51.100.20') });
  t.equal(again.statusCode, 200);
});

t.test('behind a trusted proxy the limit is per client (X-Forwarded-For), not per proxy', async (t) => {
  const app = await buildTestApp(t, { config: { authFailuresPerMinute: 2, trustProxy: '127.0.0.1' } });
  const analyst = await createKey(app, 'analyst');
  const via = (client: string) => ({ remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const r = await app.inject({
      method: 'GET',
      url: '/v1/services',
      ...via('198.51.100.1'),
      headers: { ...via('198.51.100.1').headers, ...bearer(`vawg_bad-${i}`) },
    });
    statuses.push(r.statusCode);
  }
  t.same(statuses, [401, 401, 429], 'the failing client is limited');
  const other = await app.inject({
    method: 'GET',
    url: '/v1/services',
    ...via('198.51.100.2'),
    headers: { ...via('198.51.100.2').headers, ...bearer(analyst) },
  });
  t.equal(other.statusCode, 200, 'another client behind the same proxy is not');
});

t.test('a valid key has a limit of its own', async (t) => {
  const app = await buildTestApp(t, { config: { requestsPerMinutePerKey: 5 } });
  const analyst = await createKey(app, 'analyst');
  const statuses = [];
  for (let i = 0; i < 7; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst) })).statusCode);
  t.same(statuses, [200, 200, 200, 200, 200, 429, 429]);
  const res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst) });
  t.match(res.json(), { type: 'urn:vawg:problem:rate-limited' });
  t.ok(Number(res.headers['retry-after']) >= 1);
  t.equal((await app.inject({ method: 'GET', url: '/v1/services', headers: admin })).statusCode, 200, 'another key is not affected');
});

t.test('a refused authentication is one log line, with neither the key nor its hash', async (t) => {
  const logs = new LogCapture();
  const app = await buildTestApp(t, { logs, config: { authFailuresPerMinute: 2 } });
  const key = 'vawg_ZZsecret-looking-key-0123456789abcdefghij';
  const hashes = [createHash('sha256').update(key).digest('hex'), createHash('sha256').update(key).digest('base64url')];
  const before = logs.lines.length;
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(key), ...from('198.51.100.99') });
    ids.push(String(res.headers['x-request-id']));
  }
  const lines = logs.lines.slice(before);
  for (const [i, id] of ids.entries()) {
    t.equal(lines.filter((line) => line.includes(id)).length, 1, `refusal ${i + 1} (${i < 2 ? 401 : 429}) is one line`);
  }
  const text = lines.join('');
  t.notOk(text.includes(key.slice(5, 13)), 'no part of the key');
  for (const hash of hashes) t.notOk(text.includes(hash.slice(0, 12)), 'no hash of it');
  t.match(text, /"statusCode":429/, 'the 429s are logged as requests');
});

t.test('the 429 is in the OpenAPI document of every authenticated operation', async (t) => {
  const app = await buildTestApp(t);
  const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
  for (const [path, item] of Object.entries<Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation.security?.length) continue;
      t.ok(operation.responses['429'], `${method.toUpperCase()} ${path} documents 429`);
    }
  }
});
