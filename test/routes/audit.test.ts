import t from 'tap';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { ADMIN_KEY, admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

interface AuditEvent {
  id: number;
  at: string;
  apiKeyId: string | null;
  role: string | null;
  action: string;
  outcome: string;
  resourceType: string | null;
  resourceId: string | null;
  detail: Record<string, unknown>;
  requestId: string | null;
}

t.test('the audit log', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'audit-vva');
  await registerService(app, 'audit-idva', 'idva');
  const analystKey = await createKey(app, 'analyst');
  const analyst = bearer(analystKey);
  const audit = async (query = '', headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'GET', url: `/v1/audit${query}`, headers });
    t.equal(res.statusCode, 200, `GET /v1/audit${query}`);
    return res.json() as { items: AuditEvent[]; total: number; limit: number; offset: number };
  };
  const adminKeyId = (await audit('?action=api_key.created')).items[0]!.apiKeyId!;

  await t.test('key creation and revocation: role, services and label, never the key or its hash', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { ...admin, 'x-request-id': 'create-key-1' },
      payload: { role: 'provider', services: ['audit-vva'], label: 'VVA case system' },
    });
    const { id, key } = res.json();
    t.equal((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: admin })).statusCode, 204);

    const created = (await audit(`?action=api_key.created&resourceId=${id}`)).items;
    t.equal(created.length, 1);
    t.match(created[0], {
      action: 'api_key.created',
      outcome: 'success',
      apiKeyId: adminKeyId,
      role: 'admin',
      resourceType: 'api_key',
      resourceId: id,
      requestId: 'create-key-1',
    });
    t.same(created[0]!.detail, { role: 'provider', services: ['audit-vva'], label: 'VVA case system' });
    const revoked = (await audit(`?action=api_key.revoked`)).items;
    t.equal(revoked.length, 1);
    t.match(revoked[0], { resourceId: id, detail: { role: 'provider', services: ['audit-vva'], label: 'VVA case system' } });

    const everything = JSON.stringify((await audit('?limit=500')).items);
    t.notOk(everything.includes(key), 'the key is not in the log');
    const stored = await app.db.execute(`select key_hash from api_keys where id = '${id}'` as never);
    const hash = (stored as unknown as { rows: Array<{ key_hash: string }> }).rows[0]!.key_hash;
    t.notOk(everything.includes(hash), 'nor its hash');
    t.notOk(everything.includes(ADMIN_KEY));
    t.equal((await audit(`?action=api_key.created&apiKeyId=${adminKeyId}`)).total, 2, 'the analyst key and the provider key');
  });

  await t.test('reads of record-level data: a return, and a person', async (t) => {
    const provider = bearer(await createKey(app, 'provider', ['audit-vva']));
    const slk = computeSlk581({ familyName: 'Smith', givenName: 'Alice', birthDate: '1990-02-03', sex: 'female' });
    const records = [{ ...makeRecord(0), victim: { ...(makeRecord(0).victim as object), linkage: { slk581: slk } } }, ...makeRecords(3).slice(1)];
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: provider,
      payload: { service: 'audit-vva', period: '2022-23-Q1', records },
    });
    t.equal(submitted.statusCode, 201, submitted.body);
    const returnId = submitted.json().id as string;

    const read = await app.inject({ method: 'GET', url: `/v1/returns/${returnId}`, headers: { ...provider, 'x-request-id': 'read-1' } });
    t.equal(read.statusCode, 200);
    const reads = (await audit(`?action=return.read&resourceId=${returnId}`)).items;
    t.equal(reads.length, 1);
    t.match(reads[0], { role: 'provider', resourceType: 'return', resourceId: returnId, outcome: 'success', requestId: 'read-1' });
    t.match(reads[0]!.detail, { service: 'audit-vva', period: '2022-23-Q1', version: 1, recordCount: 3 });

    const person = await app.inject({ method: 'GET', url: '/v1/linkage/persons?service=audit-vva&period=2022-23-Q1&referralId=REF-00000', headers: admin });
    t.equal(person.statusCode, 200, person.body);
    const persons = (await audit('?action=linkage.persons_read')).items;
    t.equal(persons.length, 1);
    const expectedId = String(person.json().personId ?? person.json().records[0].recordId);
    t.match(persons[0], { role: 'admin', resourceId: expectedId, resourceType: /^(person|record)$/, detail: { service: 'audit-vva', period: '2022-23-Q1' } });

    const log = JSON.stringify((await audit('?limit=500')).items);
    t.notOk(log.includes(slk), 'no linkage key');
    t.notOk(log.includes('REF-00000'), 'no referral reference');
    t.notOk(/ethnicity|white_british/.test(log), 'no record contents');

    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/returns/${returnId}`, headers: bearer(await createKey(app, 'provider', ['audit-idva'])) })).statusCode,
      403,
    );
    t.equal((await audit(`?action=return.read&resourceId=${returnId}`)).total, 1, 'a refused read reads nothing');
  });

  await t.test('a valid key refused is recorded; a missing key is not', async (t) => {
    const other = bearer(await createKey(app, 'provider', ['audit-idva']));
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: admin,
      payload: { service: 'audit-vva', period: '2022-23-Q2', records: [] },
    });
    const refused = await app.inject({ method: 'GET', url: `/v1/returns/${submitted.json().id}`, headers: { ...other, 'x-request-id': 'refused-1' } });
    t.equal(refused.statusCode, 403, 'another service: refused');
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/aggregates?period=2022-23', headers: { ...other, 'x-request-id': 'refused-2' } })).statusCode,
      403,
      'wrong role: refused',
    );
    t.equal((await app.inject({ method: 'GET', url: `/v1/returns/${submitted.json().id}`, headers: { 'x-request-id': 'refused-3' } })).statusCode, 401);
    // onResponse hooks run after the reply is sent: wait for the rows rather than a fixed time.
    let denied = await audit('?action=access.denied');
    for (let i = 0; i < 100 && !denied.items.some((e) => e.requestId === 'refused-2'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      denied = await audit('?action=access.denied');
    }
    const ids = denied.items.map((e) => e.requestId);
    t.ok(ids.includes('refused-1') && ids.includes('refused-2'), 'both 403s');
    t.notOk(ids.includes('refused-3'), 'not the 401');
    t.match(
      denied.items.find((e) => e.requestId === 'refused-1'),
      { outcome: 'failure', role: 'provider', resourceType: 'route', resourceId: 'GET /v1/returns/:id' },
    );
  });

  await t.test('filters, time window and paging; newest first', async (t) => {
    const all = await audit('?limit=500');
    t.ok(all.total >= 7);
    t.same(
      all.items.map((e) => e.id),
      [...all.items.map((e) => e.id)].sort((a, b) => b - a),
      'newest first',
    );
    const page = await audit('?limit=2&offset=1');
    t.same(page.items, all.items.slice(1, 3));
    t.match(page, { total: all.total, limit: 2, offset: 1 });

    const newest = all.items[0]!;
    t.equal((await audit(`?from=${encodeURIComponent(newest.at)}`)).items[0]!.id, newest.id, 'from is inclusive');
    t.equal((await audit(`?to=${encodeURIComponent(all.items.at(-1)!.at)}`)).total, 0, 'to is exclusive');
    t.equal((await audit('?from=2099-01-01T00:00:00Z')).total, 0);
    t.equal((await audit('?action=period.locked')).total, 0);
    t.equal((await audit(`?apiKeyId=00000000-0000-4000-8000-000000000000`)).total, 0);
  });

  await t.test('admins only; bad parameters are 400', async (t) => {
    t.equal((await app.inject({ method: 'GET', url: '/v1/audit' })).statusCode, 401);
    t.equal((await app.inject({ method: 'GET', url: '/v1/audit', headers: analyst })).statusCode, 403);
    t.equal((await app.inject({ method: 'GET', url: '/v1/audit', headers: bearer(await createKey(app, 'provider', ['audit-vva'])) })).statusCode, 403);
    for (const query of ['apiKeyId=not-a-uuid', 'from=yesterday', 'to=2022-13-01', 'limit=0', 'limit=501', 'offset=-1', 'action=DROP TABLE']) {
      const res = await app.inject({ method: 'GET', url: `/v1/audit?${query}`, headers: admin });
      t.equal(res.statusCode, 400, query);
      t.match(res.headers['content-type'], /application\/problem\+json/);
    }
  });
});
