/**
 * The analysts' traps of issue 12, each through the API: a minoritised share compared with a
 * population on another definition, 0% not known for a field nobody collected, a Marac measure over
 * every service, an unknown area answering zeros, and suppressed cells that do not say why.
 * (Missing returns without a schedule are in completeness.test.ts.)
 */
import t from 'tap';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { isMinoritisedEthnicity } from '../../src/schema/dataset/derived.js';
import { quarterContaining } from '../../src/services/analytics/completeness.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

type Json = Record<string, unknown>;

interface Indicator {
  id: string;
  label: string;
  definition: string;
  numerator: number | null;
  denominator: number | null;
  value: number | null;
  status: string;
  reason?: string;
  suppression?: string;
}

interface Cell {
  key: Record<string, string>;
  value: number | null;
  status: string;
  suppression?: string;
  populationShare?: number | null;
  representation?: number | null;
}

const withVictim = (record: Json, victim: Json): Json => ({ ...record, victim: { ...(record.victim as Json), ...victim } });

/** A record without the optional person fields (pregnancy, marital status): a return that does not collect them. */
function withoutOptional(record: Json): Json {
  const { pregnancy: _pregnancy, maritalStatus: _maritalStatus, ...victim } = record.victim as Json;
  return { ...record, victim };
}

t.test("analysts' traps", async (t) => {
  const app = await buildTestApp(t);
  const analyst = bearer(await createKey(app, 'analyst'));
  const submit = async (service: string, period: string, records: Json[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service} ${period}: ${res.statusCode} ${res.body}`);
  };
  const getJson = async (url: string, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'GET', url, headers });
    if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const indicators = async (query: string, headers: Record<string, string> = admin) => {
    const body = await getJson(`/v1/indicators?${query}`, headers);
    return (id: string): Indicator => body.indicators.find((i: Indicator) => i.id === id);
  };

  await t.test('minoritised share: the indicator, the dimension and the population share have one definition', async (t) => {
    const area = 'E09000101';
    await registerService(app, 'min-vva', 'vva', area);
    // Every ethnicity code, twice, and a White British majority: White minorities are where the two definitions differ.
    const ethnicities = [...codeLists.ethnicity.codes.map((c) => c.code), ...codeLists.ethnicity.codes.map((c) => c.code), 'not_known', 'prefer_not_to_say'];
    const records = [
      ...ethnicities.map((ethnicity, i) => withVictim(makeRecord(i), { ethnicity })),
      ...Array.from({ length: 30 }, (_, i) => withVictim(makeRecord(100 + i), { ethnicity: 'white_british' })),
    ];
    await submit('min-vva', '2022-23-Q1', records);
    const put = await app.inject({
      method: 'PUT',
      url: `/v1/areas/${area}`,
      headers: admin,
      payload: { name: 'Minoritised test area', population: [{ year: 2022, total: 10_000, byGroup: { minoritisedEthnicity: { yes: 2_500, no: 7_500 } } }] },
    });
    t.equal(put.statusCode, 201, put.body);

    const minoritised = records.filter((r) => isMinoritisedEthnicity((r.victim as Json).ethnicity as string) === true).length;
    const known = records.filter((r) => isMinoritisedEthnicity((r.victim as Json).ethnicity as string) !== null).length;
    const rate = (await indicators(`service=min-vva&period=2022-23-Q1`))('minoritisedEthnicityRate');
    t.match(rate, { numerator: minoritised, denominator: known, status: 'ok' });
    t.match(rate.label, /other than White British/, 'the label says what is counted');
    const counted = codeLists.ethnicity.codes.map((c) => c.code).filter((c) => c !== 'white_british');
    const listed = /one of ([a-z_, ]+) \(/.exec(rate.definition)?.[1]?.split(', ');
    t.same(listed, counted, 'the definition lists exactly the codes counted');
    t.match(rate.definition, /not_known and prefer_not_to_say excluded/);
    t.match(rate.definition, /groupBy=minoritisedEthnicity/);

    const table = await getJson(`/v1/aggregates?groupBy=minoritisedEthnicity&period=2022-23-Q1&service=min-vva`);
    const cell = (code: string): Cell => table.cells.find((c: Cell) => c.key.minoritisedEthnicity === code);
    t.same(
      table.cells.map((c: Cell) => c.key.minoritisedEthnicity),
      ['yes', 'no', 'not_known'],
    );
    t.equal(cell('yes').value, rate.numerator, 'the dimension counts what the indicator counts');
    t.equal(cell('yes').value! + cell('no').value!, rate.denominator);
    t.equal(cell('not_known').value, 2);
    t.equal(cell('yes').populationShare, 0.25, 'the population share on the same definition');
    t.equal(cell('yes').representation, cell('yes').value! / table.totals.overall.value / 0.25);
    t.match(table.population, { dimension: 'minoritisedEthnicity', year: 2022, areas: [area] });

    const five = await getJson(`/v1/aggregates?groupBy=ethnicityGroup&period=2022-23-Q1&service=min-vva`);
    const white = five.cells.find((c: Cell) => c.key.ethnicityGroup === 'white').value as number;
    t.ok(white > cell('no').value!, 'the five groups put White minorities with White British: not the indicator definition');
  });

  await t.test('notKnownShare of a field no record carried is not 0%: not collected', async (t) => {
    await registerService(app, 'nocollect-vva', 'vva', 'E09000102');
    await submit('nocollect-vva', '2022-23-Q1', makeRecords(12).map(withoutOptional));
    // Collected in Q2, never not_known: a true 0%.
    await submit(
      'nocollect-vva',
      '2022-23-Q2',
      makeRecords(12, '2022-23-Q2').map((r) => withVictim(r, { pregnancy: 'no' })),
    );

    let get = await indicators('service=nocollect-vva&period=2022-23-Q1');
    t.match(get('notKnownShare.pregnancy'), { numerator: null, denominator: null, value: null, status: 'not_available', reason: 'not_collected' });
    t.match(get('notKnownShare.maritalStatus'), { value: null, reason: 'not_collected' });
    t.match(get('notKnownShare.pregnancy').definition, /not_collected/);
    t.match(get('notKnownShare.ethnicity'), { status: 'ok', denominator: 12 }, 'a required field is always collected');
    t.notOk('reason' in get('notKnownShare.ethnicity'), 'a reason only when not available');

    get = await indicators('service=nocollect-vva&period=2022-23-Q2');
    t.match(get('notKnownShare.pregnancy'), { numerator: 0, denominator: 12, value: 0, status: 'ok' }, 'collected: 0% is a real answer');
    get = await indicators('service=nocollect-vva&period=2022-23-Q1', analyst);
    t.match(get('notKnownShare.pregnancy'), { value: null, status: 'not_available', reason: 'not_collected' }, 'analysts too');
    get = await indicators('service=nocollect-vva&period=2022-23');
    t.match(get('notKnownShare.pregnancy'), { numerator: 0, denominator: 24, status: 'ok' }, 'collected by one return in scope');
  });

  await t.test('casesPer10000AdultFemales counts Marac cases only, over the Maracs’ areas', async (t) => {
    const maracArea = 'E09000103';
    const otherArea = 'E09000104';
    await registerService(app, 'cases-marac', 'marac', maracArea);
    await registerService(app, 'cases-vva', 'vva', maracArea);
    await registerService(app, 'cases-idva', 'idva', otherArea);
    await submit('cases-marac', '2022-23-Q1', makeRecords(20));
    await submit('cases-vva', '2022-23-Q1', makeRecords(30));
    await submit('cases-idva', '2022-23-Q1', makeRecords(40));
    for (const [code, adultFemale] of [
      [maracArea, 8_000],
      [otherArea, 12_000],
    ] as const) {
      const res = await app.inject({
        method: 'PUT',
        url: `/v1/areas/${code}`,
        headers: admin,
        payload: { name: code, population: [{ year: 2022, total: 20_000, adultFemale }] },
      });
      t.equal(res.statusCode, 201);
    }

    const both = await indicators(`area=${maracArea}&period=2022-23-Q1`);
    t.equal(both('referrals').value, 50);
    t.match(
      both('casesPer10000AdultFemales'),
      { numerator: 20, denominator: 8_000, value: (20 * 10_000) / 8_000, status: 'ok' },
      'the VVA’s referrals are not cases',
    );
    t.match(both('casesPer10000AdultFemales').label, /^Marac cases/);
    t.match(both('casesPer10000AdultFemales').definition, /services of type marac/);

    const all = await indicators('period=2022-23-Q1&service=cases-marac');
    t.match(all('casesPer10000AdultFemales'), { numerator: 20, denominator: 8_000 });
    const wide = await indicators(`period=2022-23-Q1&serviceType=marac`);
    t.match(wide('casesPer10000AdultFemales'), { denominator: 8_000 }, 'the denominator is the adult females of the Maracs’ areas');
    t.equal(wide('casesPer10000AdultFemales').numerator, wide('referrals').value);

    const noMarac = await indicators(`area=${otherArea}&period=2022-23-Q1`);
    t.match(noMarac('casesPer10000AdultFemales'), { value: null, status: 'not_available', reason: 'service_type_not_in_scope' }, 'no Marac: not 0 cases');
    const vvaOnly = await indicators(`area=${maracArea}&serviceType=vva&period=2022-23-Q1`);
    t.match(vvaOnly('casesPer10000AdultFemales'), { value: null, reason: 'service_type_not_in_scope' });

    // 20 cases of 23 referrals: the 3 non-Marac referrals would follow by subtraction.
    await registerService(app, 'cases-small-vva', 'vva', 'E09000105');
    await registerService(app, 'cases-small-marac', 'marac', 'E09000105');
    await submit('cases-small-vva', '2022-23-Q1', makeRecords(3));
    await submit('cases-small-marac', '2022-23-Q1', makeRecords(20));
    const exact = await indicators('area=E09000105&period=2022-23-Q1');
    t.match(exact('casesPer10000AdultFemales'), { numerator: 20 });
    const safe = await indicators('area=E09000105&period=2022-23-Q1', analyst);
    t.match(safe('referrals'), { status: 'ok' });
    t.match(safe('casesPer10000AdultFemales'), { status: 'suppressed', suppression: 'complementary', numerator: null });
  });

  await t.test('an unknown area answers 404 wherever area filters, without quoting it', async (t) => {
    const unknown = 'E09000999';
    for (const path of ['/v1/aggregates', '/v1/indicators', '/v1/completeness', '/v1/overlaps']) {
      for (const headers of [admin, analyst]) {
        const res = await app.inject({ method: 'GET', url: `${path}?period=2022-23&area=${unknown}`, headers });
        t.equal(res.statusCode, 404, `${path}: ${res.body}`);
        t.match(res.headers['content-type'], /application\/problem\+json/);
        t.match(res.json(), { status: 404, type: /not-?found/i });
        t.notMatch(res.body, unknown, 'the code is not echoed');
        const service = await app.inject({ method: 'GET', url: `${path}?period=2022-23&service=no-such-service`, headers });
        t.ok(service.statusCode === 404 || service.statusCode === 200, `${path}: an unknown service is 404 (completeness lists none: 200)`);
        t.notMatch(service.body, 'no-such-service', 'nor is a service id');
      }
    }
    // Known: an area with services, and a registered area without any (its zeros are true).
    t.equal((await app.inject({ method: 'GET', url: '/v1/indicators?period=2022-23&area=E09000103', headers: admin })).statusCode, 200);
    const registered = await app.inject({ method: 'PUT', url: '/v1/areas/E09000998', headers: admin, payload: { name: 'No services yet', population: [] } });
    t.equal(registered.statusCode, 201);
    const empty = await app.inject({ method: 'GET', url: '/v1/aggregates?period=2022-23&area=E09000998', headers: admin });
    t.equal(empty.statusCode, 200);
    t.equal(empty.json().totals.overall.value, 0);
    t.equal(
      (await app.inject({ method: 'GET', url: '/v1/indicators?period=2022-23&area=E09000103&serviceType=isva', headers: admin })).statusCode,
      200,
      'a known area with no service of the type asked for: zeros',
    );
  });

  await t.test('suppressed cells say whether they are small (primary) or complements; status is unchanged', async (t) => {
    await registerService(app, 'supp-vva', 'vva', 'E09000106');
    // Risk levels: 2 standard, 9 medium, 12 high, 20 not assessed.
    const risks = [
      ['standard', 2],
      ['medium', 9],
      ['high', 12],
      ['not_assessed', 20],
    ] as const;
    const records = risks
      .flatMap(([riskLevel, n]) => Array.from({ length: n }, () => riskLevel))
      .map((riskLevel, i) => makeRecord(i, '2022-23-Q1', { riskLevel }));
    await submit('supp-vva', '2022-23-Q1', records);
    const table = await getJson('/v1/aggregates?groupBy=riskLevel&period=2022-23-Q1&service=supp-vva', analyst);
    const cell = (code: string): Cell => table.cells.find((c: Cell) => c.key.riskLevel === code);
    t.match(cell('standard'), { value: null, status: 'suppressed', suppression: 'primary' });
    t.match(cell('medium'), { value: null, status: 'suppressed', suppression: 'complementary' }, 'the smallest other cell protects it');
    t.notOk('suppression' in cell('high'), 'published cells carry no suppression');
    t.same([...new Set(table.cells.map((c: Cell) => c.status))].sort(), ['ok', 'suppressed'], 'status keeps its values');
    t.notOk('suppression' in table.totals.overall);

    const exact = await getJson('/v1/aggregates?groupBy=riskLevel&period=2022-23-Q1&service=supp-vva');
    t.notOk(
      exact.cells.some((c: Cell) => 'suppression' in c),
      'admins: nothing suppressed',
    );

    // Indicators: 2 repeats of 20 are small; 18 of 20 leave 2 others to be derived.
    await registerService(app, 'supp-idva', 'idva', 'E09000106');
    const repeats = (n: number, period: string) => makeRecords(20, period).map((r, i) => ({ ...r, repeatReferral: i < n }));
    await submit('supp-idva', '2022-23-Q1', repeats(2, '2022-23-Q1'));
    await submit('supp-idva', '2022-23-Q2', repeats(18, '2022-23-Q2'));
    let get = await indicators('service=supp-idva&period=2022-23-Q1', analyst);
    t.match(get('repeatReferrals'), { status: 'suppressed', suppression: 'primary' });
    t.match(get('repeatReferralRate'), { status: 'suppressed', suppression: 'primary' });
    t.notOk('suppression' in get('referrals'));
    get = await indicators('service=supp-idva&period=2022-23-Q2', analyst);
    t.match(get('repeatReferralRate'), { status: 'suppressed', suppression: 'complementary' });
    t.match(get('repeatReferrals'), { status: 'suppressed', suppression: 'complementary' });
    get = await indicators('service=supp-idva&period=2022-23-Q2');
    t.match(get('repeatReferralRate'), { status: 'ok', numerator: 18 }, 'admins: exact');
    t.notOk('suppression' in get('repeatReferralRate'));
  });

  t.test('the quarter a date falls in', async (t) => {
    t.equal(quarterContaining(new Date('2024-04-01T00:00:00Z')), '2024-25-Q1');
    t.equal(quarterContaining(new Date('2024-09-30T23:59:59Z')), '2024-25-Q2');
    t.equal(quarterContaining(new Date('2024-12-31T12:00:00Z')), '2024-25-Q3');
    t.equal(quarterContaining(new Date('2025-03-31T12:00:00Z')), '2024-25-Q4');
    t.equal(quarterContaining(new Date('1999-01-15T12:00:00Z')), '1998-99-Q4');
  });
});
