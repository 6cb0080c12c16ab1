import { sql } from 'drizzle-orm';
import t from 'tap';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import { makeRecord, makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';

type Json = Record<string, unknown>;

const mary = { familyName: 'Smith', givenName: 'Mary', birthDate: '1980-01-05', sex: 'female' };
const MARY = computeSlk581(mary); // MIHAR050119802
const MARY_TYPO = computeSlk581({ ...mary, familyName: 'Smyth' }); // one family letter differs
const MARY_SWAPPED = computeSlk581({ ...mary, birthDate: '1980-05-01' }); // day and month transposed
const MARY_NO_GIVEN = computeSlk581({ ...mary, givenName: '' }); // given name missing
const NAMESAKE = computeSlk581({ familyName: 'Okafor', givenName: 'Grace', birthDate: '1980-01-05', sex: 'female' }); // same birthday, someone else

/** What every service records about Mary herself: the same person answers the same way. */
const MARY_ATTRIBUTES = { ethnicity: 'black_caribbean', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' };
const MARY_KEYS = new Set([MARY, MARY_TYPO, MARY_SWAPPED, MARY_NO_GIVEN]);

/** A record with the given key; its closure is dropped, since these tests move referral dates. */
function withSlk(record: Json, slk: string | null, extra: Json = {}): Json {
  const attributes = slk && MARY_KEYS.has(slk) ? MARY_ATTRIBUTES : {};
  const victim = { ...(record.victim as Json), ...attributes, ...(slk ? { linkage: { slk581: slk } } : {}) };
  const { closure: _closure, ...rest } = record;
  return { ...rest, onwardReferrals: [], ...extra, victim };
}

t.test('people counted once across services by probabilistic linkage', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  await registerService(app, 'col-idva', 'idva');
  await registerService(app, 'col-marac', 'marac');
  const analyst = await createKey(app, 'analyst');
  const submit = async (service: string, period: string, records: Json[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    t.equal(res.statusCode, 201, res.body);
    return res.json();
  };
  const indicator = async (id: string, query = 'period=2022-23-Q1') => {
    const res = await app.inject({ method: 'GET', url: `/v1/indicators?${query}`, headers: admin });
    return res.json().indicators.find((i: { id: string }) => i.id === id);
  };

  const P = '2022-23-Q1';
  await submit('col-vva', P, [
    withSlk(makeRecord(1, P, { referralDate: '2022-04-04' }), MARY, {
      onwardReferrals: [{ serviceType: 'idva' }, { serviceType: 'marac', service: 'col-marac' }],
    }),
    withSlk(makeRecord(2, P, { referralDate: '2022-04-05' }), NAMESAKE, { onwardReferrals: [{ serviceType: 'idva' }] }),
    withSlk(makeRecord(3, P, { referralDate: '2022-04-06' }), null, { onwardReferrals: [{ serviceType: 'idva' }] }),
  ]);
  const idva = await submit('col-idva', P, [withSlk(makeRecord(4, P, { referralDate: '2022-05-02' }), MARY_TYPO)]);
  await submit('col-marac', P, [
    withSlk(makeRecord(5, P, { referralDate: '2022-05-20' }), MARY_SWAPPED),
    withSlk(makeRecord(6, P, { referralDate: '2022-06-20' }), MARY_NO_GIVEN),
  ]);

  await t.test('the woman referred by the VVA to the IDVA and to MARAC is one person', async (t) => {
    t.equal((await indicator('referrals')).value, 6);
    t.equal((await indicator('people')).value, 3, 'Mary (4 records with key variants), her namesake, and the record without a key');
    t.equal((await indicator('duplicateReferrals')).value, 3);
    const stored = await app.db.execute(sql`select count(distinct victim_linkage_slk581_token)::int as n from records`);
    t.equal(
      (stored as unknown as { rows: Array<{ n: number }> }).rows[0]!.n,
      5,
      'five different stored keys: exact-key matching would have counted six people',
    );
  });

  await t.test('overlaps: people by number of services, pairs, onward referrals', async (t) => {
    const res = await app.inject({ method: 'GET', url: `/v1/overlaps?period=${P}`, headers: admin });
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.people.value, 3);
    t.same(
      body.byServiceCount.map((c: { services: string; value: number }) => [c.services, c.value]),
      [
        ['1', 2],
        ['2', 0],
        ['3', 1],
        ['4+', 0],
      ],
    );
    const pair = (a: string, b: string) => body.pairs.find((p: { a: string; b: string }) => p.a === a && p.b === b).value;
    t.equal(pair('col-idva', 'col-vva'), 1);
    t.equal(pair('col-idva', 'col-marac'), 1);
    t.equal(pair('col-marac', 'col-vva'), 1);
    const onward = (serviceType: string, outcome: string) =>
      body.onwardReferrals.cells.find((c: { serviceType: string; outcome: string }) => c.serviceType === serviceType && c.outcome === outcome)?.value;
    t.equal(onward('idva', 'found'), 1, "Mary's referral to the IDVA reached her");
    t.equal(onward('idva', 'not_found'), 1, "the namesake's referral to the IDVA did not arrive");
    t.equal(onward('idva', 'untraceable'), 1, 'a record without a linkage key cannot be traced');
    t.equal(onward('marac', 'found'), 1);

    const safe = (await app.inject({ method: 'GET', url: `/v1/overlaps?period=${P}`, headers: bearer(analyst) })).json();
    t.equal(safe.disclosure.applied, true);
    t.equal(safe.people.status, 'suppressed', 'three people is a small number');
    t.ok(
      safe.pairs.every((p: { status: string }) => p.status === 'suppressed'),
      'small overlaps are not disclosed',
    );
  });

  await t.test('an admin can see why records were joined; nothing else can', async (t) => {
    const res = await app.inject({ method: 'GET', url: `/v1/linkage/persons?service=col-idva&period=${P}&referralId=REF-00004`, headers: admin });
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.linked, true);
    t.same(body.records.map((r: { service: string }) => r.service).sort(), ['col-idva', 'col-marac', 'col-marac', 'col-vva']);
    t.ok(body.links.length >= 3, 'the links that joined four records');
    for (const link of body.links) {
      t.ok(link.weight > 0, 'each link carries its match weight');
      t.ok(link.levels.birthDate, 'and the comparison levels');
    }
    const levels = body.links.map((l: { levels: Record<string, string> }) => JSON.stringify(l.levels)).join(' ');
    t.match(levels, /transposed/, 'the day/month transposition was recognised');
    t.match(levels, /one_letter/, 'so was the one-letter family-name difference');
    for (const slk of [MARY, MARY_TYPO, MARY_SWAPPED]) t.notOk(res.body.includes(slk), 'no clear key in the explanation');
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/linkage/persons?service=col-idva&period=${P}&referralId=REF-00004`, headers: bearer(analyst) })).statusCode,
      403,
    );
    t.equal((await app.inject({ method: 'GET', url: `/v1/linkage/persons?service=col-idva&period=${P}&referralId=NOPE`, headers: admin })).statusCode, 404);
  });

  await t.test('superseding a return re-links the people it touched', async (t) => {
    const replaced = await submit('col-idva', P, [
      withSlk(
        makeRecord(7, P, { referralDate: '2022-05-02' }),
        computeSlk581({ familyName: 'Nowak', givenName: 'Anna', birthDate: '1991-09-09', sex: 'female' }),
      ),
    ]);
    t.equal(replaced.version, 2);
    t.not(replaced.id, idva.id);
    t.equal((await indicator('people')).value, 4, 'Anna is new; Mary is still one person without the IDVA record');
    const overlaps = (await app.inject({ method: 'GET', url: `/v1/overlaps?period=${P}`, headers: admin })).json();
    t.equal(overlaps.pairs.find((p: { a: string; b: string }) => p.a === 'col-idva' && p.b === 'col-vva').value, 0);
  });

  await t.test('repeat referrals found by linkage, next to the provider-reported flag', async (t) => {
    await submit('col-vva', '2022-23-Q2', [withSlk(makeRecord(8, '2022-23-Q2', { referralDate: '2022-08-01', repeatReferral: false }), MARY_TYPO)]);
    const linked = await indicator('repeatReferralsLinked', 'period=2022-23-Q2&service=col-vva');
    t.equal(linked.value, 1, "Mary's second VVA referral within 12 months is a repeat, though the provider did not flag it");
    t.equal((await indicator('repeatReferrals', 'period=2022-23-Q2&service=col-vva')).value, 0);
  });

  await t.test('a full relink gives the same people as the incremental updates', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: { estimate: false } });
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json(), { records: 6, clusters: 3 }, 'the six current records with a key, in three persons');
    t.equal((await indicator('people')).value, 4);
    const estimated = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: { estimate: true } });
    t.equal(estimated.statusCode, 200, estimated.body);
    t.match(estimated.json(), { estimated: false, modelVersion: res.json().modelVersion }, 'six records are too few for EM: the model in use is kept');
    t.equal((await indicator('people')).value, 4);
    const model = await app.inject({ method: 'GET', url: '/v1/linkage/model', headers: admin });
    t.equal(model.statusCode, 200);
    t.equal(model.json().threshold, -1.5, 'the default VAWG_MATCH_THRESHOLD');
    t.equal((await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: bearer(analyst), payload: {} })).statusCode, 403);
  });
});

t.test('attributes tell a changed family name from a namesake born the same day', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  await registerService(app, 'col-idva', 'idva');
  const P = '2022-23-Q1';
  const person = (i: number, familyName: string, attributes: Json): Json => {
    const { closure: _closure, ...record } = makeRecord(i, P);
    const linkage = { slk581: computeSlk581({ familyName, givenName: 'Aisha', birthDate: '1990-03-14', sex: 'female' }) };
    return { ...record, onwardReferrals: [], victim: { ...(record.victim as Json), ...attributes, linkage } };
  };
  const aisha = { ethnicity: 'asian_bangladeshi', religion: 'muslim', sexualOrientation: 'heterosexual', disability: 'yes' };
  const other = { ethnicity: 'white_irish', religion: 'christian', sexualOrientation: 'bisexual', disability: 'no' };
  for (const [service, records] of [
    ['col-vva', [person(1, 'Begum', aisha)]],
    ['col-idva', [person(2, 'Rahman', aisha), person(3, 'Kowalski', other)]],
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period: P, records } });
    t.equal(res.statusCode, 201, res.body);
  }
  const res = await app.inject({ method: 'GET', url: `/v1/linkage/persons?service=col-vva&period=${P}&referralId=REF-00001`, headers: admin });
  t.same(
    res.json().records.map((r: { referralId: string }) => r.referralId),
    ['REF-00001', 'REF-00002'],
    'Aisha Begum, now Rahman, is one person; the namesake is not joined to her',
  );
  t.match(res.json().links[0].levels, { family: 'different', ethnicity: 'exact', religion: 'exact' });
});

t.test('a date of birth a year out links through the day-and-month token; records stored before it do not', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  await registerService(app, 'col-idva', 'idva');
  const P = '2022-23-Q1';
  const submit = async (service: string, records: Json[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period: P, records } });
    t.equal(res.statusCode, 201, res.body);
  };
  const people = async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/indicators?period=${P}`, headers: admin });
    return res.json().indicators.find((i: { id: string }) => i.id === 'people').value;
  };
  const yearOut = computeSlk581({ ...mary, birthDate: '1981-01-05' });
  await submit('col-vva', [withSlk(makeRecord(1, P), MARY)]);
  // Not one of MARY_KEYS, so withSlk gives it no attributes: add Mary's own, as every service records them.
  const second = withSlk(makeRecord(2, P), yearOut);
  await submit('col-idva', [{ ...second, victim: { ...(second.victim as Json), ...MARY_ATTRIBUTES } }]);
  t.equal(await people(), 1, 'one person, found incrementally: the second return reached the first through names, day and month');
  const res = await app.inject({ method: 'GET', url: `/v1/linkage/persons?service=col-idva&period=${P}&referralId=REF-00002`, headers: admin });
  t.match(res.json().links, [{ levels: { family: 'exact', given: 'exact', birthDate: 'same_day_month' } }]);

  const stored = await app.db.execute(
    sql`select count(*)::int as n, count(distinct linkage_birth_day_month)::int as day_month, count(distinct linkage_birth_month_year)::int as month_year from records`,
  );
  t.same(
    (stored as unknown as { rows: unknown[] }).rows[0],
    { n: 2, day_month: 1, month_year: 2 },
    'both tokens stored: one day and month, two months and years',
  );
  const values = await app.db.execute(sql`select linkage_birth_day_month as v from records union all select linkage_birth_month_year from records`);
  for (const { v } of (values as unknown as { rows: Array<{ v: string }> }).rows) t.notMatch(v, /1980|1981|0501|0105/, 'tokens, not clear dates');

  // As stored before migration 0002: no date-part tokens. The pair is then beyond blocking, as it was.
  await app.db.execute(sql`update records set linkage_birth_day_month = null, linkage_birth_month_year = null`);
  const relink = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: { estimate: false } });
  t.equal(relink.statusCode, 200, relink.body);
  t.match(relink.json(), { records: 2, clusters: 2, candidatePairs: 0 });
  t.equal(await people(), 2);
});

t.test('services in several areas: links compare the areas of the services registered', async (t) => {
  const app = await buildTestApp(t);
  const gss: Record<string, string> = { A001: 'E09000001', A002: 'E09000030' };
  const P = '2022-23-Q1';
  const population = generatePopulation({ people: 300, seed: 5, areas: 2, services: ['vva', 'idva', 'marac'] });
  // One service of each type in each area, one return each.
  const returns = new Map<string, { serviceType: string; area: string; records: Json[] }>();
  for (const r of population.records) {
    const id = `${r.area.toLowerCase()}-${r.service}`;
    const entry = returns.get(id) ?? { serviceType: r.service, area: gss[r.area]!, records: [] };
    entry.records.push(makeSyntheticRecord(r, P));
    returns.set(id, entry);
  }
  for (const [service, { serviceType, area, records }] of returns) {
    await registerService(app, service, serviceType, area);
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period: P, records } });
    t.equal(res.statusCode, 201, res.body);
  }
  const levels = async () => {
    const rows = await app.db.execute(sql`select levels->>'serviceArea' as area, count(*)::int as n from person_links group by 1 order by 1`);
    return (rows as unknown as { rows: Array<{ area: string; n: number }> }).rows.map((r) => r.area);
  };
  t.same(await levels(), ['different', 'exact'], 'incremental links compare the two areas: some persons span both');
  const relink = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: { estimate: true } });
  t.equal(relink.statusCode, 200, relink.body);
  t.same(await levels(), ['different', 'exact'], 'and so does a full relink');
  // EM needs about 2,000 pairs born the same day (some 10,000 records); until then the default
  // model, which has no area level, weighs the area 0.
  t.equal(relink.json().estimated, false);
  const model = (await app.inject({ method: 'GET', url: '/v1/linkage/model', headers: admin })).json().model;
  t.notOk('serviceArea' in model.comparisons);
});
