import t from 'tap';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

const csvHeaders = (headers: Record<string, string> = admin) => ({ ...headers, 'content-type': 'text/csv' });

t.test('CSV returns', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  await registerService(app, 'col-idva', 'idva');
  const submitCsv = (csv: string, query: string, headers = csvHeaders()) => app.inject({ method: 'POST', url: `/v1/returns?${query}`, headers, payload: csv });
  const currentReturns = async (period: string) =>
    (await app.inject({ method: 'GET', url: `/v1/returns?period=${period}&status=current`, headers: admin })).json().total as number;

  await t.test('a CSV export (BOM, CRLF) is stored exactly as the same return sent as JSON', async (t) => {
    const records = makeRecords(30, '2022-23-Q1');
    const res = await submitCsv(recordsToCsv(records, { bom: true, eol: '\r\n' }), 'service=col-vva&period=2022-23-Q1');
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { service: 'col-vva', period: '2022-23-Q1', version: 1, recordCount: 30 });
    t.equal(res.headers.location, `/v1/returns/${res.json().id}`);
    const read = await app.inject({ method: 'GET', url: `/v1/returns/${res.json().id}`, headers: admin });
    t.same(read.json().records, records, 'every field of every record, lists, nulls and nested groups included');
  });

  await t.test('errors in three rows are all reported by row and column, and nothing is stored', async (t) => {
    const records = makeRecords(20, '2022-23-Q2');
    records[2] = makeRecord(2, '2022-23-Q2', { victim: { ...(records[2]!.victim as object), ethnicity: 'british' } });
    records[9] = makeRecord(9, '2022-23-Q2', { referralDate: '2022-01-15' });
    records[15] = makeRecord(15, '2022-23-Q2', { childrenInHousehold: 'two' });
    const res = await submitCsv(recordsToCsv(records), 'service=col-vva&period=2022-23-Q2');
    t.equal(res.statusCode, 422, res.body);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const errors = res.json().errors as Array<{ pointer: string; detail: string }>;
    t.same(
      errors.map((e) => e.pointer),
      ['row 4, column victim.ethnicity', 'row 11, column referralDate', 'row 17, column childrenInHousehold'],
      'the header is row 1, so record i is row i + 2',
    );
    t.match(errors[0]!.detail, /must be one of: .*white_british/, 'says what would be valid');
    t.match(errors[1]!.detail, /inside 2022-23-Q2/);
    t.match(errors[2]!.detail, /whole number/);
    t.equal(await currentReturns('2022-23-Q2'), 0, 'nothing stored');
  });

  await t.test('past 1,000 problems the list stops and problemCount still counts them all', async (t) => {
    const records = makeRecords(1100, '2022-23-Q3').map((r, i) => makeRecord(i, '2022-23-Q3', { victim: { ...(r.victim as object), ethnicity: 'british' } }));
    const res = await submitCsv(recordsToCsv(records), 'service=col-vva&period=2022-23-Q3');
    t.equal(res.statusCode, 422);
    t.equal(res.json().errors.length, 1000);
    t.equal(res.json().problemCount, 1100);
    t.match(res.json().detail, /1100 problems \(the first 1000 are listed\)/);
  });

  await t.test('the header is checked before any row: unknown, duplicate and missing columns', async (t) => {
    const csv = recordsToCsv(makeRecords(3, '2022-23-Q3'));
    const [header, ...rows] = csv.split('\n');
    const broken = [header!.replace('victim.religion,', '').replace('referralSource', 'referralSorce') + ',victim.age,perpetrators.x.sex', ...rows].join('\n');
    const res = await submitCsv(broken, 'service=col-vva&period=2022-23-Q3');
    t.equal(res.statusCode, 422);
    const pointers = (res.json().errors as Array<{ pointer: string }>).map((e) => e.pointer);
    t.ok(pointers.includes('row 1, column referralSorce'), 'unknown column');
    t.ok(pointers.includes('row 1, column victim.age'), 'duplicate column');
    t.ok(pointers.includes('row 1, column perpetrators.x.sex'), 'badly numbered list column');
    t.ok(pointers.includes('row 1, column victim.religion'), 'missing required column');
    t.ok(pointers.includes('row 1, column referralSource'), 'the misspelt required column is missing too');
    const detail = (res.json().errors as Array<{ pointer: string; detail: string }>).find((e) => e.pointer === 'row 1, column referralSorce')!.detail;
    t.match(detail, /referralSource/, 'lists the fields it could have been');
  });

  await t.test('NHS 2001 ethnic category letters are translated through the published crosswalk', async (t) => {
    const records = makeRecords(12, '2022-23-Q4');
    const csv = recordsToCsv(records);
    const lines = csv.trimEnd().split('\n');
    const header = lines[0]!.split(',');
    const column = header.indexOf('victim.ethnicity');
    const letters = ['A', 'R', 'Z', 'n'];
    const patched = lines.map((line, i) => {
      if (i === 0 || i > letters.length) return line;
      const cells = line.split(',');
      cells[column] = letters[i - 1]!;
      return cells.join(',');
    });
    t.equal(patched[1]!.split(',').length, header.length, 'fixture rows have no quoted commas');
    const res = await submitCsv(patched.join('\n'), 'service=col-vva&period=2022-23-Q4');
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json().warnings, [{ code: 'crosswalk_applied', pointer: 'column victim.ethnicity' }]);
    const read = await app.inject({ method: 'GET', url: `/v1/returns/${res.json().id}`, headers: admin });
    const stored = (read.json().records as Array<{ victim: { ethnicity: string } }>).slice(0, 4).map((r) => r.victim.ethnicity);
    t.same(stored, ['white_british', 'asian_chinese', 'prefer_not_to_say', 'black_african']);
  });

  await t.test('empty cells, yes/no booleans and numbered groups', async (t) => {
    const csv = [
      'referralId,referralDate,referralSource,category,vawgTypes,policeInvolvement,riskLevel,repeatReferral,childrenInHousehold,victim.age,victim.sex,victim.genderIdentitySameAsSex,victim.sexualOrientation,victim.ethnicity,victim.religion,victim.disability,victim.interpreterRequired,victim.relationshipToArea,victim.residence,victim.vulnerabilities,perpetrators.1.relationshipToVictim,perpetrators.1.sex,perpetrators.1.age,perpetrators.2.relationshipToVictim,perpetrators.2.sex,perpetrators.2.age,closure.closedDate,closure.reason,closure.riskReduced,closure.feelsSafer',
      'A-1,2023-04-03,police,vawg,domestic_abuse; stalking,crime,high,Yes,2,,female,yes,heterosexual,white_british,no_religion,no,,resident,in_area,,intimate_partner,male,34,,,,,,,',
    ].join('\n');
    const res = await submitCsv(csv, 'service=col-vva&period=2023-24-Q1');
    t.equal(res.statusCode, 201, res.body);
    const read = await app.inject({ method: 'GET', url: `/v1/returns/${res.json().id}`, headers: admin });
    t.match(read.json().records[0], {
      vawgTypes: ['domestic_abuse', 'stalking'],
      repeatReferral: true,
      childrenInHousehold: 2,
      victim: { age: null, interpreterRequired: null, vulnerabilities: [] },
      perpetrators: [{ relationshipToVictim: 'intimate_partner', sex: 'male', age: 34 }],
      onwardReferrals: [],
    });
    t.notOk('closure' in read.json().records[0], 'an optional group with every cell empty is absent');
    t.equal(read.json().records[0].perpetrators.length, 1, 'an empty numbered group is no entry');
  });

  await t.test('malformed requests: query, syntax, charset, rights', async (t) => {
    const csv = recordsToCsv(makeRecords(2, '2022-23-Q1'));
    const noQuery = await submitCsv(csv, 'period=2022-23-Q1');
    t.equal(noQuery.statusCode, 422);
    t.match(noQuery.json().errors, [{ parameter: 'service', code: 'required' }]);
    const badPeriod = await submitCsv(csv, 'service=col-vva&period=2022');
    t.equal(badPeriod.statusCode, 400, 'a malformed period is a bad query parameter');
    const unclosed = await submitCsv(`${csv.split('\n')[0]}\n"A-1,2022-04-01`, 'service=col-vva&period=2022-23-Q1');
    t.equal(unclosed.statusCode, 400, unclosed.body);
    t.match(unclosed.json().detail, /not valid CSV/);
    const latin1 = await submitCsv(csv, 'service=col-vva&period=2022-23-Q1', { ...admin, 'content-type': 'text/csv; charset=iso-8859-1' });
    t.equal(latin1.statusCode, 415);
    const empty = await submitCsv('', 'service=col-vva&period=2022-23-Q1');
    t.equal(empty.statusCode, 422);
    const provider = await createKey(app, 'provider', ['col-idva']);
    const forbidden = await submitCsv(csv, 'service=col-vva&period=2022-23-Q1', csvHeaders(bearer(provider)));
    t.equal(forbidden.statusCode, 403, 'another service: refused before the body is read');
    const shortRow = await submitCsv(`${csv.trimEnd()}\nA-9,2022-04-01\n`, 'service=col-vva&period=2022-23-Q1');
    t.equal(shortRow.statusCode, 422);
    t.match(shortRow.json().errors[0], { pointer: 'row 4, column (row)', code: 'wrong_cell_count' });
  });

  await t.test('dry run of a CSV stores nothing and reports the version it would be', async (t) => {
    const csv = recordsToCsv(makeRecords(5, '2021-22-Q1'));
    const res = await submitCsv(csv, 'service=col-vva&period=2021-22-Q1&dryRun=true');
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json(), { dryRun: true, recordCount: 5, wouldBeVersion: 1 });
    t.equal(await currentReturns('2021-22-Q1'), 0);
  });
});
