/**
 * Dataset 1.1 reproduces the seed reports' published figures from record-level returns: the
 * returns of test/support/seed-returns-1-1.ts (how each is built, and the figures with their
 * sources, are documented there) are posted through the API and the indicators queried as an admin,
 * who sees exact figures (analysts' counts carry cell-key noise, contract 1.1 §6). Counts must be
 * the published counts; a rate must be its counts (published, or constructed where the report
 * prints only a percentage) and round half up to the printed whole percentage. Twice: with later
 * events (closures, departures, programme stages, properties secured) sent as updates in the
 * quarter they happen, and written on the records; the figures must not depend on which.
 */
import t from 'tap';
import type { Test } from 'tap';
import { roundHalfUp } from '../../src/lib/round.js';
import {
  ANGELOU,
  ANGELOU_CHANGES_2016_17,
  RISE_PUBLISHED_COMPLETIONS,
  barnetHousingBorough2022,
  riseCompletionsWithPublishedRates,
  seedFigureSets,
  seedReturns,
  type ExpectedQuery,
  type LaterEvents,
} from '../support/seed-returns-1-1.js';
import { admin, buildTestApp, registerService } from '../helper.js';

interface Indicator {
  id: string;
  numerator: number | null;
  denominator: number | null;
  value: number | null;
  status: string;
}

/** The whole percentage a report prints for a fraction, rounded half up. */
const wholePercent = (fraction: number) => roundHalfUp(fraction * 100, 0);

const MODES: ReadonlyArray<[LaterEvents, string]> = [
  ['updates', 'later events sent as updates in their own quarter'],
  ['records', 'later events written on the records'],
];

for (const [laterEvents, how] of MODES)
  t.test(`dataset 1.1 reproduces the seeds’ published figures (${how})`, async (t) => {
    const app = await buildTestApp(t);

    const indicators = async (query: string): Promise<Map<string, Indicator>> => {
      const res = await app.inject({ method: 'GET', url: `/v1/indicators?${query}`, headers: admin });
      if (res.statusCode !== 200) throw new Error(`GET /v1/indicators?${query}: ${res.statusCode} ${res.body}`);
      return new Map(res.json().indicators.map((i: Indicator) => [i.id, i]));
    };

    /** Asserts every figure of one query; an indicator the API does not have fails, naming it. */
    const reconcile = async (t: Test, expected: ExpectedQuery) => {
      const byId = await indicators(expected.query);
      for (const count of expected.counts) {
        const indicator = byId.get(count.indicator);
        t.ok(indicator, `${expected.query}: the API has ${count.indicator}`);
        t.equal(indicator?.value, count.value, `${count.indicator} = ${count.value}: ${count.source}`);
      }
      for (const rate of expected.rates) {
        const indicator = byId.get(rate.indicator);
        t.ok(indicator, `${expected.query}: the API has ${rate.indicator}`);
        if (!indicator) continue;
        t.match(
          indicator,
          { numerator: rate.numerator, denominator: rate.denominator, status: 'ok' },
          `${rate.indicator} = ${rate.numerator} ÷ ${rate.denominator}`,
        );
        t.equal(indicator.value, rate.numerator / rate.denominator, `${rate.indicator}: the fraction of its counts`);
        if (rate.percent !== null && indicator.value !== null)
          t.equal(wholePercent(indicator.value), rate.percent, `${rate.indicator} rounds to the printed ${rate.percent}%: ${rate.source}`);
      }
    };

    const sets = seedFigureSets();
    for (const set of sets) {
      for (const service of set.services) await registerService(app, service.id, service.serviceType, service.area);
      const returns = seedReturns(set.cases, laterEvents);
      if (laterEvents === 'updates' && set.cases.some((c) => c.events.length > 0))
        t.ok(
          returns.some((r) => r.updates?.length),
          `${set.name}: some events are updates`,
        );
      for (const ret of returns) {
        const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: ret });
        if (res.statusCode !== 201) throw new Error(`${set.name}: posting ${ret.service} ${ret.period}: ${res.statusCode} ${res.body}`);
        // Each module is usual for its service type: the records are what such a service would send.
        t.same(res.json().warnings ?? [], [], `${set.name}: ${ret.service} ${ret.period} accepted without warnings`);
      }
    }

    for (const set of sets) {
      await t.test(`${set.name} ${set.source}`, async (t) => {
        for (const expected of set.expected) await reconcile(t, expected);
      });
    }

    await t.test('Barnet’s housing figures count only homelessness approaches, beside the Sanctuary Scheme’s housing modules [003 §3.2.2.6]', async (t) => {
      await reconcile(t, barnetHousingBorough2022());
    });

    await t.test('tri-borough outcomes: the changes from 2015-16 that [000 §2.2] prints beside 2016-17', async (t) => {
      const [before, after] = await Promise.all([indicators(`service=${ANGELOU.id}&period=2015-16`), indicators(`service=${ANGELOU.id}&period=2016-17`)]);
      for (const change of ANGELOU_CHANGES_2016_17) {
        const was = before.get(change.indicator)?.value;
        const now = after.get(change.indicator)?.value;
        t.ok(typeof was === 'number' && typeof now === 'number', `${change.indicator} in both years`);
        if (typeof was === 'number' && typeof now === 'number')
          t.equal(wholePercent(now) - wholePercent(was), change.points, `${change.indicator} changed ${change.points} points: ${change.source}`);
      }
    });

    await t.test('tri-borough outcomes: a closure counts in the year it happens, whatever the basis', async (t) => {
      for (const year of ['2016-17', '2019-20']) {
        const [byDefault, byClosure] = await Promise.all([
          indicators(`service=${ANGELOU.id}&period=${year}`),
          indicators(`service=${ANGELOU.id}&period=${year}&basis=closure`),
        ]);
        for (const id of ['closures', 'abuseReducedRate', 'riskReducedRate', 'qualityOfLifeImprovedRate', 'feelsSaferRate', 'childrenSaferRate'])
          t.same(byClosure.get(id), byDefault.get(id), `${year} ${id}: the same with basis=closure`);
      }
    });
  });

t.test('the RISE funnel: its printed 19 completions cannot hold with its printed rates [003 §3.2.3.6]', async (t) => {
  t.same(riseCompletionsWithPublishedRates(RISE_PUBLISHED_COMPLETIONS), [], 'no whole counts give 19 completions with 100%, 83% and 91%');
  t.match(riseCompletionsWithPublishedRates(25), [{ suitable: 33, started: 30, midway: 25 }], 'the construction’s 25 completions do');
});
