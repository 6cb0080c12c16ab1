/**
 * `GET /v1/counts` (contract 1.1 §5, §8): the seeds' count tables reproduced through the API (the
 * review's helpline table, seed 001's police table, seed 003's year-on-year change), and the rules:
 * only the current version counts, analysts get suppression and cell key noise while admins see
 * exact figures, `compareWith=previous_year`, CSV, and 400s naming the parameter.
 */
import t from 'tap';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import {
  barnetPolice,
  helplineTable,
  postCountReturn,
  putArea,
  seedBarnetPolice,
  seedHelplineTable,
  seedTriBoroughPolice,
  spreadOverQuarters,
  triBoroughPolice,
} from '../support/seed-counts.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const oneDecimal = (x: number) => Math.round(x * 10) / 10;
/** The helpline table's calls, summed from the seed's rows (1,267). */
const ALL_CALLS = helplineTable.rows.reduce((sum, row) => sum + row.calls, 0);
const populationOf = (area: string) => helplineTable.rows.find((row) => row.area === area)!.population;
/** The City's 2021 figure, registered below beside the 2018 one. */
const CITY_2021 = 8_600;
const percent = (x: number) => Math.round(x * 1000) / 10;

t.test('GET /v1/counts', async (t) => {
  const app = await buildTestApp(t);
  const analyst = await createKey(app, 'analyst');
  const get = async (query: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url: `/v1/counts?${query}`, headers });
  const cellOf = (body: Json, key: Record<string, string>) => body.cells.find((c: Json) => Object.entries(key).every(([d, code]) => c.key[d] === code));

  await seedHelplineTable(app, admin);
  // A later population year is registered too: §8 picks the latest at or before 2020 (the start of 2020-21), 2018.
  await putArea(app, admin, 'E09000001', 'City of London', [
    { year: 2018, total: 7_700 },
    { year: 2021, total: CITY_2021 },
  ]);
  await seedTriBoroughPolice(app, admin);
  await seedBarnetPolice(app, admin);

  await t.test("seed 002: the review's helpline table, calls per 1,000 to one decimal place as published", async (t) => {
    const res = await get(`measure=helpline_calls&groupBy=area&period=${helplineTable.period}`);
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.cells.length, helplineTable.rows.length);
    for (const row of helplineTable.rows) {
      const cell = cellOf(body, { area: row.area });
      t.equal(cell.value, row.calls, `${row.name}: calls`);
      t.equal(cell.populationYear, 2018, `${row.name}: the 2018 population is used and stated`);
      t.equal(cell.population, row.population);
      t.equal(oneDecimal(cell.ratePer1000), row.publishedPer1000, `${row.name}: ${row.publishedPer1000} per 1,000`);
      t.ok(Math.abs(cell.ratePer1000 - (row.calls / row.population) * 1000) < 1e-9, `${row.name}: unrounded`);
    }
    t.equal(body.totals.overall.value, ALL_CALLS, 'the six areas together');
    t.equal(body.disclosure.applied, false, 'admins see exact figures');
  });

  await t.test('a row totalling several areas: the rate of their summed populations, for a year they share', async (t) => {
    const sixAreas = helplineTable.rows.reduce((sum, row) => sum + row.population, 0);
    const table = (await get(`measure=helpline_calls&groupBy=area&period=${helplineTable.period}`)).json();
    t.equal(table.totals.overall.population, sixAreas, 'the six populations summed');
    t.equal(table.totals.overall.populationYear, 2018);
    t.equal(table.totals.overall.ratePer1000, (ALL_CALLS / sixAreas) * 1000, 'the six areas together, per 1,000');
    const unGrouped = (await get(`measure=helpline_calls&period=${helplineTable.period}`)).json();
    t.equal(unGrouped.totals.overall.ratePer1000, (ALL_CALLS / sixAreas) * 1000, 'with no groupBy the same total has the same rate');
    const byPeriod = (await get(`measure=helpline_calls&groupBy=period&period=${helplineTable.period}`)).json();
    t.equal(byPeriod.cells[0].population, sixAreas, 'a cell grouped by period counts every area it sums');

    // The City has 2018 and 2021 figures, Camden only 2018: for 2024-25 the City alone is read against
    // 2021, the two together against 2018, the latest year both have.
    await registerService(app, 'rate-line', 'helpline', 'E09000001');
    await postCountReturn(app, admin, 'rate-line', '2024-25-Q1', [
      { measure: 'helpline_calls', area: 'E09000001', value: 43 },
      { measure: 'helpline_calls', area: 'E09000007', value: 200 },
    ]);
    const later = (await get('measure=helpline_calls&groupBy=area,period&period=2024-25-Q1&service=rate-line')).json();
    const city = cellOf(later, { area: 'E09000001' });
    t.same([city.populationYear, city.population, city.ratePer1000], [2021, CITY_2021, (43 / CITY_2021) * 1000], 'the City alone: its latest year');
    const quarterTotal = later.totals.byDimension.period[0];
    const cityAndCamden2018 = populationOf('E09000001') + populationOf('E09000007');
    t.same([quarterTotal.populationYear, quarterTotal.population], [2018, cityAndCamden2018], 'the City and Camden: the year both have');
    t.equal(quarterTotal.ratePer1000, ((43 + 200) / cityAndCamden2018) * 1000);
    t.equal(later.totals.byDimension.area.find((m: Json) => m.key.area === 'E09000001').populationYear, 2021, 'an area total is of its one area');

    // Hammersmith & Fulham and Kensington & Chelsea have no population registered: the boroughs' total has no rate.
    const police = (await get('measure=police_da_incidents&groupBy=area&period=2019-20&service=met-central-west')).json();
    t.type(cellOf(police, { area: 'E09000033' }).ratePer1000, 'number', 'Westminster has its rate');
    t.equal(cellOf(police, { area: 'E09000020' }).ratePer1000, undefined, 'RBKC has none');
    t.equal(police.totals.overall.ratePer1000, undefined, 'a partial denominator would overstate the rate: none is given');
    t.equal(police.totals.overall.population, undefined);
  });

  await t.test('seed 001: incidents, offences and sanction detections by borough, and the rates', async (t) => {
    for (const [measure, field] of [
      ['police_da_incidents', 'incidents'],
      ['police_da_offences', 'offences'],
      ['police_da_sanction_detections', 'sanctionDetections'],
    ] as const) {
      const res = await get(`measure=${measure}&groupBy=area&period=${triBoroughPolice.financialYear}&service=met-central-west`);
      t.equal(res.statusCode, 200, res.body);
      const body = res.json();
      for (const row of triBoroughPolice.rows) t.equal(cellOf(body, { area: row.area }).value, row[field], `${row.name}: ${field}`);
      const sum = triBoroughPolice.rows.reduce((s, row) => s + row[field], 0);
      t.equal(body.totals.overall.value, sum, `${field}: the total is the sum of the boroughs`);
      if (field === 'offences') t.not(sum, triBoroughPolice.publishedTotals.offences, 'the seed prints 5641 for offences: its boroughs add up to 5461');
      else t.equal(sum, triBoroughPolice.publishedTotals[field], `${field}: the seed's total agrees`);
    }
    const quarters = await get(`measure=police_da_offences&groupBy=area,period&period=2019-20&area=E09000033`);
    t.equal(quarters.json().cells.length, 4, 'one cell per quarter reported');
    t.equal(quarters.json().totals.byDimension.area[0].value, 2252, 'the quarters add up to the year');

    const sdr = (await get('measure=police_da_sanction_detection_rate&groupBy=area&period=2019-20&service=met-central-west')).json();
    t.same(sdr.derived, { numerator: 'police_da_sanction_detections', denominator: 'police_da_offences' });
    const conversion = (await get('measure=police_da_offence_conversion_rate&groupBy=area&period=2019-20&service=met-central-west')).json();
    for (const row of triBoroughPolice.rows) {
      const cell = cellOf(sdr, { area: row.area });
      t.equal(cell.numerator.value, row.sanctionDetections);
      t.equal(cell.denominator.value, row.offences);
      t.equal(cell.value, row.sanctionDetections / row.offences, `${row.name}: sanction detection rate`);
      t.equal(cell.ratePer1000, undefined, 'a proportion has no rate per 1,000');
      t.equal(cellOf(conversion, { area: row.area }).value, row.offences / row.incidents, `${row.name}: conversion rate`);
    }
    t.equal(percent(cellOf(sdr, { area: 'E09000020' }).value), 22.4, 'RBKC: 299 ÷ 1335');
    t.equal(sdr.totals.overall.value, 708 / 5461, 'the overall rate divides the totals');
  });

  await t.test('seed 003: the year-on-year change as published, and where the seed disagrees', async (t) => {
    const q = `groupBy=area&period=2022-23&area=${barnetPolice.area}&compareWith=previous_year`;
    const incidents = (await get(`measure=police_da_incidents&${q}`)).json();
    t.same(incidents.compareWith, { comparison: 'previous_year', quarters: ['2021-22-Q1', '2021-22-Q2', '2021-22-Q3', '2021-22-Q4'] });
    const ic = incidents.cells[0];
    t.equal(ic.value, 5048);
    t.equal(ic.previousValue, 5222);
    t.equal(ic.changeRate, (5048 - 5222) / 5222);
    t.equal(percent(ic.changeRate), -3.3, 'published "Decrease (3.5%)": the seed\'s arithmetic gives 3.3%');
    t.not(percent(ic.changeRate), barnetPolice.published.incidentsChangePercent);
    const oc = (await get(`measure=police_da_offences&${q}`)).json().cells[0];
    t.equal(oc.previousValue, 3243);
    t.equal(percent(oc.changeRate), -2.9, 'published "Decrease (3.0%)": the seed\'s arithmetic gives 2.9%');

    const conversion = (await get(`measure=police_da_offence_conversion_rate&${q}`)).json().cells[0];
    t.equal(Math.round(conversion.value * 100), barnetPolice.published.conversionPercent, 'conversion 62% as published');
    const sdr = (await get(`measure=police_da_sanction_detection_rate&${q}`)).json().cells[0];
    t.equal(percent(sdr.value), 14.2, '14.2% as published');
    t.equal(percent(sdr.previousValue), 11.0, 'the earlier rate: 11.0% as published');
    t.equal(sdr.changeRate, (447 / 3149 - 357 / 3243) / (357 / 3243), 'the change of the rate');

    const byQuarter = (
      await get(`measure=police_da_incidents&groupBy=period&from=2022-23-Q1&to=2022-23-Q2&area=${barnetPolice.area}&compareWith=previous_year`)
    ).json();
    t.same(
      byQuarter.cells.map((c: Json) => [c.key.period, c.value, c.previousValue]),
      [
        ['2022-23-Q1', spreadOverQuarters(5048)[0], spreadOverQuarters(5222)[0]],
        ['2022-23-Q2', spreadOverQuarters(5048)[1], spreadOverQuarters(5222)[1]],
      ],
      'each quarter beside the same quarter a year earlier',
    );

    const withoutEarlier = (await get(`measure=police_da_incidents&groupBy=area&period=2021-22&area=${barnetPolice.area}&compareWith=previous_year`)).json();
    t.equal(withoutEarlier.cells[0].previousValue, null, 'nothing reported a year earlier: null');
    t.equal(withoutEarlier.cells[0].changeRate, null);
  });

  await t.test('only the current version of a count return counts', async (t) => {
    await registerService(app, 'versioned-line', 'helpline', 'E09000012');
    const first = await postCountReturn(app, admin, 'versioned-line', '2023-24-Q1', [{ measure: 'helpline_calls', area: 'E09000012', value: 100 }]);
    const before = (await get('measure=helpline_calls&groupBy=area&period=2023-24-Q1&service=versioned-line')).json();
    t.equal(before.cells[0].value, 100);
    const second = await postCountReturn(app, admin, 'versioned-line', '2023-24-Q1', [
      { measure: 'helpline_calls', area: 'E09000012', value: 60 },
      { measure: 'helpline_calls', area: 'E09000007', value: 9 },
    ]);
    t.not(second.id, first.id);
    const after = (await get('measure=helpline_calls&groupBy=area&period=2023-24-Q1&service=versioned-line')).json();
    t.equal(cellOf(after, { area: 'E09000012' }).value, 60, 'the superseded 100 is not counted');
    t.equal(after.totals.overall.value, 69);
  });

  await t.test('analysts: small counts suppressed with a complement, the rest perturbed; admins exact', async (t) => {
    await registerService(app, 'small-line', 'helpline', 'E09000019');
    const truth: Record<string, number> = { E09000001: 3, E09000007: 40, E09000012: 52, E09000019: 61, E09000030: 75 };
    await postCountReturn(
      app,
      admin,
      'small-line',
      '2022-23-Q2',
      Object.entries(truth).map(([area, value]) => ({ measure: 'helpline_calls', area, value })),
    );
    const q = 'measure=helpline_calls&groupBy=area&period=2022-23-Q2&service=small-line';
    const exact = (await get(q)).json();
    for (const [area, value] of Object.entries(truth)) t.equal(cellOf(exact, { area }).value, value, `admin: ${area} exact`);

    const res = await get(q, bearer(analyst));
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.disclosure.applied, true);
    t.ok(body.disclosure.perturbation, 'the cell key method is described');
    const small = cellOf(body, { area: 'E09000001' });
    t.same([small.value, small.status, small.suppression], [null, 'suppressed', 'primary'], 'the 3 is suppressed');
    t.equal(small.ratePer1000, null, 'and so is its rate');
    const complements = body.cells.filter((c: Json) => c.suppression === 'complementary');
    t.ok(complements.length >= 1, 'a complement is suppressed so the 3 cannot be recovered from the total');
    let moved = 0;
    for (const cell of body.cells.filter((c: Json) => c.status === 'ok')) {
      const trueValue = truth[cell.key.area]!;
      t.ok(Math.abs(cell.value - trueValue) <= 2, `${cell.key.area}: within the noise`);
      if (cell.value !== trueValue) moved += 1;
      if (cell.ratePer1000 !== undefined) t.equal(cell.ratePer1000, (cell.value / cell.population) * 1000, 'the rate of the published count');
    }
    t.ok(body.totals.overall.value === null || Math.abs(body.totals.overall.value - 231) <= 2, 'the total is perturbed or suppressed');
    const again = (await get(q, bearer(analyst))).json();
    t.same(again.cells, body.cells, 'the same cells give the same published values every time');
    t.comment(`${moved} published cells moved by noise`);

    // Two dimensions: the 3 cannot be recovered from its row, its column or their totals.
    await postCountReturn(
      app,
      admin,
      'small-line',
      '2022-23-Q3',
      Object.entries(truth).map(([area, value]) => ({ measure: 'helpline_calls', area, value: value + 10 })),
    );
    const twoWay = (await get('measure=helpline_calls&groupBy=area,period&from=2022-23-Q2&to=2022-23-Q3&service=small-line', bearer(analyst))).json();
    const hidden = twoWay.cells.filter((c: Json) => c.status === 'suppressed');
    t.ok(
      hidden.some((c: Json) => c.key.area === 'E09000001' && c.key.period === '2022-23-Q2' && c.suppression === 'primary'),
      'the 3 is suppressed',
    );
    for (const dimension of ['area', 'period']) {
      const lines = new Map<string, number>();
      for (const c of hidden) lines.set(c.key[dimension], (lines.get(c.key[dimension]) ?? 0) + 1);
      const margin = (code: string) => twoWay.totals.byDimension[dimension].find((m: Json) => m.key[dimension] === code);
      for (const [code, n] of lines)
        t.ok(n >= 2 || margin(code).status === 'suppressed', `${dimension} ${code}: no lone suppressed cell beside a published total`);
    }
  });

  await t.test('analysts: a derived rate is read from the published numerator and denominator', async (t) => {
    const body = (await get('measure=police_da_sanction_detection_rate&groupBy=area&period=2019-20&service=met-central-west', bearer(analyst))).json();
    for (const cell of body.cells) {
      t.equal(cell.status, 'ok');
      t.equal(cell.value, cell.numerator.value / cell.denominator.value, `${cell.key.area}: published ÷ published`);
      const row = triBoroughPolice.rows.find((r) => r.area === cell.key.area)!;
      t.ok(Math.abs(cell.numerator.value - row.sanctionDetections) <= 2 && Math.abs(cell.denominator.value - row.offences) <= 2, 'each within the noise');
    }
  });

  await t.test('a breakdown of the catalogue', async (t) => {
    await registerService(app, 'sex-line', 'helpline', 'E09000030');
    await postCountReturn(app, admin, 'sex-line', '2022-23-Q3', [
      { measure: 'helpline_calls', area: 'E09000030', value: 90 },
      { measure: 'helpline_calls', area: 'E09000030', value: 70, breakdown: { sex: 'female' } },
      { measure: 'helpline_calls', area: 'E09000030', value: 15, breakdown: { sex: 'male' } },
    ]);
    const total = (await get('measure=helpline_calls&groupBy=area&period=2022-23-Q3&service=sex-line')).json();
    t.equal(total.cells[0].value, 90, 'without the breakdown, the total reported (not the breakdown cells as well)');
    const bySex = (await get('measure=helpline_calls&groupBy=sex&period=2022-23-Q3&service=sex-line')).json();
    t.same(
      bySex.cells.map((c: Json) => [c.key.sex, c.value]),
      [
        ['female', 70],
        ['male', 15],
      ],
    );
  });

  await t.test('CSV as for aggregates', async (t) => {
    const res = await get(`measure=helpline_calls&groupBy=area&period=${helplineTable.period}&service=london-helplines&format=csv`);
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/csv/);
    t.match(res.headers['content-disposition'], /attachment; filename="vawg-counts-helpline_calls-2020-21-Q3\.csv"/);
    const lines = res.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    t.equal(lines[0], 'rowType,area,areaLabel,helpline_calls,status,suppression,ratePer1000,populationYear,population');
    t.match(
      lines.find((l) => l.startsWith('cell,E09000001,')),
      /^cell,E09000001,City of London,44,ok,,5\.71428571428571\d*,2018,7700$/,
    );
    t.match(lines.at(-1), new RegExp(`^grand_total,total,Total,${ALL_CALLS},ok,`));
    const accept = await app.inject({
      method: 'GET',
      url: `/v1/counts?measure=police_da_sanction_detection_rate&groupBy=area&period=2019-20&service=met-central-west`,
      headers: { ...admin, accept: 'text/csv' },
    });
    t.match(accept.headers['content-type'], /^text\/csv/);
    t.match(accept.body, /rowType,area,areaLabel,police_da_sanction_detection_rate,status,suppression,numerator,numeratorStatus,denominator,denominatorStatus/);
  });

  await t.test('400s name the parameter, never quoting the value; roles; unknown service', async (t) => {
    for (const [query, parameter] of [
      ['groupBy=area&period=2022-23', 'measure'],
      ['measure=bogus_measure&period=2022-23', 'measure'],
      ['measure=helpline_calls&groupBy=area,bogusdim', 'groupBy'],
      ['measure=helpline_calls&groupBy=area,bogusdim&period=2022-23', 'groupBy'],
      ['measure=helpline_calls&groupBy=area,area&period=2022-23', 'groupBy'],
      ['measure=police_da_incidents&groupBy=sex&period=2022-23', 'groupBy'],
      ['measure=helpline_calls&period=2022-23&compareWith=last_decade', 'compareWith'],
      ['measure=helpline_calls', 'period'],
      ['measure=helpline_calls&period=2022-24', 'period'],
      ['measure=helpline_calls&period=2022-23&from=2022-23-Q1', 'period'],
      ['measure=helpline_calls&from=2022-23-Q3&to=2022-23-Q1', 'to'],
      ['measure=helpline_calls&period=2022-23&area=X99999999', 'area'],
      ['measure=helpline_calls&period=2022-23&format=xlsx', 'format'],
    ] as const) {
      const res = await get(query);
      t.equal(res.statusCode, 400, `${query}: ${res.body}`);
      t.ok(
        res.json().errors?.some((e: Json) => e.parameter === parameter),
        `${query}: names ${parameter}`,
      );
      t.notMatch(res.body, /bogus|last_decade|X99999999|xlsx|2022-24/, 'the value is not quoted');
    }
    const provider = await createKey(app, 'provider', ['london-helplines']);
    t.equal((await get('measure=helpline_calls&period=2020-21', bearer(provider))).statusCode, 403, 'providers may not read counts');
    t.equal((await app.inject({ method: 'GET', url: '/v1/counts?measure=helpline_calls&period=2020-21' })).statusCode, 401);
    const missing = await get('measure=helpline_calls&period=2020-21&service=no-such-service');
    t.equal(missing.statusCode, 404);
    t.notMatch(missing.body, /no-such-service/);
  });
});
