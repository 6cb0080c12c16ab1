/**
 * `format=csv` (and `Accept: text/csv`) on the four analytic endpoints: each CSV parses back to the
 * same figures and disclosure status as the JSON for the same query, for admins and analysts, with
 * labels beside codes, a byte order mark and a download name.
 */
import { parse } from 'csv-parse/sync';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { ageBandSets, type AgeBandSetId } from '../../src/schema/dataset/derived.js';
import { parseQuarter } from '../../src/lib/periods.js';
import { dimensionIds, dimensions } from '../../src/services/analytics/dimensions.js';
import { labelDimension } from '../../src/services/analytics/csv-tables.js';
import { neutraliseFormula } from '../../src/lib/csv-response.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

type Json = Record<string, unknown>;
type CsvRow = Record<string, string>;
interface Published {
  key: Record<string, string>;
  value: number | null;
  status: string;
  [property: string]: unknown;
}

/** A valid SLK-581 per n (distinct birth years). */
const slk = (n: number) => `MIHAR${String(1 + (n % 28)).padStart(2, '0')}01${1950 + n}2`;

function linked(record: Json, n: number): Json {
  return { ...record, victim: { ...(record.victim as Json), linkage: { slk581: slk(n) } } };
}

const POPULATION = ['populationShare', 'representation'];

/** A CSV cell back to the JSON value it stands for: empty is null. */
const numberOf = (cell: string | undefined) => (cell === undefined || cell === '' ? null : Number(cell));

interface Download {
  header: string[];
  rows: CsvRow[];
  filename: string;
  body: string;
}

/** Checks what every analytic CSV must be, and parses it. */
function readCsv(t: Test, res: { statusCode: number; body: string; rawPayload: Buffer; headers: Record<string, unknown> }): Download {
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'CSV answered' : res.body);
  t.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
  t.same([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with a UTF-8 byte order mark');
  const disposition = String(res.headers['content-disposition']);
  const match = /^attachment; filename="(vawg-[A-Za-z0-9._-]+\.csv)"$/.exec(disposition);
  t.ok(match, `a download with a safe name: ${disposition}`);
  t.match(String(res.headers.vary), /accept/i, 'caches key on Accept');
  const records = parse(res.rawPayload, { bom: true }) as string[][];
  const [header, ...rest] = records;
  t.ok(res.body.includes('\r\n'), 'CRLF line ends');
  return {
    header: header!,
    rows: rest.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!]))),
    filename: match?.[1] ?? '',
    body: res.body,
  };
}

/** A rough formula check: a cell a spreadsheet would run never starts with `=`, `+`, `-` or `@`. */
function noFormulas(t: Test, download: Download) {
  const cells = download.rows.flatMap((r) => Object.values(r));
  t.notOk(
    cells.some((c) => /^[=+\-@]/.test(c)),
    'no cell reads as a formula',
  );
}

t.test('analytic answers as CSV', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva', 'E09000001');
  await registerService(app, 'col-idva', 'idva', 'E09000001');
  await registerService(app, 'hack-idva', 'idva', 'E09000012');
  // An admin-typed name a spreadsheet would run as a formula.
  const named = await app.inject({
    method: 'POST',
    url: '/v1/services',
    headers: admin,
    payload: { id: 'hack-marac', name: '=HYPERLINK("https://example.org","Hackney MARAC")', serviceType: 'marac', area: 'E09000012' },
  });
  t.equal(named.statusCode, 201, named.body);
  for (const [code, name] of [
    ['E09000001', 'City of London'],
    ['E09000012', 'Hackney'],
  ]) {
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/areas/${code}`,
      headers: admin,
      payload: { name, population: [{ year: 2022, total: 8600, adultFemale: 3500, byGroup: { sex: { female: 4300, male: 4300 } } }] },
    });
    t.equal(res.statusCode < 300, true, res.body);
  }
  const submit = async (service: string, period: string, records: unknown[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  // People seen by several services: the VVA's first 12 women are also referred on to the IDVAs and the MARAC.
  await submit(
    'col-vva',
    '2022-23-Q1',
    makeRecords(60, '2022-23-Q1').map((r, i) => linked(r, i)),
  );
  await submit(
    'col-idva',
    '2022-23-Q1',
    Array.from({ length: 8 }, (_, i) => linked(makeRecord(100 + i, '2022-23-Q1'), i)),
  );
  await submit(
    'hack-idva',
    '2022-23-Q1',
    Array.from({ length: 3 }, (_, i) => linked(makeRecord(200 + i, '2022-23-Q1'), 8 + i)),
  );
  await submit(
    'hack-marac',
    '2022-23-Q1',
    Array.from({ length: 12 }, (_, i) => linked(makeRecord(300 + i, '2022-23-Q1'), i)),
  );
  await submit('col-vva', '2022-23-Q2', makeRecords(25, '2022-23-Q2'));
  const analyst = bearer(await createKey(app, 'analyst'));
  const principals = { admin, analyst };

  const get = (path: string, query: string, headers: Record<string, string>) => app.inject({ method: 'GET', url: `${path}?${query}`, headers });

  await t.test('aggregates: the same table as the JSON, with totals, labels and the status of each value', async (t) => {
    const queries = [
      'measure=referrals&period=2022-23-Q1',
      'measure=referrals&groupBy=riskLevel&period=2022-23-Q1',
      'measure=referrals&groupBy=service,riskLevel&period=2022-23-Q1',
      'measure=people&groupBy=area,period&from=2022-23-Q1&to=2022-23-Q2',
      'measure=people&groupBy=ethnicityGroup&period=2022-23',
      'measure=referrals&groupBy=sex&period=2022-23-Q1&area=E09000001',
      'measure=referrals&groupBy=vulnerability,category&period=2022-23-Q1',
      'measure=referrals&groupBy=ageBand,perpetratorSex&period=2022-23-Q1&ageBands=marac',
    ];
    let suppressedSeen = 0;
    const headersSeen = new Map<string, string[]>();
    const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const cellProperties = Object.keys(document.components.schemas.Aggregate.properties.cells.items.properties);
    for (const [who, headers] of Object.entries(principals)) {
      for (const query of queries) {
        const json = (await get('/v1/aggregates', query, headers)).json();
        const csv = readCsv(t, await get('/v1/aggregates', `${query}&format=csv`, headers));
        const dimensions: string[] = json.groupBy;
        const measure: string = json.measure;
        const leading = ['rowType', ...dimensions.flatMap((d) => [d, `${d}Label`]), measure, 'status'];
        t.same(csv.header.slice(0, leading.length), leading, `${who} ${query}: header`);
        // Then whatever else a cell publishes (the population comparison, how a value was suppressed).
        const extra = csv.header.slice(leading.length);
        t.same(
          extra.filter((e) => cellProperties.includes(e)),
          extra,
          'the other columns are properties of a cell',
        );
        t.equal(extra.includes('populationShare'), Boolean(json.population), 'population columns with a population comparison');
        headersSeen.set(query, [...(headersSeen.get(query) ?? []), csv.header.join()]);

        // The JSON's values in the JSON's order: cells, each dimension's totals, then the grand total.
        const expected = [
          ...(dimensions.length ? json.cells.map((c: Published) => ['cell', c] as const) : []),
          ...dimensions.flatMap((d) => (json.totals.byDimension[d] ?? []).map((m: Published) => ['dimension_total', m] as const)),
          ['grand_total', { key: {}, ...json.totals.overall }] as const,
        ];
        const shape = (rowType: string, p: Published) => ({
          rowType,
          codes: dimensions.map((d) => p.key[d] ?? 'total'),
          value: p.value,
          status: p.status,
          extra: extra.map((e) => (p[e] === undefined ? null : p[e])),
        });
        t.same(
          csv.rows.map((r) =>
            shape(r.rowType!, {
              key: Object.fromEntries(dimensions.map((d) => [d, r[d]!])),
              value: numberOf(r[measure]),
              status: r.status!,
              ...Object.fromEntries(extra.map((e) => [e, POPULATION.includes(e) ? numberOf(r[e]) : r[e] || undefined])),
            }),
          ),
          expected.map(([rowType, p]: readonly [string, Published]) => shape(rowType, p)),
          `${who} ${query}: the same figures and statuses as the JSON`,
        );
        const grand = csv.rows.filter((r) => r.rowType === 'grand_total');
        t.equal(grand.length, 1, 'one grand total row');
        t.equal(numberOf(grand[0]![measure]), json.totals.overall.value, 'the grand total is the JSON total (never summed from cells)');

        for (const row of csv.rows) {
          for (const d of dimensions) {
            const label = row[`${d}Label`]!;
            t.ok(label.length > 0, 'every code has a label');
            if (row[d] === 'total') t.equal(label, 'Total');
          }
        }
        suppressedSeen += csv.rows.filter((r) => r.status === 'suppressed' && r[measure] === '').length;
        t.equal(
          csv.rows.filter((r) => r.status === 'suppressed').some((r) => r[measure] !== ''),
          false,
          'a suppressed value is empty',
        );
        noFormulas(t, csv);
        if (who === 'admin') t.equal(csv.rows.filter((r) => r.status === 'suppressed').length, 0, 'admins see exact figures');
      }
    }
    t.ok(suppressedSeen > 0, 'analysts had suppressed values, and they stayed suppressed');
    for (const [query, seen] of headersSeen) t.equal(new Set(seen).size, 1, `${query}: the same header for admins and analysts`);
  });

  await t.test('aggregates: labels come from the code lists and from the names of services and areas', async (t) => {
    const csv = readCsv(t, await get('/v1/aggregates', 'groupBy=service,riskLevel&period=2022-23-Q1&format=csv', admin));
    const riskLabels = new Map(codeLists.riskLevel.codes.map((c) => [c.code, c.label]));
    for (const row of csv.rows.filter((r) => r.riskLevel !== 'total')) t.equal(row.riskLevelLabel, riskLabels.get(row.riskLevel!));
    t.equal(csv.rows.find((r) => r.service === 'col-vva')!.serviceLabel, 'Service col-vva', "the service's name");
    t.equal(
      csv.rows.find((r) => r.service === 'hack-marac')!.serviceLabel,
      `'=HYPERLINK("https://example.org","Hackney MARAC")`,
      'a name a spreadsheet would run as a formula is neutralised',
    );

    const byArea = readCsv(t, await get('/v1/aggregates', 'groupBy=area,period&period=2022-23&format=csv', admin));
    t.equal(byArea.rows.find((r) => r.area === 'E09000012')!.areaLabel, 'Hackney');
    t.equal(byArea.rows.find((r) => r.period === '2022-23-Q4')!.periodLabel, '2022-23 Q4 (January to March 2023)');

    const ages = readCsv(t, await get('/v1/aggregates', 'groupBy=ageBand&period=2022-23-Q1&ageBands=marac&format=csv', admin));
    t.same(
      ages.rows.filter((r) => r.rowType === 'cell').map((r) => r.ageBandLabel),
      [...ageBandSets.marac.bands.map((b) => b.label), 'Not known'],
    );
    const none = readCsv(t, await get('/v1/aggregates', 'groupBy=vulnerability&period=2022-23-Q1&format=csv', admin));
    t.equal(none.rows.find((r) => r.vulnerability === 'none')!.vulnerabilityLabel, 'None');
  });

  await t.test('aggregates: the download name, Accept: text/csv, and an unknown format', async (t) => {
    const csv = readCsv(t, await get('/v1/aggregates', 'measure=people&groupBy=riskLevel&period=2022-23-Q1&format=csv', analyst));
    t.equal(csv.filename, 'vawg-aggregates-people-2022-23-Q1.csv');
    const range = readCsv(t, await get('/v1/aggregates', 'groupBy=riskLevel&from=2022-23-Q1&to=2022-23-Q2&format=csv', analyst));
    t.equal(range.filename, 'vawg-aggregates-referrals-2022-23-Q1_to_2022-23-Q2.csv');
    const viaAccept = readCsv(t, await get('/v1/aggregates', 'measure=people&groupBy=riskLevel&period=2022-23-Q1', { ...analyst, accept: 'text/csv' }));
    t.equal(viaAccept.body, csv.body, 'Accept: text/csv gives the same file');
    const json = await get('/v1/aggregates', 'groupBy=riskLevel&period=2022-23-Q1', { ...analyst, accept: 'application/json' });
    t.match(json.headers['content-type'], /application\/json/);
  });

  await t.test('indicators: one row per indicator, the same figures and statuses', async (t) => {
    for (const [who, headers] of Object.entries(principals)) {
      for (const query of ['period=2022-23-Q1', 'period=2022-23&area=E09000012']) {
        const json = (await get('/v1/indicators', query, headers)).json();
        const csv = readCsv(t, await get('/v1/indicators', `${query}&format=csv`, headers));
        t.same(
          csv.header.slice(0, 9),
          ['id', 'label', 'definition', 'numerator', 'denominator', 'value', 'percent', 'unit', 'status'],
          'the Indicator schema’s columns',
        );
        t.same(
          csv.rows.map((r) => ({
            id: r.id,
            label: r.label,
            numerator: numberOf(r.numerator),
            denominator: numberOf(r.denominator),
            value: numberOf(r.value),
            percent: numberOf(r.percent),
            unit: r.unit,
            status: r.status,
          })),
          json.indicators.map((i: Json) => ({
            id: i.id,
            label: i.label,
            numerator: i.numerator,
            denominator: i.denominator,
            value: i.value,
            percent: i.percent ?? null,
            unit: i.unit,
            status: i.status,
          })),
          `${who} ${query}: the same indicators`,
        );
        noFormulas(t, csv);
        if (who === 'analyst' && query === 'period=2022-23&area=E09000012') {
          t.ok(
            csv.rows.some((r) => r.status === 'suppressed' && r.value === ''),
            'suppressed indicators stay suppressed',
          );
        }
      }
    }
    const csv = readCsv(t, await get('/v1/indicators', 'period=2022-23', { ...analyst, accept: 'text/csv' }));
    t.equal(csv.filename, 'vawg-indicators-2022-23.csv');
  });

  await t.test('completeness: submissions, timeliness and fields in one table', async (t) => {
    for (const [who, headers] of Object.entries(principals)) {
      const json = (await get('/v1/completeness', 'period=2022-23', headers)).json();
      const csv = readCsv(t, await get('/v1/completeness', 'period=2022-23&format=csv', headers));
      t.equal(csv.filename, 'vawg-completeness-2022-23.csv');
      const submissions = csv.rows.filter((r) => r.table === 'services');
      const expected = json.services.flatMap((s: Json) =>
        (s.quarters as Json[]).map((q) => ({
          service: s.service,
          serviceType: s.serviceType,
          area: s.area,
          period: q.period,
          submitted: String(q.submitted),
          version: q.version,
          recordCount: q.recordCount,
          status: q.status,
          timeliness: q.timeliness,
        })),
      );
      t.same(
        submissions.map((r) => ({
          service: r.service,
          serviceType: r.serviceType,
          area: r.area,
          period: r.period,
          submitted: r.submitted,
          version: numberOf(r.version),
          recordCount: numberOf(r.recordCount),
          status: r.status,
          timeliness: r.timeliness,
        })),
        expected,
        `${who}: a row per service and quarter, with the same figures`,
      );
      const vva = submissions.find((r) => r.service === 'col-vva' && r.period === '2022-23-Q1')!;
      t.match(vva, {
        name: 'Service col-vva',
        serviceTypeLabel: codeLists.serviceType.codes.find((c) => c.code === 'vva')!.label,
        areaLabel: 'City of London',
      });
      t.equal(submissions.find((r) => r.service === 'hack-marac')!.name, `'=HYPERLINK("https://example.org","Hackney MARAC")`, 'the name is neutralised');

      const timeliness = Object.fromEntries(csv.rows.filter((r) => r.table === 'timeliness').map((r) => [r.timeliness, Number(r.count)]));
      t.same(
        timeliness,
        Object.fromEntries(Object.entries(json.timeliness as Record<string, number>).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v])),
        'the timeliness summary',
      );
      t.same(
        csv.rows
          .filter((r) => r.table === 'fields')
          .map((r) => ({
            path: r.path,
            label: r.label,
            known: numberOf(r.known),
            total: numberOf(r.total),
            completeness: numberOf(r.completeness),
            status: r.status,
          })),
        json.fields,
        `${who}: field completeness`,
      );
      noFormulas(t, csv);
      if (who === 'analyst')
        t.ok(
          submissions.some((r) => r.status === 'suppressed' && r.recordCount === ''),
          'a small return stays suppressed',
        );
    }
  });

  await t.test('overlaps: people, services, pairs and onward referrals in one table', async (t) => {
    for (const [who, headers] of Object.entries(principals)) {
      const json = (await get('/v1/overlaps', 'period=2022-23-Q1', headers)).json();
      const csv = readCsv(t, await get('/v1/overlaps', 'period=2022-23-Q1&format=csv', headers));
      t.equal(csv.filename, 'vawg-overlaps-2022-23-Q1.csv');
      const part = (table: string) => csv.rows.filter((r) => r.table === table);
      const figures = (r: CsvRow) => ({ value: numberOf(r.value), status: r.status });
      t.same(part('people').map(figures), [json.people], `${who}: people`);
      t.same(
        part('byServiceCount').map((r) => ({ services: r.services, ...figures(r) })),
        json.byServiceCount,
        `${who}: by number of services`,
      );
      t.same(
        part('services').map((r) => ({ service: r.service, ...figures(r) })),
        json.services,
        `${who}: per service`,
      );
      t.same(
        part('pairs').map((r) => ({ a: r.a, b: r.b, ...figures(r) })),
        json.pairs,
        `${who}: pairs`,
      );
      t.same(
        part('onwardReferrals').map((r) => ({ serviceType: r.serviceType, outcome: r.outcome, ...figures(r) })),
        json.onwardReferrals.cells,
        `${who}: onward referrals`,
      );
      t.ok(part('onwardReferrals').length > 0, 'onward referrals to compare');
      t.ok(
        part('onwardReferrals').every((r) => r.unit === json.onwardReferrals.unit && r.outcomeLabel !== ''),
        'onward rows say what they count',
      );
      t.equal(part('pairs').find((r) => r.a === 'col-idva')!.aLabel, 'Service col-idva');
      noFormulas(t, csv);
      if (who === 'analyst') {
        t.ok(
          csv.rows.some((r) => r.status === 'suppressed' && r.value === ''),
          'small overlaps stay suppressed',
        );
      } else
        t.ok(
          part('pairs').some((r) => Number(r.value) > 0),
          'people shared between services',
        );
    }
  });

  await t.test('an unknown format is a 400 naming the parameter', async (t) => {
    for (const path of ['/v1/aggregates', '/v1/indicators', '/v1/completeness', '/v1/overlaps']) {
      const res = await get(path, 'period=2022-23-Q1&format=xlsx', analyst);
      t.equal(res.statusCode, 400, path);
      t.match(res.json(), { errors: [{ parameter: 'format' }] }, `${path}: names format`);
      t.notMatch(res.body, 'xlsx', 'and does not quote the value');
    }
  });

  await t.test('the OpenAPI document declares the CSV', async (t) => {
    await checkDocument(t, app);
  });
});

async function checkDocument(t: Test, app: App) {
  const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
  for (const path of ['/v1/aggregates', '/v1/indicators', '/v1/completeness', '/v1/overlaps']) {
    const operation = document.paths[path].get;
    const format = operation.parameters.find((p: Json) => p.name === 'format');
    t.same(format?.schema.enum, ['json', 'csv'], `${path}: format is json or csv`);
    const content = operation.responses['200'].content;
    t.equal(content['text/csv']?.schema.type, 'string', `${path}: text/csv declared`);
    const example = parse(content['text/csv'].example as string, { columns: true }) as CsvRow[];
    t.ok(example.length > 0, `${path}: with an example that parses`);
    t.ok(content['application/json'].schema, `${path}: and the JSON still`);
  }
  // The aggregate's CSV example is the JSON example, figure for figure.
  const content = document.paths['/v1/aggregates'].get.responses['200'].content;
  const json = (Object.values(content['application/json'].examples)[0] as { value: { cells: Published[]; totals: { overall: Published } } }).value;
  const rows = parse(content['text/csv'].example as string, { columns: true }) as CsvRow[];
  t.same(
    rows.map((r) => [numberOf(r.referrals), r.status]),
    [...json.cells, json.totals.overall].map((c) => [c.value, c.status]),
    'the aggregate CSV example has the JSON example’s figures',
  );
}

t.test('formula-looking text is neutralised; numbers are not', async (t) => {
  for (const text of ['=1+1', '+44 20', '-2', '@SUM(A1)', '\t=1', '\r=1']) t.equal(neutraliseFormula(text), `'${text}`, JSON.stringify(text));
  for (const text of ['Hackney', '85+', '16-17', 'a=b']) t.equal(neutraliseFormula(text), text);
});

t.test('every code of every dimension has a label beside it in a CSV', async (t) => {
  const names = { services: new Map<string, string>(), areas: new Map<string, string>() };
  const scope = {
    quarters: [parseQuarter('2022-23-Q1')!],
    services: [],
    subject: 'victim' as const,
    basis: 'referral' as const,
    description: { period: '2022-23-Q1', quarters: ['2022-23-Q1'] },
  };
  for (const id of dimensionIds) {
    for (const ageBands of Object.keys(ageBandSets) as AgeBandSetId[]) {
      const label = labelDimension(id, { names, ageBands });
      const unlabelled = dimensions[id]!.domain({ scope, ageBands }).filter((code) => label(code) === code || label(code) === '');
      t.same(unlabelled, [], `${id} (${ageBands} age bands): every code labelled`);
    }
  }
});
