import t from 'tap';
import type { Test } from 'tap';
import { roundHalfUp } from '../../src/lib/round.js';
import { MAX_NOISE } from '../../src/services/analytics/cell-key.js';
import { isLgbtPlus, isMinoritisedEthnicity } from '../../src/schema/dataset/derived.js';
import { victimFields } from '../../src/schema/dataset/fields.js';
import { BARNET_MARAC, barnetMaracQuarters, buildBarnetMaracReturns } from '../support/barnet-marac.js';
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
  percent?: number | null;
  unit: string;
  status: 'ok' | 'suppressed' | 'not_available';
}

/** A valid SLK-581 per n (distinct birth years). */
const slk = (n: number) => `MIHAR${String(1 + (n % 28)).padStart(2, '0')}01${1950 + n}2`;

/** An analyst's count: the exact one with the cell key's noise, never pushed below the threshold (5). */
function near(t: Test, published: number | null | undefined, exact: number, message: string) {
  t.ok(
    typeof published === 'number' && Math.abs(published - exact) <= MAX_NOISE && (exact < 5 || published >= 5),
    `${message}: ${published} within ±${MAX_NOISE} of ${exact}`,
  );
}

function withVictim(record: Json, victim: Json): Json {
  return { ...record, victim: { ...(record.victim as Json), ...victim } };
}

function linked(record: Json, key: number | null): Json {
  return key === null ? record : withVictim(record, { linkage: { slk581: slk(key) } });
}

t.test('GET /v1/indicators', async (t) => {
  const app = await buildTestApp(t);
  const analyst = bearer(await createKey(app, 'analyst'));

  const submit = async (service: string, period: string, records: Json[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service} ${period}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const fetchIndicators = async (query: string, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'GET', url: `/v1/indicators?${query}`, headers });
    if (res.statusCode !== 200) throw new Error(`GET /v1/indicators?${query}: ${res.statusCode} ${res.body}`);
    const body = res.json();
    const byId = new Map<string, Indicator>(body.indicators.map((i: Indicator) => [i.id, i]));
    const get = (id: string): Indicator => {
      const indicator = byId.get(id);
      if (!indicator) throw new Error(`no indicator ${id}`);
      return indicator;
    };
    return { body, get };
  };

  await registerService(app, BARNET_MARAC.id, BARNET_MARAC.serviceType, BARNET_MARAC.area);
  for (const payload of buildBarnetMaracReturns()) await submit(payload.service, payload.period, payload.records);

  await t.test('the Barnet MARAC returns 2022/23, quarter by quarter', async (t) => {
    const percents: number[] = [];
    for (const q of barnetMaracQuarters) {
      const { body, get } = await fetchIndicators(`service=${BARNET_MARAC.id}&period=${q.period}`);
      t.same(body.period, { period: q.period, quarters: [q.period], service: BARNET_MARAC.id });
      t.equal(get('referrals').value, q.referrals, `${q.period} referrals`);
      t.equal(get('repeatReferrals').value, q.repeatReferrals, `${q.period} repeat referrals`);
      t.equal(get('childrenInHousehold').value, q.children, `${q.period} children`);
      t.equal(get('familiesWithChildren').value, q.familiesWithChildren, `${q.period} families with children`);
      const rate = get('repeatReferralRate');
      t.match(rate, { numerator: q.repeatReferrals, denominator: q.referrals, unit: 'rate', status: 'ok' });
      t.equal(rate.value, q.repeatReferrals / q.referrals);
      percents.push(roundHalfUp((rate.numerator! * 100) / rate.denominator!, 0));

      // Analysts: the same figures with noise; the rate is the published numerator over the published denominator.
      const safe = (await fetchIndicators(`service=${BARNET_MARAC.id}&period=${q.period}`, analyst)).get;
      near(t, safe('referrals').value, q.referrals, `${q.period} referrals (analyst)`);
      near(t, safe('repeatReferrals').value, q.repeatReferrals, `${q.period} repeat referrals (analyst)`);
      near(t, safe('childrenInHousehold').value, q.children, `${q.period} children (analyst)`);
      near(t, safe('familiesWithChildren').value, q.familiesWithChildren, `${q.period} families (analyst)`);
      const safeRate = safe('repeatReferralRate');
      t.match(safeRate, { numerator: safe('repeatReferrals').value, denominator: safe('referrals').value, status: 'ok' }, 'the same published counts');
      t.equal(safeRate.value, safeRate.numerator! / safeRate.denominator!);
    }
    t.same(percents, [10, 18, 16, 24], 'repeat referral percentages rounded half-up');
  });

  await t.test('the Barnet MARAC year and a range of quarters', async (t) => {
    const { body, get } = await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`);
    t.same(body.period.quarters, ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4']);
    t.equal(get('referrals').value, 477);
    t.equal(get('repeatReferrals').value, 85);
    t.match(get('repeatReferralRate'), { numerator: 85, denominator: 477, percent: 17.8, status: 'ok' });
    t.equal(get('childrenInHousehold').value, 294);
    t.equal(get('familiesWithChildren').value, 187);
    t.match(get('highRiskRate'), { numerator: 477, denominator: 477, value: 1, percent: 100 }, 'every MARAC case is high risk');
    t.match(get('people'), { value: 477, unit: 'people' }, 'no linkage keys: each referral is its own person');
    t.match(get('duplicateReferrals'), { value: 0, status: 'ok' });

    const safe = (await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`, analyst)).get;
    const referrals = safe('referrals').value!;
    near(t, referrals, 477, 'referrals (analyst)');
    near(t, safe('repeatReferrals').value, 85, 'repeat referrals (analyst)');
    near(t, safe('childrenInHousehold').value, 294, 'children (analyst)');
    near(t, safe('familiesWithChildren').value, 187, 'families (analyst)');
    t.match(safe('highRiskRate'), { numerator: referrals, denominator: referrals, value: 1, percent: 100 }, 'the same records: the same noise');
    t.match(safe('people'), { value: referrals }, 'each referral its own person: the same keys, the same published count');
    t.match(safe('duplicateReferrals'), { value: 0, status: 'ok' }, 'zeros stay zero');

    const range = await fetchIndicators(`service=${BARNET_MARAC.id}&from=2022-23-Q1&to=2022-23-Q2`);
    t.equal(range.body.period.period, '2022-23-Q1/2022-23-Q2');
    t.equal(range.get('referrals').value, 210);
  });

  await t.test('aggregates reconcile with the same published figures', async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/aggregates?groupBy=period,repeatReferral&period=2022-23&service=${BARNET_MARAC.id}`,
      headers: analyst,
    });
    const body = res.json();
    const byPeriod = new Map(body.totals.byDimension.period.map((c: { key: { period: string }; value: number }) => [c.key.period, c.value]));
    // The same records are the same cell in both responses: the same noise, the same published figure.
    const indicators = await Promise.all(barnetMaracQuarters.map((q) => fetchIndicators(`service=${BARNET_MARAC.id}&period=${q.period}`, analyst)));
    t.same(
      barnetMaracQuarters.map((q) => byPeriod.get(q.period)),
      indicators.map(({ get }) => get('referrals').value),
    );
    barnetMaracQuarters.forEach((q, i) => near(t, byPeriod.get(q.period) as number, [87, 123, 122, 145][i]!, q.period));
    t.equal(body.totals.overall.value, (await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`, analyst)).get('referrals').value);
    near(t, body.totals.overall.value, 477, 'the year');
    const repeats = body.cells.filter((c: { key: { repeatReferral: string } }) => c.key.repeatReferral === 'yes').map((c: { value: number }) => c.value);
    t.same(
      repeats,
      indicators.map(({ get }) => get('repeatReferrals').value),
    );
  });

  await t.test('every indicator is there, with its unit; children are victims, never witnesses', async (t) => {
    const { body, get } = await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`);
    const ids = body.indicators.map((i: Indicator) => i.id);
    const expected = [
      'referrals',
      'people',
      'repeatReferrals',
      'repeatReferralRate',
      'repeatReferralsLinked',
      'repeatReferralRateLinked',
      'childrenInHousehold',
      'familiesWithChildren',
      'highRiskRate',
      'minoritisedEthnicityRate',
      'lgbtRate',
      'disabilityRate',
      'maleVictimRate',
      'vawgShare',
      'residentShare',
      'interpreterRate',
      'otherReferralSourceShare',
      'duplicateReferrals',
      'referralsPer1000Population',
      'casesPer10000AdultFemales',
      'victimsAged16To17',
      'perpetratorsAged17OrUnder',
      // Dataset 1.1 (contract 1.1 section 4; their figures: indicators-1-1.test.ts).
      'acceptedReferrals',
      'duplicateReferralsReported',
      'inappropriateReferrals',
      'closures',
      'abuseReducedRate',
      'riskReducedRate',
      'feelsSaferRate',
      'qualityOfLifeImprovedRate',
      'childrenSaferRate',
      'relationshipEndedRate',
      'openCasesAtPeriodEnd',
      'sanctuaryReferrals',
      'propertiesSecured',
      'propertiesSecuredRate',
      'homelessnessApproaches',
      'temporaryAccommodationRate',
      'householdsMoved',
      'refugeResidents',
      'refugeChildren',
      'refugeAdmissions',
      'refugeDepartures',
      'courtCasesFinalised',
      'convictionRate',
      'earlyGuiltyPleaRate',
      'preSentenceReportRate',
      'supportedAtCourt',
      'childProtectionCases',
      'childInNeedCases',
      'adultSafeguardingConcerns',
      'programmeReferrals',
      'programmeCompleted',
      'programmeContactedRate',
      'programmeAssessedRate',
      'programmeSuitableRate',
      'programmeStartedRate',
      'programmeMidwayRate',
      'programmeCompletedRate',
      'onwardReferralsNoServiceAvailable',
      ...victimFields.filter((f) => f.personAnswers).map((f) => `notKnownShare.${f.name}`),
    ];
    t.same([...ids].sort(), [...expected].sort(), 'the indicator set');
    t.equal(new Set(ids).size, ids.length, 'ids are unique');
    t.notOk(ids.includes('referralSourceOtherShare'), 'the other-source share appears once');
    t.equal(get('childrenInHousehold').unit, 'children');
    t.match(get('childrenInHousehold').label, /victims .*in their own right/);
    t.notMatch(JSON.stringify(body), /witness/i);
    t.equal(get('perpetratorsAged17OrUnder').unit, 'perpetrators');
    t.equal(get('people').unit, 'people');
    t.equal(get('duplicateReferrals').unit, 'referrals');
    t.match(get('casesPer10000AdultFemales').label, /not annualised/);
    for (const indicator of body.indicators as Indicator[]) {
      if (indicator.unit === 'rate') t.ok('percent' in indicator, `${indicator.id} has a percent`);
      else t.notOk('percent' in indicator, `${indicator.id} has no percent`);
    }
  });

  await t.test('rates per population, once the area population is known', async (t) => {
    let { get } = await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`);
    t.match(get('referralsPer1000Population'), { value: null, status: 'not_available' }, 'no population yet');
    t.match(get('casesPer10000AdultFemales'), { value: null, status: 'not_available' });

    const put = await app.inject({
      method: 'PUT',
      url: `/v1/areas/${BARNET_MARAC.area}`,
      headers: admin,
      payload: {
        name: 'Barnet',
        population: [
          { year: 2021, total: 389_344, adultFemale: 160_000 },
          { year: 2023, total: 400_000 },
        ],
      },
    });
    t.equal(put.statusCode, 201, put.body);

    ({ get } = await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`));
    t.match(get('referralsPer1000Population'), { numerator: 477, denominator: 389_344, status: 'ok', unit: 'per 1,000 population' });
    t.equal(get('referralsPer1000Population').value, (477 * 1000) / 389_344, 'no 2022 figure: the latest year before, 2021');
    t.match(get('referralsPer1000Population').definition, /E09000003: 2021/);
    t.match(get('casesPer10000AdultFemales'), { numerator: 477, denominator: 160_000, value: (477 * 10_000) / 160_000, status: 'ok' });

    ({ get } = await fetchIndicators(`service=${BARNET_MARAC.id}&period=2022-23`, analyst));
    const published = get('referrals').value!;
    t.match(get('referralsPer1000Population'), { numerator: published, denominator: 389_344, status: 'ok' }, 'a population is not a count: exact');
    t.equal(get('referralsPer1000Population').value, (published * 1000) / 389_344, 'the published referrals per 1,000');

    ({ get } = await fetchIndicators(`area=${BARNET_MARAC.area}&period=2023-24-Q1`));
    t.match(get('referralsPer1000Population'), { numerator: 0, denominator: 400_000, value: 0 }, 'the year the period starts in');
    t.match(get('casesPer10000AdultFemales'), { value: null, status: 'not_available' }, 'no adult female figure for 2023');

    ({ get } = await fetchIndicators(`area=${BARNET_MARAC.area}&period=2019-20`));
    t.match(get('referralsPer1000Population'), { denominator: 389_344 }, 'before every figure: the earliest');
  });

  await t.test('admins see small figures exactly; analysts see them suppressed, with the rule', async (t) => {
    await registerService(app, 'tiny-vva', 'vva', 'E09000011');
    await submit('tiny-vva', '2022-23-Q1', makeRecords(3));

    const exact = await fetchIndicators('service=tiny-vva&period=2022-23-Q1');
    t.match(exact.get('referrals'), { value: 3, numerator: 3, status: 'ok' });
    t.match(exact.body.disclosure, { applied: false, threshold: 5 });

    const safe = await fetchIndicators('service=tiny-vva&period=2022-23-Q1', analyst);
    t.match(safe.get('referrals'), { value: null, numerator: null, status: 'suppressed' });
    t.match(safe.get('people'), { value: null, status: 'suppressed' });
    t.match(safe.get('vawgShare'), { value: null, percent: null, numerator: null, denominator: null, status: 'suppressed' });
    t.match(safe.get('repeatReferralRate'), { status: 'suppressed' });
    t.match(safe.body.disclosure, { applied: true, threshold: 5, rule: /below 5/, rates: /denominator − numerator/ });
    const small = (v: number | null) => v !== null && v >= 1 && v < 5;
    const counts = (i: Indicator) => (i.unit === 'rate' ? [i.numerator, i.denominator] : [i.numerator, i.denominator, i.value]);
    t.same(
      (safe.body.indicators as Indicator[]).filter((i) => counts(i).some(small)).map((i) => i.id),
      [],
      'no small count anywhere',
    );
  });

  await t.test('a rate with a small numerator or a small complement is suppressed, and so is the count of its numerator', async (t) => {
    await registerService(app, 'rates-idva', 'idva', 'E09000012');
    const repeats = (n: number, period: string) => makeRecords(20, period).map((r, i) => ({ ...r, repeatReferral: i < n }));
    await submit('rates-idva', '2022-23-Q1', repeats(2, '2022-23-Q1'));
    await submit('rates-idva', '2022-23-Q2', repeats(18, '2022-23-Q2'));
    await submit('rates-idva', '2022-23-Q3', repeats(10, '2022-23-Q3'));

    const small = await fetchIndicators('service=rates-idva&period=2022-23-Q1', analyst);
    t.match(small.get('referrals'), { status: 'ok' });
    near(t, small.get('referrals').value, 20, 'referrals');
    t.match(small.get('repeatReferralRate'), { status: 'suppressed', value: null });
    t.match(small.get('repeatReferrals'), { status: 'suppressed', value: null }, 'the numerator published alone would give it away');

    const complement = await fetchIndicators('service=rates-idva&period=2022-23-Q2', analyst);
    t.match(complement.get('repeatReferralRate'), { status: 'suppressed' }, '18 of 20: the 2 others would be revealed');
    t.match(complement.get('repeatReferrals'), { status: 'suppressed' }, 'referrals − repeat referrals would reveal them too');
    near(t, complement.get('referrals').value, 20, 'referrals');

    const fine = await fetchIndicators('service=rates-idva&period=2022-23-Q3', analyst);
    const rate = fine.get('repeatReferralRate');
    t.match(rate, { numerator: fine.get('repeatReferrals').value, denominator: fine.get('referrals').value, status: 'ok' });
    near(t, rate.numerator, 10, 'numerator');
    near(t, rate.denominator, 20, 'denominator');
    t.equal(rate.value, rate.numerator! / rate.denominator!, 'the published numerator over the published denominator');
    t.equal(rate.percent, roundHalfUp((rate.numerator! * 100) / rate.denominator!, 1));

    const adminView = await fetchIndicators('service=rates-idva&period=2022-23-Q2');
    t.match(adminView.get('repeatReferralRate'), { numerator: 18, denominator: 20, value: 0.9, percent: 90, status: 'ok' });
  });

  await t.test('unknown answers: a small number left out of a denominator, or a small prefer-not-to-say group, is protected', async (t) => {
    await registerService(app, 'unknowns-isva', 'isva', 'E09000013');
    const ethnicities = (counts: Array<[string, number]>, period: string) =>
      counts.flatMap(([code, n]) => Array.from({ length: n }, () => code)).map((ethnicity, i) => withVictim(makeRecord(i, period), { ethnicity }));
    await submit(
      'unknowns-isva',
      '2022-23-Q1',
      ethnicities(
        [
          ['white_british', 8],
          ['black_african', 10],
          ['not_known', 2],
        ],
        '2022-23-Q1',
      ),
    );
    await submit(
      'unknowns-isva',
      '2022-23-Q2',
      ethnicities(
        [
          ['white_british', 10],
          ['asian_indian', 12],
          ['not_known', 6],
          ['prefer_not_to_say', 2],
        ],
        '2022-23-Q2',
      ),
    );

    const exact = await fetchIndicators('service=unknowns-isva&period=2022-23-Q1');
    t.match(exact.get('minoritisedEthnicityRate'), { numerator: 10, denominator: 18, status: 'ok' });
    t.match(exact.get('notKnownShare.ethnicity'), { numerator: 2, denominator: 20, value: 0.1, percent: 10 });

    let safe = await fetchIndicators('service=unknowns-isva&period=2022-23-Q1', analyst);
    t.match(safe.get('minoritisedEthnicityRate'), { status: 'suppressed' }, '20 referrals, 18 known: the 2 unknown would be revealed');
    t.match(safe.get('notKnownShare.ethnicity'), { status: 'suppressed' });

    safe = await fetchIndicators('service=unknowns-isva&period=2022-23-Q2', analyst);
    t.match(safe.get('minoritisedEthnicityRate'), { status: 'ok' });
    near(t, safe.get('minoritisedEthnicityRate').numerator, 12, 'minoritised');
    near(t, safe.get('minoritisedEthnicityRate').denominator, 22, 'ethnicity known');
    t.match(safe.get('notKnownShare.ethnicity'), { status: 'suppressed' }, '30 − 22 known − 6 not known would reveal 2 preferring not to say');
  });

  await t.test('people are counted once across services by linkage key; duplicates are referrals minus people', async (t) => {
    await registerService(app, 'link-idva', 'idva', 'E09000014');
    await registerService(app, 'link-isva', 'isva', 'E09000014');
    // Q1: 6 of link-isva's 10 people were referred to link-idva too.
    await submit(
      'link-idva',
      '2022-23-Q1',
      makeRecords(10).map((r, i) => linked(r, i)),
    );
    await submit(
      'link-isva',
      '2022-23-Q1',
      makeRecords(10).map((r, i) => linked(r, i < 6 ? i : null)),
    );
    // Q2: only 2 shared.
    await submit(
      'link-idva',
      '2022-23-Q2',
      makeRecords(10, '2022-23-Q2').map((r, i) => linked(r, i)),
    );
    await submit(
      'link-isva',
      '2022-23-Q2',
      makeRecords(10, '2022-23-Q2').map((r, i) => linked(r, i < 2 ? i : 20 + i)),
    );
    // Q3: one person referred eight times to one service, answering the same way each time (with
    // eight different ethnicities, eight records sharing a key look like several people).
    const herself = { ethnicity: 'black_african', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' };
    await submit(
      'link-idva',
      '2022-23-Q3',
      makeRecords(8, '2022-23-Q3').map((r) => linked(withVictim(r, herself), 30)),
    );

    const { get } = await fetchIndicators('area=E09000014&period=2022-23-Q1');
    t.match(get('referrals'), { value: 20 });
    t.match(get('people'), { value: 14, status: 'ok' });
    t.match(get('duplicateReferrals'), { value: 6, status: 'ok' });
    const safe = (await fetchIndicators('area=E09000014&period=2022-23-Q1', analyst)).get;
    near(t, safe('referrals').value, 20, 'referrals (analyst)');
    near(t, safe('people').value, 14, 'people (analyst)');
    near(t, safe('duplicateReferrals').value, 6, 'duplicates (analyst)');
    const one = await fetchIndicators('service=link-idva&period=2022-23-Q1');
    t.match(one.get('people'), { value: 10 }, 'within one service nobody is repeated');

    const q2 = await fetchIndicators('area=E09000014&period=2022-23-Q2');
    t.match(q2.get('people'), { value: 18 });
    t.match(q2.get('duplicateReferrals'), { value: 2 });
    const q2safe = await fetchIndicators('area=E09000014&period=2022-23-Q2', analyst);
    t.match(q2safe.get('duplicateReferrals'), { value: null, status: 'suppressed' });
    t.match(q2safe.get('people'), { value: null, status: 'suppressed' }, 'referrals − people would reveal the 2 duplicates');
    near(t, q2safe.get('referrals').value, 20, 'referrals');

    const q3 = await fetchIndicators('service=link-idva&period=2022-23-Q3');
    t.match(q3.get('people'), { value: 1 });
    t.match(q3.get('duplicateReferrals'), { value: 7 });
    const q3safe = await fetchIndicators('service=link-idva&period=2022-23-Q3', analyst);
    t.match(q3safe.get('people'), { status: 'suppressed' });
    t.match(q3safe.get('duplicateReferrals'), { status: 'suppressed' }, 'referrals − duplicates would reveal the 1 person');
    near(t, q3safe.get('referrals').value, 8, 'referrals');
  });

  await t.test('only the current version of a return counts', async (t) => {
    await registerService(app, 'resubmit-vva', 'vva', 'E09000015');
    await submit('resubmit-vva', '2022-23-Q1', makeRecords(12));
    t.equal((await fetchIndicators('service=resubmit-vva&period=2022-23-Q1')).get('referrals').value, 12);
    await submit('resubmit-vva', '2022-23-Q1', makeRecords(7));
    t.equal((await fetchIndicators('service=resubmit-vva&period=2022-23-Q1')).get('referrals').value, 7, 'version 2 replaces version 1');
  });

  await t.test('every definition, checked against the records', async (t) => {
    await registerService(app, 'defs-idva', 'idva', 'E09000016');
    const records = makeRecords(60).map((r, i) => {
      let record = r;
      if (i % 6 === 0) record = withVictim(record, { age: 16 + (i % 12 === 0 ? 0 : 1) });
      if (i % 5 === 1) {
        record = {
          ...record,
          perpetrators: [
            { relationshipToVictim: 'sibling', sex: 'male', age: 15 },
            { relationshipToVictim: 'acquaintance', sex: 'female', age: 17 },
            { relationshipToVictim: 'stranger', sex: 'male', age: 18 },
          ],
        };
      }
      if (i % 5 === 2) record = { ...record, perpetrators: [{ relationshipToVictim: 'not_known', sex: 'not_known', age: null }] };
      if (i % 7 === 5) record = withVictim(record, { ethnicity: i % 2 ? 'not_known' : 'prefer_not_to_say', disability: 'not_known', sex: 'not_known' });
      return record;
    });
    await submit('defs-idva', '2022-23-Q1', records);

    type V = Record<string, unknown>;
    const victims = records.map((r) => r.victim as V);
    const where = <T>(list: T[], test: (x: T) => boolean) => list.filter(test).length;
    const n = records.length;
    const expected: Record<string, [number, number | null]> = {
      referrals: [n, null],
      people: [n, null],
      repeatReferrals: [where(records, (r) => r.repeatReferral === true), null],
      childrenInHousehold: [records.reduce((s, r) => s + (r.childrenInHousehold as number), 0), null],
      familiesWithChildren: [where(records, (r) => (r.childrenInHousehold as number) > 0), null],
      highRiskRate: [where(records, (r) => r.riskLevel === 'high'), where(records, (r) => r.riskLevel !== 'not_assessed')],
      minoritisedEthnicityRate: [
        where(victims, (v) => isMinoritisedEthnicity(v.ethnicity as string) === true),
        where(victims, (v) => isMinoritisedEthnicity(v.ethnicity as string) !== null),
      ],
      lgbtRate: [
        where(victims, (v) => isLgbtPlus(v.sexualOrientation as string, v.genderIdentitySameAsSex as string) === true),
        where(victims, (v) => isLgbtPlus(v.sexualOrientation as string, v.genderIdentitySameAsSex as string) !== null),
      ],
      disabilityRate: [where(victims, (v) => v.disability === 'yes'), where(victims, (v) => v.disability === 'yes' || v.disability === 'no')],
      maleVictimRate: [where(victims, (v) => v.sex === 'male'), where(victims, (v) => v.sex === 'male' || v.sex === 'female')],
      vawgShare: [where(records, (r) => r.category === 'vawg'), n],
      residentShare: [
        where(victims, (v) => v.relationshipToArea === 'resident'),
        where(victims, (v) => !['not_known', 'prefer_not_to_say'].includes(v.relationshipToArea as string)),
      ],
      interpreterRate: [where(victims, (v) => v.interpreterRequired === true), where(victims, (v) => v.interpreterRequired !== null)],
      otherReferralSourceShare: [where(records, (r) => r.referralSource === 'other'), n],
      victimsAged16To17: [where(victims, (v) => v.age === 16 || v.age === 17), null],
      perpetratorsAged17OrUnder: [
        records.reduce((s, r) => s + (r.perpetrators as V[]).filter((p) => p.age !== null && (p.age as number) <= 17).length, 0),
        null,
      ],
      'notKnownShare.ethnicity': [where(victims, (v) => v.ethnicity === 'not_known'), n],
      'notKnownShare.sex': [where(victims, (v) => v.sex === 'not_known'), n],
      'notKnownShare.pregnancy': [where(victims, (v) => v.pregnancy === 'not_known'), n],
    };
    t.ok(expected.victimsAged16To17![0] > 0 && expected.perpetratorsAged17OrUnder![0] > 0, 'the fixture exercises the SafeLives counts');
    t.ok(expected['notKnownShare.ethnicity']![0] > 0, 'and the unknowns');

    const { get } = await fetchIndicators('service=defs-idva&period=2022-23-Q1');
    for (const [id, [numerator, denominator]] of Object.entries(expected)) {
      const indicator = get(id);
      t.equal(indicator.numerator, numerator, `${id} numerator`);
      t.equal(indicator.denominator, denominator, `${id} denominator`);
      t.equal(indicator.value, denominator === null ? numerator : denominator === 0 ? null : numerator / denominator, `${id} value`);
    }
  });

  await t.test('a rate with nothing to divide by is not available', async (t) => {
    const { get } = await fetchIndicators('service=tiny-vva&period=2021-22-Q1', analyst);
    t.match(get('referrals'), { value: 0, status: 'ok' }, 'zero is published');
    t.match(get('repeatReferralRate'), { numerator: 0, denominator: 0, value: null, percent: null, status: 'not_available' });
  });

  await t.test('bad requests, unknown services and access', async (t) => {
    const get = (query: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url: `/v1/indicators?${query}`, headers });
    for (const query of [
      'period=2022-24',
      'period=twenty',
      'period=2022-23&from=2022-23-Q1',
      '',
      'from=2022-23-Q3&to=2022-23-Q1',
      'period=2022-23&serviceType=spa',
    ]) {
      const res = await get(query);
      t.equal(res.statusCode, 400, `?${query}`);
      t.match(res.headers['content-type'], /application\/problem\+json/);
      t.ok(res.json().errors?.[0]?.parameter, `?${query} names the parameter`);
    }
    t.equal((await get('period=2022-23&service=nowhere')).statusCode, 404);
    t.equal((await get('period=2022-23', {})).statusCode, 401);
    const provider = await createKey(app, 'provider', [BARNET_MARAC.id]);
    t.equal((await get('period=2022-23', bearer(provider))).statusCode, 403);
  });
});
