import t from 'tap';
import { findRecoverableValues } from '../../src/services/analytics/disclosure.js';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import { makeRecord, makeRecords } from '../support/records.js';

type Cell = { key: Record<string, string>; value: number | null; status: string; populationShare?: number | null; representation?: number | null };

function withSlk(record: Record<string, unknown>, slk: string) {
  return { ...record, victim: { ...(record.victim as object), linkage: { slk581: slk } } };
}

t.test('aggregates', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva', 'E09000001');
  await registerService(app, 'col-idva', 'idva', 'E09000001');
  await registerService(app, 'hack-idva', 'idva', 'E09000012');
  const analyst = await createKey(app, 'analyst');
  const submit = async (service: string, period: string, records: unknown[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  const get = async (query: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url: `/v1/aggregates?${query}`, headers });

  const vva = makeRecords(60, '2022-23-Q1');
  await submit('col-vva', '2022-23-Q1', vva);
  await submit('col-idva', '2022-23-Q1', makeRecords(3, '2022-23-Q1'));
  await submit('col-vva', '2022-23-Q2', makeRecords(25, '2022-23-Q2'));

  await t.test('a full table with zeros, totals and the unit', async (t) => {
    const res = await get('measure=referrals&groupBy=ethnicityGroup,period&period=2022-23');
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.unit, 'referrals (records)');
    t.same(body.period.quarters, ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4']);
    t.equal(body.cells.length, 7 * 4, 'every ethnic group × every quarter, zeros included');
    t.equal(body.totals.overall.value, 88);
    const q3 = body.cells.filter((c: Cell) => c.key.period === '2022-23-Q3');
    t.ok(
      q3.every((c: Cell) => c.value === 0 && c.status === 'ok'),
      'quarters with no returns are zeros, not missing',
    );
    const q1 = body.totals.byDimension.period.find((c: Cell) => c.key.period === '2022-23-Q1');
    t.equal(q1.value, 63);
    const expectedWhite = [...vva, ...makeRecords(3, '2022-23-Q1')].filter((r) =>
      String((r.victim as { ethnicity: string }).ethnicity).startsWith('white'),
    ).length;
    t.equal(body.cells.find((c: Cell) => c.key.period === '2022-23-Q1' && c.key.ethnicityGroup === 'white').value, expectedWhite, 'counted from the records');
    t.equal(body.disclosure.applied, false, 'admins see exact figures');
  });

  await t.test('multi-valued dimensions count a record once per value and say so', async (t) => {
    const records = [
      makeRecord(1, '2022-23-Q3', { vulnerabilities: undefined }),
      {
        ...makeRecord(2, '2022-23-Q3'),
        victim: { ...(makeRecord(2).victim as object), vulnerabilities: ['mental_health', 'substance_misuse', 'learning_disability'] },
      },
      { ...makeRecord(3, '2022-23-Q3'), victim: { ...(makeRecord(3).victim as object), vulnerabilities: [] } },
    ].map((r) => JSON.parse(JSON.stringify(r)));
    await submit('hack-idva', '2022-23-Q3', records);
    const res = await get('groupBy=vulnerability&period=2022-23-Q3&service=hack-idva');
    const body = res.json();
    t.same(body.multiValued, ['vulnerability']);
    const value = (code: string) => body.cells.find((c: Cell) => c.key.vulnerability === code).value;
    t.equal(value('mental_health'), 1 + (records[0].victim.vulnerabilities.includes('mental_health') ? 1 : 0));
    t.equal(value('learning_disability'), 1);
    t.equal(value('none'), records.filter((r) => r.victim.vulnerabilities.length === 0).length);
    t.equal(body.totals.overall.value, 3, 'the total counts records once');

    const perps = await get('groupBy=perpetratorSex,relationshipToVictim&period=2022-23-Q1&service=col-vva');
    t.equal(perps.statusCode, 200);
    const withNone = perps.json().cells.find((c: Cell) => c.key.perpetratorSex === 'none' && c.key.relationshipToVictim === 'none');
    t.equal(withNone.value, vva.filter((r) => (r.perpetrators as unknown[]).length === 0).length, 'referrals with no perpetrator recorded');
  });

  await t.test('people are counted once across services; only current versions count', async (t) => {
    await registerService(app, 'col-marac', 'marac', 'E09000001');
    const a = withSlk(makeRecord(1, '2023-24-Q1'), 'MIHAR010119802');
    const b = withSlk(makeRecord(2, '2023-24-Q1'), 'ONE2J150319752');
    await submit('col-vva', '2023-24-Q1', [a, b, makeRecord(3, '2023-24-Q1')]);
    await submit('col-idva', '2023-24-Q1', [withSlk(makeRecord(4, '2023-24-Q1'), 'MIHAR010119802')]);
    await submit('col-marac', '2023-24-Q1', [withSlk(makeRecord(5, '2023-24-Q1'), 'MIHAR010119802'), withSlk(makeRecord(6, '2023-24-Q1'), 'ONE2J150319752')]);
    const referrals = (await get('measure=referrals&period=2023-24-Q1')).json();
    const people = (await get('measure=people&period=2023-24-Q1')).json();
    t.equal(referrals.totals.overall.value, 6);
    t.equal(people.totals.overall.value, 3, 'the woman referred by the VVA to the IDVA and MARAC is one person');
    t.match(people.unit, /people/);

    await submit('col-marac', '2023-24-Q1', [withSlk(makeRecord(5, '2023-24-Q1'), 'MIHAR010119802')]);
    const after = (await get('measure=referrals&groupBy=service&period=2023-24-Q1')).json();
    t.equal(after.cells.find((c: Cell) => c.key.service === 'col-marac').value, 1, 'version 2 replaced version 1');
  });

  await t.test('analysts get suppressed small numbers that cannot be recovered; admins the exact view', async (t) => {
    const query = 'groupBy=service,riskLevel&period=2022-23-Q1&area=E09000001';
    const exact = (await get(query)).json();
    const res = await get(query, bearer(analyst));
    t.equal(res.statusCode, 200);
    const safe = res.json();
    t.equal(safe.disclosure.applied, true);
    t.match(safe.disclosure.rule, /5/);
    const small = exact.cells.filter((c: Cell) => c.value! >= 1 && c.value! < 5);
    t.ok(small.length > 0, 'the query has small cells');
    const published = [...safe.cells, ...Object.values<Cell[]>(safe.totals.byDimension).flat(), safe.totals.overall];
    t.notOk(
      published.some((c: Cell) => c.value !== null && c.value >= 1 && c.value < 5),
      'no value from 1 to 4 is published',
    );
    for (const cell of small) t.equal(safe.cells.find((c: Cell) => JSON.stringify(c.key) === JSON.stringify(cell.key)).status, 'suppressed');

    // Subtraction attack: for every suppressed cell, every line and total holding it has another unknown.
    const lines = ['service', 'riskLevel'].flatMap((dim) =>
      safe.totals.byDimension[dim].map((m: Cell) => ({ total: m, members: safe.cells.filter((c: Cell) => c.key[dim] === m.key[dim]) })),
    );
    for (const { total, members } of lines) {
      const hidden = members.filter((c: Cell) => c.status === 'suppressed');
      if (total.status === 'ok' && hidden.length > 0) t.ok(hidden.length >= 2, `line ${JSON.stringify(total.key)} hides at least two cells`);
    }
    // The exact audit: no suppressed value is determined by the published linear system.
    const input = {
      dimensions: ['service', 'riskLevel'],
      cells: exact.cells.map((c: Cell) => ({ key: c.key, value: c.value! })),
      margins: Object.fromEntries(Object.entries<Cell[]>(exact.totals.byDimension).map(([d, l]) => [d, l.map((c) => ({ key: c.key, value: c.value! }))])),
      total: exact.totals.overall.value,
      threshold: 5,
    };
    const result = { cells: safe.cells, margins: safe.totals.byDimension, total: { key: {}, ...safe.totals.overall }, primary: 0, secondary: 0 };
    t.same(findRecoverableValues(input, result), [], 'nothing recoverable');
    // Published values are the exact ones with the cell key's noise: within ±2, zeros kept, never pushed below 5.
    const exactValues = exact.cells.filter((c: Cell) => safe.cells.find((s: Cell) => JSON.stringify(s.key) === JSON.stringify(c.key)).status === 'ok');
    const safeValues = safe.cells.filter((c: Cell) => c.status === 'ok');
    t.equal(exactValues.length, safeValues.length);
    t.ok(
      exactValues.every((c: Cell, i: number) => {
        const published = safeValues[i].value;
        return c.value === 0 ? published === 0 : Math.abs(published - c.value!) <= 2 && published >= 5;
      }),
      'published values are the exact ones with small noise',
    );
  });

  await t.test('CSV output', async (t) => {
    const res = await get('groupBy=riskLevel&period=2022-23-Q1&format=csv');
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /text\/csv/);
    t.match(res.headers['content-disposition'], /^attachment; filename="vawg-aggregates-referrals-2022-23-Q1\.csv"$/);
    t.ok(res.body.startsWith('\ufeff'), 'a byte order mark for spreadsheets');
    const lines = res.body.slice(1).trim().split('\r\n');
    t.equal(lines[0], 'rowType,riskLevel,riskLevelLabel,referrals,status,suppression');
    t.equal(lines.length, 1 + codeLists.riskLevel.codes.length + 1, 'a row per risk level, then the grand total');
    const json = (await get('groupBy=riskLevel&period=2022-23-Q1')).json();
    t.equal(lines.at(-1), `grand_total,total,Total,${json.totals.overall.value},ok,`);
    const high = codeLists.riskLevel.codes.find((c) => c.code === 'high')!;
    t.equal(
      lines.find((l) => l.startsWith('cell,high,')),
      `cell,high,${high.label},${json.cells.find((c: Cell) => c.key.riskLevel === 'high').value},ok,`,
    );
    const viaAccept = await app.inject({ method: 'GET', url: '/v1/aggregates?groupBy=riskLevel&period=2022-23-Q1', headers: { ...admin, accept: 'text/csv' } });
    t.equal(viaAccept.body, res.body);
  });

  await t.test('population comparison: share of referrals against share of population', async (t) => {
    await app.inject({
      method: 'PUT',
      url: '/v1/areas/E09000001',
      headers: admin,
      payload: { name: 'City of London', population: [{ year: 2022, total: 8600, adultFemale: 3500, byGroup: { sex: { female: 4300, male: 4300 } } }] },
    });
    const body = (await get('groupBy=sex&period=2022-23-Q1&area=E09000001')).json();
    t.same(body.population, { areas: ['E09000001'], year: 2022, dimension: 'sex' });
    const female = body.cells.find((c: Cell) => c.key.sex === 'female');
    t.equal(female.populationShare, 0.5);
    t.ok(Math.abs(female.representation - female.value / body.totals.overall.value / 0.5) < 1e-9);
    t.equal(body.cells.find((c: Cell) => c.key.sex === 'not_known').populationShare, null);
  });

  await t.test('bad queries', async (t) => {
    const unknown = await get('groupBy=sex,nationality&period=2022-23');
    t.equal(unknown.statusCode, 400);
    t.match(unknown.json().detail, /groupBy entry 2 is not a dimension/, 'the unknown entry is named by position');
    t.notMatch(unknown.body, 'nationality', 'and what was sent is not quoted back');
    t.equal((await get('groupBy=sex,sex&period=2022-23')).statusCode, 400);
    t.equal((await get('groupBy=sex')).statusCode, 400, 'a period is required');
    t.equal((await get('period=2022-23&from=2022-23-Q1')).statusCode, 400);
    t.equal((await get('period=2022-23-Q5')).statusCode, 400);
    t.equal((await get('period=2022-23&service=nope')).statusCode, 404);
    t.equal((await get('groupBy=ethnicity,referralSource,vulnerability,supportNeed&period=2022-23')).statusCode, 400, 'too many cells');
    const provider = await createKey(app, 'provider', ['col-vva']);
    t.equal((await get('period=2022-23', bearer(provider))).statusCode, 403, 'providers do not read aggregates');
    t.equal((await get('period=2022-23', {})).statusCode, 401);
  });

  await t.test('every dimension answers', async (t) => {
    const { dimensionIds } = await import('../../src/services/analytics/dimensions.js');
    for (const id of dimensionIds) {
      const res = await get(`groupBy=${id}&period=2022-23-Q1&ageBands=marac`);
      t.equal(res.statusCode, 200, `${id}: ${res.statusCode === 200 ? '' : res.body}`);
      t.ok(res.json().cells.length > 0);
    }
  });
});
