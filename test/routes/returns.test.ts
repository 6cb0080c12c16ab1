import t from 'tap';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import { makeRecord, makeRecords } from '../support/records.js';

t.test('quarterly returns', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  await registerService(app, 'col-idva', 'idva');

  const submit = (payload: unknown, headers: Record<string, string> = admin, query = '') =>
    app.inject({ method: 'POST', url: `/v1/returns${query}`, headers, payload: payload as object });
  const countRecords = async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/returns?limit=500', headers: admin });
    return (res.json().items as Array<{ recordCount: number; status: string }>).reduce((n, r) => n + r.recordCount, 0);
  };

  await t.test('a return comes back field for field, linkage key excepted', async (t) => {
    const records = makeRecords(40);
    records[0] = { ...records[0], victim: { ...(records[0]!.victim as object), linkage: { slk581: 'MIHAR010119802' } } };
    const res = await submit({ service: 'col-vva', period: '2022-23-Q1', records });
    t.equal(res.statusCode, 201, res.body);
    const summary = res.json();
    t.match(summary, { service: 'col-vva', period: '2022-23-Q1', version: 1, status: 'current', recordCount: 40 });

    const read = await app.inject({ method: 'GET', url: `/v1/returns/${summary.id}`, headers: admin });
    t.equal(read.statusCode, 200);
    const expected = records.map((r) => {
      const victim = { ...(r.victim as Record<string, unknown>) };
      delete victim.linkage;
      return { ...r, victim };
    });
    t.same(read.json().records, expected, 'every field of every record, in order');
    t.notOk(JSON.stringify(read.json()).includes('MIHAR010119802'), 'the clear SLK is never returned');
  });

  await t.test('one bad record among a hundred rejects the whole return and names the field', async (t) => {
    const before = await countRecords();
    const records = makeRecords(100, '2022-23-Q2');
    records[57] = makeRecord(57, '2022-23-Q2', { victim: { ...(records[57]!.victim as object), ethnicity: 'british' } });
    const res = await submit({ service: 'col-vva', period: '2022-23-Q2', records });
    t.equal(res.statusCode, 422);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const body = res.json();
    t.equal(body.status, 422);
    t.same(
      body.errors.map((e: { pointer: string }) => e.pointer),
      ['/records/57/victim/ethnicity'],
    );
    t.match(body.errors[0].detail, /white_british/, 'says what would be valid');
    t.equal(await countRecords(), before, 'nothing stored');
    const list = await app.inject({ method: 'GET', url: '/v1/returns?period=2022-23-Q2', headers: admin });
    t.equal(list.json().total, 0, 'no return row either');
  });

  await t.test('every problem is listed, across fields and records', async (t) => {
    const records = [
      makeRecord(1, '2022-23-Q1', { referralDate: '2022-07-01' }),
      makeRecord(2, '2022-23-Q1', { referralId: 'REF-00001' }),
      makeRecord(3, '2022-23-Q1', { category: 'vawg', vawgTypes: undefined, nonVawgCrimeType: 'fraud' }),
      makeRecord(4, '2022-23-Q1', { category: 'non_vawg', vawgTypes: ['rape'] }),
      makeRecord(5, '2022-23-Q1', { childrenInHousehold: '2', victimName: 'x' }),
      makeRecord(6, '2022-23-Q1', { closure: { closedDate: '2022-01-01', reason: 'support_completed', riskReduced: true, feelsSafer: true } }),
      makeRecord(7, '2022-23-Q1', { victim: { ...(makeRecord(7).victim as object), linkage: { slk581: 'Jane Smith 1980' } } }),
    ];
    const res = await submit({ service: 'col-vva', period: '2022-23-Q1', records: JSON.parse(JSON.stringify(records)) });
    t.equal(res.statusCode, 422);
    const pointers = res.json().errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`);
    t.equal(res.json().problemCount, res.json().errors.length, 'problemCount counts what errors lists');
    t.match(
      res.json().errors.find((e: { pointer: string }) => e.pointer === '/records/3/vawgTypes'),
      { detail: 'must be absent unless category is vawg' },
      'a conditional field says which value allows it',
    );
    t.same(
      pointers.sort(),
      [
        '/records/0/referralDate outside_period',
        '/records/1/referralId duplicate',
        '/records/2/nonVawgCrimeType not_allowed',
        '/records/2/vawgTypes required',
        '/records/3/nonVawgCrimeType required',
        '/records/3/vawgTypes not_allowed',
        '/records/4/childrenInHousehold wrong_type',
        '/records/4/victimName unknown_field',
        '/records/5/closure/closedDate before_referral_date',
        '/records/6/victim/linkage/slk581 invalid_format',
      ].sort(),
    );
    t.notOk(res.body.includes('Jane Smith'), 'a rejected linkage value is not echoed');
  });

  await t.test('the envelope is checked: unknown service, bad period, unknown onward service', async (t) => {
    let res = await submit({ service: 'nowhere', period: '2022-23-Q1', records: makeRecords(2) });
    t.equal(res.statusCode, 422);
    t.same(res.json().errors[0].pointer, '/service');
    res = await submit({ service: 'col-vva', period: '2022-24-Q1', records: [] });
    t.equal(res.statusCode, 422);
    t.same(res.json().errors[0].pointer, '/period');
    res = await submit({
      service: 'col-vva',
      period: '2022-23-Q1',
      records: [makeRecord(1, '2022-23-Q1', { onwardReferrals: [{ serviceType: 'idva', service: 'col-nope' }] })],
    });
    t.equal(res.statusCode, 422);
    t.same(res.json().errors[0].pointer, '/records/0/onwardReferrals/0/service');
    res = await submit({ service: 'col-vva', period: '2022-23-Q1', records: [], extra: true });
    t.equal(res.statusCode, 422);
    t.same(res.json().errors[0].pointer, '/extra');
  });

  await t.test('resubmitting a period creates version 2; both readable; only version 2 current', async (t) => {
    const first = await submit({ service: 'col-idva', period: '2022-23-Q3', records: makeRecords(5, '2022-23-Q3') });
    t.equal(first.statusCode, 201);
    const second = await submit({ service: 'col-idva', period: '2022-23-Q3', records: makeRecords(7, '2022-23-Q3') });
    t.equal(second.statusCode, 201);
    t.equal(second.json().version, 2);

    const v1 = await app.inject({ method: 'GET', url: `/v1/returns/${first.json().id}`, headers: admin });
    const v2 = await app.inject({ method: 'GET', url: `/v1/returns/${second.json().id}`, headers: admin });
    t.equal(v1.json().status, 'superseded');
    t.ok(v1.json().supersededAt);
    t.equal(v1.json().records.length, 5);
    t.equal(v2.json().status, 'current');
    t.equal(v2.json().records.length, 7);
    t.same(
      v2.json().versions.map((v: { version: number; status: string }) => [v.version, v.status]),
      [
        [1, 'superseded'],
        [2, 'current'],
      ],
    );
    const current = await app.inject({ method: 'GET', url: '/v1/returns?service=col-idva&period=2022-23&status=current', headers: admin });
    t.same(
      current.json().items.map((r: { version: number }) => r.version),
      [2],
    );
  });

  await t.test('concurrent submissions for one period get distinct versions', async (t) => {
    const results = await Promise.all([1, 2, 3, 4].map((n) => submit({ service: 'col-idva', period: '2023-24-Q1', records: makeRecords(n, '2023-24-Q1') })));
    t.same(
      results.map((r) => r.statusCode),
      [201, 201, 201, 201],
    );
    t.same(results.map((r) => r.json().version).sort(), [1, 2, 3, 4]);
    const current = await app.inject({ method: 'GET', url: '/v1/returns?service=col-idva&period=2023-24-Q1&status=current', headers: admin });
    t.equal(current.json().total, 1, 'exactly one current version');
  });

  await t.test('dryRun validates without storing', async (t) => {
    const before = await countRecords();
    const res = await submit({ service: 'col-vva', period: '2022-23-Q4', records: makeRecords(12, '2022-23-Q4') }, admin, '?dryRun=true');
    t.equal(res.statusCode, 200);
    t.match(res.json(), { dryRun: true, recordCount: 12, wouldBeVersion: 1 });
    t.equal(await countRecords(), before);
    const bad = await submit(
      { service: 'col-vva', period: '2022-23-Q4', records: [makeRecord(1, '2022-23-Q4', { riskLevel: 'very_high' })] },
      admin,
      '?dryRun=true',
    );
    t.equal(bad.statusCode, 422);
  });

  await t.test('data-quality warnings come back with an accepted return', async (t) => {
    const records = makeRecords(20, '2021-22-Q1').map((r) => ({ ...r, referralSource: 'other' }));
    const res = await submit({ service: 'col-vva', period: '2021-22-Q1', records });
    t.equal(res.statusCode, 201);
    t.ok(res.json().warnings.some((w: { code: string }) => w.code === 'other_referral_source'));
  });

  await t.test('providers submit and read only their own services; analysts read no records', async (t) => {
    const provider = await createKey(app, 'provider', ['col-vva']);
    const analyst = await createKey(app, 'analyst');
    let res = await submit({ service: 'col-vva', period: '2020-21-Q1', records: makeRecords(3, '2020-21-Q1') }, bearer(provider));
    t.equal(res.statusCode, 201);
    const own = res.json().id;
    res = await submit({ service: 'col-idva', period: '2020-21-Q1', records: makeRecords(3, '2020-21-Q1') }, bearer(provider));
    t.equal(res.statusCode, 403);
    const other = await submit({ service: 'col-idva', period: '2020-21-Q1', records: makeRecords(3, '2020-21-Q1') });
    res = await app.inject({ method: 'GET', url: `/v1/returns/${other.json().id}`, headers: bearer(provider) });
    t.equal(res.statusCode, 403, "cannot read another service's return");
    res = await app.inject({ method: 'GET', url: `/v1/returns/${own}`, headers: bearer(provider) });
    t.equal(res.statusCode, 200);
    res = await app.inject({ method: 'GET', url: '/v1/returns?limit=500', headers: bearer(provider) });
    t.ok(
      res.json().items.every((r: { service: string }) => r.service === 'col-vva'),
      'the list holds only its services',
    );
    res = await app.inject({ method: 'GET', url: '/v1/returns?service=col-idva', headers: bearer(provider) });
    t.equal(res.statusCode, 403);
    res = await app.inject({ method: 'GET', url: `/v1/returns/${own}`, headers: bearer(analyst) });
    t.equal(res.statusCode, 403, 'analysts never see record-level data');
    res = await submit({ service: 'col-vva', period: '2020-21-Q1', records: [] }, bearer(analyst));
    t.equal(res.statusCode, 403);
  });

  await t.test('reading a return that does not exist is 404', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/returns/00000000-0000-4000-8000-000000000000', headers: admin });
    t.equal(res.statusCode, 404);
    const bad = await app.inject({ method: 'GET', url: '/v1/returns/not-a-uuid', headers: admin });
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().errors[0].parameter, 'id');
  });
});
