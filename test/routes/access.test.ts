import t from 'tap';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

t.test('authentication and roles', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva');

  let res = await app.inject({ method: 'GET', url: '/v1/services' });
  t.equal(res.statusCode, 401, 'no key');
  t.equal(res.headers['www-authenticate'], 'Bearer');
  res = await app.inject({ method: 'GET', url: '/v1/services', headers: { authorization: 'Basic abc' } });
  t.equal(res.statusCode, 401, 'not a bearer key');
  res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer('vawg_not-a-real-key') });
  t.equal(res.statusCode, 401, 'unknown key');

  const analyst = await createKey(app, 'analyst');
  res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(analyst) });
  t.equal(res.statusCode, 200, 'analysts list services');
  res = await app.inject({
    method: 'POST',
    url: '/v1/services',
    headers: bearer(analyst),
    payload: { id: 'x-y', name: 'x', serviceType: 'vva', area: 'E09000001' },
  });
  t.equal(res.statusCode, 403, 'analysts do not register services');
  res = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: bearer(analyst), payload: { role: 'admin', label: 'escalate' } });
  t.equal(res.statusCode, 403, 'analysts do not create keys');

  const provider = await createKey(app, 'provider', ['col-vva']);
  res = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer(provider) });
  t.equal(res.statusCode, 403, 'providers do not list services');
});

t.test('API keys: shown once, stored as a hash, revocable, validated', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: admin,
    payload: { role: 'provider', services: ['col-vva'], label: 'VVA case system' },
  });
  t.equal(res.statusCode, 201);
  const { id, key } = res.json();
  t.match(key, /^vawg_[A-Za-z0-9_-]{43}$/);

  const stored = await app.db.execute<{ key_hash: string }>(`select key_hash from api_keys where id = '${id}'` as never);
  const rows = (stored as unknown as { rows: Array<{ key_hash: string }> }).rows;
  t.not(rows[0]!.key_hash, key, 'the key itself is not stored');
  t.match(rows[0]!.key_hash, /^[0-9a-f]{64}$/);

  t.equal((await app.inject({ method: 'GET', url: '/v1/returns', headers: bearer(key) })).statusCode, 200);
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: admin })).statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/v1/returns', headers: bearer(key) })).statusCode, 401, 'revoked');
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: admin })).statusCode, 404, 'already revoked');

  const bad = [
    [{ role: 'provider', label: 'x' }, '/services'],
    [{ role: 'analyst', label: 'x', services: ['col-vva'] }, '/services'],
    [{ role: 'provider', label: 'x', services: ['nope'] }, '/services/0'],
    [{ role: 'root', label: 'x' }, '/role'],
  ] as const;
  for (const [payload, pointer] of bad) {
    const r = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: admin, payload });
    t.equal(r.statusCode, 422, JSON.stringify(payload));
    t.equal(r.json().errors[0].pointer, pointer);
  }
});

t.test('services and areas', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva');
  let res = await app.inject({
    method: 'POST',
    url: '/v1/services',
    headers: admin,
    payload: { id: 'col-vva', name: 'again', serviceType: 'vva', area: 'E09000001' },
  });
  t.equal(res.statusCode, 409);
  res = await app.inject({
    method: 'POST',
    url: '/v1/services',
    headers: admin,
    payload: { id: 'Col VVA', name: 'x', serviceType: 'shelter', area: 'London' },
  });
  t.equal(res.statusCode, 422);
  t.same(
    res
      .json()
      .errors.map((e: { pointer: string }) => e.pointer)
      .sort(),
    ['/area', '/id', '/serviceType'],
  );
  res = await app.inject({ method: 'GET', url: '/v1/services', headers: admin });
  t.same(
    res.json().items.map((s: { id: string }) => s.id),
    ['col-vva'],
  );

  const area = { name: 'City of London', population: [{ year: 2021, total: 8600, adultFemale: 3500, byGroup: { sex: { female: 4100, male: 4500 } } }] };
  res = await app.inject({ method: 'PUT', url: '/v1/areas/E09000001', headers: admin, payload: area });
  t.equal(res.statusCode, 201);
  res = await app.inject({ method: 'PUT', url: '/v1/areas/E09000001', headers: admin, payload: { ...area, name: 'City of London Corporation' } });
  t.equal(res.statusCode, 200, 'replaced');
  res = await app.inject({ method: 'GET', url: '/v1/areas/E09000001', headers: admin });
  t.match(res.json(), { code: 'E09000001', name: 'City of London Corporation', population: area.population });
  res = await app.inject({
    method: 'PUT',
    url: '/v1/areas/E09000001',
    headers: admin,
    payload: {
      name: 'x',
      population: [
        { year: 2021, total: 1 },
        { year: 2021, total: 2 },
      ],
    },
  });
  t.equal(res.statusCode, 422);
  res = await app.inject({ method: 'PUT', url: '/v1/areas/London', headers: admin, payload: area });
  t.equal(res.statusCode, 400);
  res = await app.inject({ method: 'GET', url: '/v1/areas/E09000033', headers: admin });
  t.equal(res.statusCode, 404);
});
