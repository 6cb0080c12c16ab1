import t from 'tap';
import { admin, buildTestApp, registerService } from '../helper.js';
import { makeRecord } from '../support/records.js';

t.test('no request body, however malformed, produces a 5xx', async (t) => {
  const app = await buildTestApp(t, { config: { bodyLimitBytes: 64 * 1024 } });
  await registerService(app, 'col-vva');
  const json = { ...admin, 'content-type': 'application/json' };
  const valid = { service: 'col-vva', period: '2022-23-Q1', records: [makeRecord(1)] };

  const cases: Array<[string, string | Buffer, Record<string, string>, number]> = [
    ['truncated JSON', '{"service":"col-vva","records":[{', json, 400],
    ['empty body', '', json, 400],
    ['not JSON at all', 'hello', json, 400],
    ['a JSON string', '"col-vva"', json, 422],
    ['a JSON array', '[1,2,3]', json, 422],
    ['JSON null', 'null', json, 422],
    ['records is an object', JSON.stringify({ ...valid, records: { a: 1 } }), json, 422],
    ['records holds nulls', JSON.stringify({ ...valid, records: [null, 1, 'x', []] }), json, 422],
    ['deeply nested garbage', JSON.stringify({ ...valid, records: [{ victim: { linkage: { slk581: { a: [1, { b: null }] } } } }] }), json, 422],
    ['prototype pollution attempt', '{"__proto__":{"admin":true},"service":"col-vva","period":"2022-23-Q1","records":[]}', json, 400],
    ['binary noise', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b]), json, 400],
    ['unsupported content type', 'a,b\n1,2', { ...admin, 'content-type': 'application/xml' }, 415],
    ['too large', JSON.stringify({ ...valid, records: Array.from({ length: 200 }, (_, i) => makeRecord(i)) }), json, 413],
  ];
  for (const [name, payload, headers, status] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers, payload });
    t.equal(res.statusCode, status, `${name} → ${status}`);
    t.match(res.headers['content-type'], /application\/problem\+json/, `${name} is a problem document`);
    const body = res.json();
    t.match(body, { type: String, title: String, status, detail: String, instance: '/v1/returns', requestId: String }, `${name} has the RFC 9457 members`);
  }

  const list = await app.inject({ method: 'GET', url: '/v1/returns', headers: admin });
  t.equal(list.json().total, 0, 'none of them stored anything');
});

t.test('unknown routes and bad parameters are problem documents', async (t) => {
  const app = await buildTestApp(t);
  let res = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().type, 'urn:vawg:problem:not-found');
  res = await app.inject({ method: 'GET', url: '/v1/returns?limit=100000', headers: admin });
  t.equal(res.statusCode, 400);
  t.same(res.json().errors[0].parameter, 'limit');
  res = await app.inject({ method: 'GET', url: '/v1/returns?period=2022', headers: admin });
  t.equal(res.statusCode, 400);
});

t.test('request ids: a safe incoming id is kept, anything else replaced', async (t) => {
  const app = await buildTestApp(t);
  let res = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
  t.equal(res.headers['x-request-id'], 'abc-123');
  res = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } });
  t.not(res.headers['x-request-id'], 'bad id\nwith newline');
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});
