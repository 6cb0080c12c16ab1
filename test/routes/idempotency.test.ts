import t from 'tap';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

t.test('Idempotency-Key on POST /v1/returns', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  const provider = await createKey(app, 'provider', ['col-vva']);
  const submit = (payload: object, key: string | undefined, headers: Record<string, string> = bearer(provider)) =>
    app.inject({ method: 'POST', url: '/v1/returns', headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) }, payload });
  const versions = async (period: string) =>
    (await app.inject({ method: 'GET', url: `/v1/returns?service=col-vva&period=${period}`, headers: admin })).json().total as number;

  await t.test('a retry with the same key and body replays the first response', async (t) => {
    const body = { service: 'col-vva', period: '2022-23-Q1', records: makeRecords(10) };
    const first = await submit(body, 'retry-1');
    t.equal(first.statusCode, 201);
    const again = await submit(body, 'retry-1');
    t.equal(again.statusCode, 201);
    t.same(again.json(), first.json(), 'the same return, not a new version');
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.equal(again.headers.location, first.headers.location);
    t.equal(await versions('2022-23-Q1'), 1);
    const other = await submit(body, 'retry-2');
    t.equal(other.json().version, 2, 'a new key is a new submission');
  });

  await t.test('the same key with a different body is 422; keys belong to the API key that sent them', async (t) => {
    const body = { service: 'col-vva', period: '2022-23-Q2', records: makeRecords(5, '2022-23-Q2') };
    t.equal((await submit(body, 'changed')).statusCode, 201);
    const changed = await submit({ ...body, records: makeRecords(6, '2022-23-Q2') }, 'changed');
    t.equal(changed.statusCode, 422);
    t.equal(changed.json().type, 'urn:vawg:problem:idempotency-key-reused');
    const byAdmin = await submit(body, 'changed', admin);
    t.equal(byAdmin.statusCode, 201, 'another API key may use the same key string');
    t.equal(byAdmin.json().version, 2);
  });

  await t.test('a rejected return replays its 422 with every problem', async (t) => {
    const body = { service: 'col-vva', period: '2022-23-Q3', records: [makeRecord(1, '2022-23-Q3', { riskLevel: 'very' })] };
    const first = await submit(body, 'bad-1');
    t.equal(first.statusCode, 422);
    const again = await submit(body, 'bad-1');
    t.equal(again.statusCode, 422, again.body);
    t.match(again.headers['content-type'], /application\/problem\+json/);
    t.same(again.json().errors, first.json().errors);
    t.equal(again.headers['idempotent-replayed'], 'true');
  });

  await t.test('a retry storm: 20 concurrent copies with one key store exactly one version', async (t) => {
    const body = { service: 'col-vva', period: '2022-23-Q4', records: makeRecords(300, '2022-23-Q4') };
    const responses = await Promise.all(Array.from({ length: 20 }, () => submit(body, 'storm')));
    const statuses = responses.map((r) => r.statusCode);
    t.ok(
      statuses.every((s) => s === 201 || s === 409),
      `each is the stored 201 or "still in flight" 409: ${statuses.join(',')}`,
    );
    const created = responses.filter((r) => r.statusCode === 201);
    t.ok(created.length >= 1);
    t.equal(new Set(created.map((r) => r.json().id)).size, 1, 'every 201 names the same return');
    for (const conflict of responses.filter((r) => r.statusCode === 409)) t.equal(conflict.json().type, 'urn:vawg:problem:idempotency-key-in-use');
    const settled = await submit(body, 'storm');
    t.equal(settled.statusCode, 201);
    t.equal(settled.json().id, created[0]!.json().id, 'a later retry replays it');
    t.equal(await versions('2022-23-Q4'), 1, 'exactly one version stored');
  });

  await t.test('malformed keys are a 400 naming the header', async (t) => {
    const res = await submit({ service: 'col-vva', period: '2022-23-Q1', records: [] }, 'has spaces in it');
    t.equal(res.statusCode, 400);
    t.match(res.json().errors, [{ parameter: 'Idempotency-Key' }]);
  });
});
