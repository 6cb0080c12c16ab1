import t from 'tap';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { makeRecord } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

type Json = Record<string, unknown>;

const withVictim = (record: Json, victim: Json): Json => ({ ...record, victim: { ...(record.victim as Json), ...victim } });
const slkA = computeSlk581({ familyName: 'Jones', givenName: 'Mary', birthDate: '1985-05-06', sex: 'female' });
const slkB = computeSlk581({ familyName: 'Jones', givenName: 'Mary', birthDate: '1985-06-05', sex: 'female' });

t.test('GET /v1/returns/{id}/diff', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'diff-vva');
  await registerService(app, 'diff-idva', 'idva');
  const providerRes = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: admin,
    payload: { role: 'provider', services: ['diff-vva'], label: 'VVA system' },
  });
  const providerKeyId = providerRes.json().id as string;
  const provider = bearer(providerRes.json().key);
  const submit = async (service: string, records: Json[], headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers, payload: { service, period: '2022-23-Q1', records } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; version: number; receivedAt: string };
  };
  const diff = (id: string, query = '', headers: Record<string, string> = admin) =>
    app.inject({ method: 'GET', url: `/v1/returns/${id}/diff${query}`, headers });

  // v1: REF-00000…REF-00004. v2: REF-00004 removed, REF-00010 added, REF-00001's ethnicity and
  // supportNeeds changed, REF-00002's vawgTypes reordered (a set: no change), REF-00000's linkage
  // key changed, REF-00003 untouched, the order of the records changed.
  const base = [0, 1, 2, 3, 4].map((i) => makeRecord(i));
  base[0] = withVictim(base[0]!, { linkage: { slk581: slkA } });
  base[2] = { ...base[2], category: 'vawg', nonVawgCrimeType: undefined, vawgTypes: ['domestic_abuse', 'stalking'] };
  const v1 = await submit('diff-vva', base);
  const amended = [
    makeRecord(10),
    base[3]!,
    { ...withVictim(base[1]!, { ethnicity: 'arab' }), supportNeeds: ['housing'] },
    { ...base[2], vawgTypes: ['stalking', 'domestic_abuse'] },
    withVictim(base[0]!, { linkage: { slk581: slkB } }),
  ];
  const v2 = await submit('diff-vva', amended, provider);
  const v3 = await submit('diff-vva', amended);
  const other = await submit('diff-idva', base);

  await t.test('against the previous version by default', async (t) => {
    const res = await diff(v2.id, '', provider);
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.match(body, { service: 'diff-vva', period: '2022-23-Q1' });
    t.same(body.from, { id: v1.id, version: 1, status: 'superseded', recordCount: 5, receivedAt: v1.receivedAt, submittedBy: body.from.submittedBy });
    t.same(body.to, { id: v2.id, version: 2, status: 'superseded', recordCount: 5, receivedAt: v2.receivedAt, submittedBy: providerKeyId });
    t.same(body.added, ['REF-00010']);
    t.same(body.removed, ['REF-00004']);
    t.same(body.changed, [
      // In the order of the new version; fields in dataset order.
      { referralId: 'REF-00001', fields: ['victim.ethnicity', 'supportNeeds'] },
      { referralId: 'REF-00000', fields: ['victim.linkage.slk581'] },
    ]);
    t.equal(body.unchanged, 2, 'REF-00003, and REF-00002 whose list only changed order');

    const text = res.body;
    t.notOk(text.includes(slkA) || text.includes(slkB), 'no linkage key');
    const tokens = await app.db.execute(`select victim_linkage_slk581_token as token from records where victim_linkage_slk581_token is not null` as never);
    for (const { token } of (tokens as unknown as { rows: Array<{ token: string }> }).rows) t.notOk(text.includes(token), 'no token');
    t.notOk(text.includes('arab'), 'no values');
  });

  await t.test('from a version number or a return id, either way round', async (t) => {
    const byNumber = (await diff(v3.id, '?from=1')).json();
    const byId = (await diff(v3.id, `?from=${v1.id}`)).json();
    t.same(byNumber, byId);
    t.match(byNumber, { from: { version: 1 }, to: { version: 3, status: 'current' }, added: ['REF-00010'], removed: ['REF-00004'] });
    const same = (await diff(v3.id)).json();
    t.match(same, { from: { version: 2 }, added: [], removed: [], changed: [], unchanged: 5 }, 'an identical resubmission changes nothing');
    const backwards = (await diff(v1.id, '?from=3')).json();
    t.match(backwards, { from: { version: 3 }, to: { version: 1 }, added: ['REF-00004'], removed: ['REF-00010'] });
    t.equal(backwards.changed.length, 2);
  });

  await t.test('GET /v1/returns/{id} lists who submitted each version', async (t) => {
    const body = (await app.inject({ method: 'GET', url: `/v1/returns/${v1.id}`, headers: admin })).json();
    t.same(
      body.versions.map((v: { version: number; submittedBy: string | null }) => [v.version, v.submittedBy === providerKeyId]),
      [
        [1, false],
        [2, true],
        [3, false],
      ],
    );
    t.match(body.versions[0].submittedBy, /^[0-9a-f-]{36}$/, 'the admin key');
  });

  await t.test('404: no such return, no previous version, or not a version of the same return', async (t) => {
    t.equal((await diff('00000000-0000-4000-8000-000000000000')).statusCode, 404);
    const first = await diff(v1.id);
    t.equal(first.statusCode, 404, 'version 1 has no previous version');
    t.match(first.json().detail, /first/);
    t.equal((await diff(v2.id, '?from=9')).statusCode, 404);
    t.equal((await diff(v2.id, `?from=${other.id}`)).statusCode, 404, 'another service');
    t.equal((await diff(other.id, `?from=${v1.id}`)).statusCode, 404);
    for (const query of ['?from=abc', '?from=0', '?from=-1', '?from=1.5']) {
      const res = await diff(v2.id, query);
      t.equal(res.statusCode, 400, query);
      t.match(res.headers['content-type'], /application\/problem\+json/);
    }
    t.equal((await diff('not-a-uuid')).statusCode, 400);
  });

  await t.test('access: providers of the service and admins; audited', async (t) => {
    t.equal((await diff(v2.id, '', {})).statusCode, 401);
    t.equal((await diff(v2.id, '', bearer(await createKey(app, 'analyst')))).statusCode, 403, 'analysts never see record-level data');
    t.equal((await diff(v2.id, '', bearer(await createKey(app, 'provider', ['diff-idva'])))).statusCode, 403, 'another service');
    const events = (await app.inject({ method: 'GET', url: `/v1/audit?action=return.diff_read&resourceId=${v2.id}`, headers: admin })).json().items;
    t.equal(events.length, 1, 'one successful diff of v2');
    t.match(events[0], {
      apiKeyId: providerKeyId,
      role: 'provider',
      resourceType: 'return',
      outcome: 'success',
      detail: { fromId: v1.id, fromVersion: 1, toVersion: 2 },
    });
  });
});
