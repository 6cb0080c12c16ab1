/**
 * Totals taken across a multi-valued dimension count each record once, however many values it
 * has: checked against the records themselves and against the one-dimension tables, for list
 * dimensions, onward referrals and their combinations (services/analytics/aggregates.ts).
 */
import t from 'tap';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { admin, buildTestApp, registerService } from '../helper.js';
import { makeRecord } from '../support/records.js';

type Json = Record<string, unknown>;
interface Cell {
  key: Record<string, string>;
  value: number;
}

const vawgTypes = codeLists.vawgType.codes.map((c) => c.code);
const serviceTypes = codeLists.serviceType.codes.map((c) => c.code);

/** Zero to three values a record, so margins across a list differ from sums of its cells. */
function varied(i: number): Json {
  const record = makeRecord(i);
  const lists: Json = { onwardReferrals: serviceTypes.slice(0, i % 3).map((serviceType) => ({ serviceType })) };
  if (record.category === 'vawg') lists.vawgTypes = vawgTypes.slice(i % 4, (i % 4) + 1 + (i % 3));
  return { ...record, ...lists };
}

const RECORDS = Array.from({ length: 120 }, (_, i) => varied(i));

t.test('margins and totals across multi-valued dimensions', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'margins-vva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'margins-vva', period: '2022-23-Q1', records: RECORDS },
  });
  t.equal(res.statusCode, 201, res.body);

  const table = async (groupBy: string, measure = 'referrals') => {
    const r = await app.inject({ url: `/v1/aggregates?period=2022-23&measure=${measure}${groupBy ? `&groupBy=${groupBy}` : ''}`, headers: admin });
    t.equal(r.statusCode, 200, groupBy);
    return r.json() as { cells: Cell[]; totals: { overall: { value: number }; byDimension: Record<string, Cell[]> } };
  };
  const byKey = (cells: Cell[], dim: string) => Object.fromEntries(cells.filter((c) => c.value > 0).map((c) => [c.key[dim], c.value]));

  await t.test('vawgType × riskLevel, counted from the records', async (t) => {
    const body = await table('vawgType,riskLevel');
    const typesOf = (r: Json) => ((r.vawgTypes as string[] | undefined)?.length ? (r.vawgTypes as string[]) : ['none']);
    const expectedCells: Record<string, number> = {};
    const byRisk: Record<string, number> = {};
    const byType: Record<string, number> = {};
    for (const r of RECORDS) {
      byRisk[r.riskLevel as string] = (byRisk[r.riskLevel as string] ?? 0) + 1;
      for (const type of typesOf(r)) {
        expectedCells[`${type}|${r.riskLevel}`] = (expectedCells[`${type}|${r.riskLevel}`] ?? 0) + 1;
        byType[type] = (byType[type] ?? 0) + 1;
      }
    }
    t.same(Object.fromEntries(body.cells.filter((c) => c.value > 0).map((c) => [`${c.key.vawgType}|${c.key.riskLevel}`, c.value])), expectedCells);
    t.same(byKey(body.totals.byDimension.riskLevel!, 'riskLevel'), byRisk, 'a record with three VAWG types counts once for its risk level');
    t.same(byKey(body.totals.byDimension.vawgType!, 'vawgType'), byType);
    t.equal(body.totals.overall.value, RECORDS.length, 'the total counts records');
  });

  for (const groupBy of [
    'vawgType,supportNeed,sex',
    'vawgType,vulnerability',
    'onwardServiceType,riskLevel',
    'onwardServiceType,vawgType',
    'vawgType',
    'onwardServiceType',
  ]) {
    await t.test(`${groupBy}: each margin is that dimension's own table`, async (t) => {
      const body = await table(groupBy);
      for (const dim of groupBy.split(',')) {
        if (!groupBy.includes(',')) break;
        const alone = await table(dim);
        t.same(byKey(body.totals.byDimension[dim]!, dim), byKey(alone.cells, dim), dim);
      }
      t.equal(body.totals.overall.value, RECORDS.length, 'the total counts records');
    });
  }

  for (const measure of ['people', 'perpetrators'])
    for (const groupBy of ['vawgType,riskLevel', 'perpetratorSex,vawgType,sex', 'service']) {
      await t.test(`${measure} by ${groupBy}: margins and the total are those dimensions' own tables`, async (t) => {
        const body = await table(groupBy, measure);
        if (groupBy.includes(','))
          for (const dim of groupBy.split(',')) t.same(byKey(body.totals.byDimension[dim]!, dim), byKey((await table(dim, measure)).cells, dim), dim);
        t.equal(body.totals.overall.value, (await table('', measure)).totals.overall.value, 'the total');
      });
    }
});
