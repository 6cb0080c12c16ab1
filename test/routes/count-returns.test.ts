import t from 'tap';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';
import { countBreakdownIds, countMeasures, derivedCountMeasures } from '../../src/schema/counts/measures.js';

const CAMDEN = 'E09000007';
const HACKNEY = 'E09000012';
const BARNET = 'E09000003';

t.test('count returns', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'national-helpline', 'helpline');
  await registerService(app, 'barnet-police', 'police', BARNET);
  const helplineKey = await createKey(app, 'provider', ['national-helpline']);
  const policeKey = await createKey(app, 'provider', ['barnet-police']);

  const submit = (payload: unknown, headers: Record<string, string> = admin, query = '') =>
    app.inject({ method: 'POST', url: `/v1/count-returns${query}`, headers, payload: payload as object });
  const submitCsv = (csv: string, query: string, headers: Record<string, string> = admin) =>
    app.inject({ method: 'POST', url: `/v1/count-returns?${query}`, headers: { ...headers, 'content-type': 'text/csv' }, payload: csv });
  const total = async (query = '') => (await app.inject({ method: 'GET', url: `/v1/count-returns?limit=500${query}`, headers: admin })).json().total as number;
  const auditOf = async (action: string) =>
    (await app.inject({ method: 'GET', url: `/v1/audit?action=${action}&limit=500`, headers: admin })).json().items as Array<{
      action: string;
      outcome: string;
      resourceId: string | null;
      detail: Record<string, unknown>;
    }>;

  await t.test('the catalogue is public and holds the contract measures', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/count-measures' });
    t.equal(res.statusCode, 200);
    const body = res.json();
    const ids = body.measures.map((m: { id: string }) => m.id);
    for (const id of [
      'helpline_calls',
      'police_da_incidents',
      'police_da_offences',
      'police_da_sanction_detections',
      'police_sexual_offences',
      'police_rape_offences',
      'police_dvpn',
      'police_dvpo',
      'court_cases_finalised',
      'court_convictions',
      'court_early_guilty_pleas',
      'court_pre_sentence_reports',
    ])
      t.ok(ids.includes(id), id);
    t.same(
      body.derived.map((d: { id: string; numerator: string; denominator: string }) => [d.id, d.numerator, d.denominator]),
      [
        ['police_da_sanction_detection_rate', 'police_da_sanction_detections', 'police_da_offences'],
        ['police_da_offence_conversion_rate', 'police_da_offences', 'police_da_incidents'],
        ['court_conviction_rate', 'court_convictions', 'court_cases_finalised'],
      ],
    );
    for (const d of derivedCountMeasures) t.ok(ids.includes(d.numerator) && ids.includes(d.denominator), `${d.id} divides reported measures`);
    const calls = body.measures.find((m: { id: string }) => m.id === 'helpline_calls');
    t.match(calls, { unit: 'calls', breakdowns: [{ id: 'sex', codeList: 'sex', codes: [{ code: 'female' }, { code: 'male' }] }] });
    t.same(body.csvColumns, ['measure', 'area', 'value', 'sex']);
    t.equal(body.measures.length, countMeasures.length);
  });

  await t.test('the CSV template: the columns, a row per measure; filled in, it is a count return', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/count-measures/template.csv' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/csv/);
    t.match(res.headers['content-disposition'], /filename="vawg-count-return-template\.csv"/);
    t.ok(res.body.startsWith('\ufeff'), 'a byte order mark, so spreadsheets read UTF-8');
    const [header, ...rows] = res.body
      .replace(/^\ufeff/, '')
      .trim()
      .split(/\r?\n/);
    t.equal(header, ['measure', 'area', 'value', ...countBreakdownIds].join(','));
    t.same(
      rows.map((r) => r.split(',')[0]),
      countMeasures.map((m) => m.id),
    );

    const before = await total();
    const unfilled = await submitCsv(res.body, 'service=barnet-police&period=2018-19-Q1');
    t.equal(unfilled.statusCode, 422, 'sent as it is, every area and value is missing');
    t.equal(unfilled.json().errors[0].pointer, 'row 2, column area');
    const filled = [header, ...rows.filter((r) => r.startsWith('police_da_')).map((r) => r.replace(/^([a-z_]+),,/, `$1,${BARNET},12`))].join('\n');
    const accepted = await submitCsv(filled, 'service=barnet-police&period=2018-19-Q1');
    t.equal(accepted.statusCode, 201, accepted.body);
    t.equal(accepted.json().cellCount, 3, 'incidents, offences and sanction detections');
    t.equal(await total(), before + 1);
  });

  await t.test('a JSON count return is stored and read back', async (t) => {
    const counts = [
      { measure: 'helpline_calls', area: CAMDEN, value: 120 },
      { measure: 'helpline_calls', area: CAMDEN, value: 101, breakdown: { sex: 'female' } },
      { measure: 'helpline_calls', area: HACKNEY, value: 0 },
    ];
    const res = await submit({ service: 'national-helpline', period: '2020-21-Q3', counts }, bearer(helplineKey));
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { service: 'national-helpline', period: '2020-21-Q3', version: 1, status: 'current', cellCount: 3, supersededAt: null, warnings: [] });
    t.equal(res.headers.location, `/v1/count-returns/${res.json().id}`);
    const read = await app.inject({ method: 'GET', url: res.headers.location as string, headers: bearer(helplineKey) });
    t.equal(read.statusCode, 200);
    t.same(read.json().counts, counts, 'every count, in order, as sent');
    t.same(
      read.json().versions.map((v: { version: number; status: string }) => [v.version, v.status]),
      [[1, 'current']],
    );
    const audit = await auditOf('count_return.submitted');
    t.match(
      audit.find((e) => e.resourceId === res.json().id),
      {
        outcome: 'success',
        detail: { service: 'national-helpline', period: '2020-21-Q3', version: 1, cellCount: 3, format: 'json' },
      },
    );
  });

  await t.test('a CSV count return, with a breakdown column, is stored and read back', async (t) => {
    const csv =
      'measure,area,value,sex\r\npolice_da_incidents,E09000003,5048,\r\npolice_da_offences,E09000003,3149,\r\npolice_sexual_offences,E09000003,40,female\r\n';
    const res = await submitCsv(csv, 'service=barnet-police&period=2022-23-Q4', bearer(policeKey));
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { service: 'barnet-police', period: '2022-23-Q4', version: 1, cellCount: 3 });
    const read = await app.inject({ method: 'GET', url: `/v1/count-returns/${res.json().id}`, headers: admin });
    t.same(read.json().counts, [
      { measure: 'police_da_incidents', area: BARNET, value: 5048 },
      { measure: 'police_da_offences', area: BARNET, value: 3149 },
      { measure: 'police_sexual_offences', area: BARNET, value: 40, breakdown: { sex: 'female' } },
    ]);
    const audit = await auditOf('count_return.submitted');
    t.match(audit.find((e) => e.resourceId === res.json().id)?.detail, { format: 'csv' });
  });

  await t.test('every problem of a JSON return is listed with its pointer, none echoes a cell, nothing is stored', async (t) => {
    const before = await total();
    const rejectedBefore = (await auditOf('count_return.rejected')).length;
    const res = await submit(
      {
        service: 'barnet-police',
        period: '2022-23-Q1',
        counts: [
          { measure: 'police_da_offences', area: BARNET, value: 10 },
          { measure: 'police_tea_breaks', area: BARNET, value: 10 },
          { measure: 'police_da_offences', area: 'Barnet-secret', value: 10 },
          { measure: 'police_dvpn', area: BARNET, value: -4 },
          { measure: 'police_dvpo', area: BARNET, value: 2.5 },
          { measure: 'police_da_offences', area: BARNET, value: 11 },
          { measure: 'police_da_incidents', area: BARNET, value: 3, breakdown: { sex: 'female' } },
          { measure: 'helpline_calls', area: BARNET, value: 3, breakdown: { sex: 'unicorn-secret' } },
          { measure: 'police_dvpo', area: BARNET, value: '7' },
          { measure: 'police_dvpo', area: BARNET },
          { measure: 'police_dvpo', area: BARNET, value: 1, note: 'x' },
        ],
      },
      bearer(policeKey),
    );
    t.equal(res.statusCode, 422, res.body);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const body = res.json();
    t.same(
      body.errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`),
      [
        '/counts/1/measure unknown_measure',
        '/counts/2/area invalid_format',
        '/counts/3/value negative_value',
        '/counts/4/value wrong_type',
        '/counts/5/measure duplicate',
        '/counts/6/breakdown/sex unknown_breakdown',
        '/counts/7/breakdown/sex unknown_code',
        '/counts/8/value wrong_type',
        '/counts/9/value required',
        '/counts/10/note unknown_field',
      ],
    );
    t.equal(body.problemCount, 10);
    t.notOk(/tea_breaks|Barnet-secret|unicorn-secret|2\.5/.test(res.body), 'no cell is quoted back');
    t.match(body.errors[4].detail, /\/counts\/0/, 'a duplicate names the first count');
    t.equal(await total(), before, 'nothing stored');
    const rejected = await auditOf('count_return.rejected');
    t.equal(rejected.length, rejectedBefore + 1, 'the rejection is audited');
    t.same(rejected[0]!.detail, { service: 'barnet-police', period: '2022-23-Q1', problemCount: 10, format: 'json' });
  });

  await t.test('the envelope: service not registered, period not a quarter, counts missing', async (t) => {
    const res = await submit({ service: 'no-such-service', period: '2022-23', extra: 1 });
    t.equal(res.statusCode, 422);
    t.same(
      res
        .json()
        .errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`)
        .sort(),
      ['/counts required', '/extra unknown_field', '/period invalid_format', '/service unknown_service'],
    );
  });

  await t.test('CSV problems are located by row and column', async (t) => {
    const before = await total();
    const csv = 'measure,area,value\npolice_da_offences,E09000003,10\npolice_da_offences,E09000003,3x\nnope,e09000003,1\n';
    const res = await submitCsv(csv, 'service=barnet-police&period=2022-23-Q2', bearer(policeKey));
    t.equal(res.statusCode, 422, res.body);
    t.same(
      res.json().errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`),
      ['row 3, column value wrong_type', 'row 4, column measure unknown_measure', 'row 4, column area invalid_format'],
    );
    t.notOk(res.body.includes('3x') || res.body.includes('nope'), 'no cell is quoted back');
    const header = await submitCsv('measure,value,colour\npolice_dvpn,1,red\n', 'period=2022-23-Q2', admin);
    t.equal(header.statusCode, 422);
    t.same(
      header.json().errors.map((e: { pointer?: string; parameter?: string; code: string }) => `${e.pointer ?? e.parameter} ${e.code}`),
      ['service required', 'row 1, column area missing_header', 'row 1, column (header) unknown_field'],
    );
    t.notOk(header.body.includes('colour'), 'an unknown column is not named back');
    const twice = await submitCsv(
      'measure,area,value,colour,colour,value\npolice_dvpn,E09000003,1,red,red,1\n',
      'service=barnet-police&period=2022-23-Q2',
      admin,
    );
    t.equal(twice.statusCode, 422);
    const duplicates = (twice.json().errors as Array<{ pointer: string; code: string }>).filter((e) => e.code === 'duplicate').map((e) => e.pointer);
    t.same(duplicates, ['row 1, column 5', 'row 1, column value'], 'a column named twice: by position unless it is one of ours');
    t.notOk(twice.body.includes('colour'), 'and never named back');
    t.equal(await total(), before, 'nothing stored');
  });

  await t.test('a second version supersedes the first', async (t) => {
    const first = await submit(
      { service: 'barnet-police', period: '2022-23-Q3', counts: [{ measure: 'police_dvpn', area: BARNET, value: 6 }] },
      bearer(policeKey),
    );
    const second = await submit(
      {
        service: 'barnet-police',
        period: '2022-23-Q3',
        counts: [
          { measure: 'police_dvpn', area: BARNET, value: 7 },
          { measure: 'police_dvpo', area: BARNET, value: 5 },
        ],
      },
      bearer(policeKey),
    );
    t.equal(second.statusCode, 201);
    t.match(second.json(), { version: 2, status: 'current', cellCount: 2 });
    const old = await app.inject({ method: 'GET', url: `/v1/count-returns/${first.json().id}`, headers: admin });
    t.equal(old.json().status, 'superseded');
    t.type(old.json().supersededAt, 'string');
    t.same(
      old.json().versions.map((v: { version: number; status: string }) => [v.version, v.status]),
      [
        [1, 'superseded'],
        [2, 'current'],
      ],
    );
    const current = await app.inject({ method: 'GET', url: '/v1/count-returns?service=barnet-police&period=2022-23-Q3&status=current', headers: admin });
    t.same(
      current.json().items.map((r: { id: string }) => r.id),
      [second.json().id],
    );
    const all = await app.inject({ method: 'GET', url: '/v1/count-returns?period=2022-23&limit=1&offset=0', headers: admin });
    t.equal(all.json().limit, 1);
    t.equal(all.json().items.length, 1);
    t.ok(all.json().total >= 3, 'the financial year holds the quarters');
  });

  await t.test('a locked period answers 409 and stores nothing', async (t) => {
    t.equal((await app.inject({ method: 'PUT', url: '/v1/periods/2021-22-Q1/lock', headers: admin, payload: { reason: 'published' } })).statusCode, 200);
    const body = { service: 'barnet-police', period: '2021-22-Q1', counts: [{ measure: 'police_dvpn', area: BARNET, value: 1 }] };
    const res = await submit(body, bearer(policeKey));
    t.equal(res.statusCode, 409, res.body);
    t.match(res.json(), { type: 'urn:vawg:problem:period-locked' });
    t.equal((await submit(body, bearer(policeKey), '?dryRun=true')).statusCode, 409, 'a dry run says so too');
    t.equal(await total('&period=2021-22-Q1'), 0);
    await app.inject({ method: 'DELETE', url: '/v1/periods/2021-22-Q1/lock', headers: admin });
    t.equal((await submit(body, bearer(policeKey))).statusCode, 201, 'unlocked, it is accepted');
  });

  await t.test('an Idempotency-Key replays the same answer and refuses a different body', async (t) => {
    const body = { service: 'barnet-police', period: '2021-22-Q2', counts: [{ measure: 'court_convictions', area: BARNET, value: 80 }] };
    const key = { ...bearer(policeKey), 'idempotency-key': 'count-key-1' };
    const first = await submit(body, key);
    t.equal(first.statusCode, 201);
    t.notOk(first.headers['idempotent-replayed']);
    const again = await submit(body, key);
    t.equal(again.statusCode, 201);
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.same(again.json(), first.json(), 'the same answer');
    t.equal(again.headers.location, first.headers.location);
    t.equal(await total('&period=2021-22-Q2'), 1, 'stored once');
    const other = await submit({ ...body, counts: [{ measure: 'court_convictions', area: BARNET, value: 81 }] }, key);
    t.equal(other.statusCode, 422);
    t.match(other.json(), { type: 'urn:vawg:problem:idempotency-key-reused' });
    t.equal(await total('&period=2021-22-Q2'), 1);

    // A rejected body is kept under its key and replayed too.
    const badKey = { ...bearer(policeKey), 'idempotency-key': 'count-key-2' };
    const bad = { ...body, counts: [{ measure: 'court_convictions', area: BARNET, value: -1 }] };
    t.equal((await submit(bad, badKey)).statusCode, 422);
    const badAgain = await submit(bad, badKey);
    t.equal(badAgain.statusCode, 422);
    t.equal(badAgain.headers['idempotent-replayed'], 'true');
    t.equal(badAgain.json().errors[0].pointer, '/counts/0/value');
  });

  await t.test('a dry run validates and stores nothing', async (t) => {
    const before = await total();
    const res = await submit(
      { service: 'barnet-police', period: '2022-23-Q3', counts: [{ measure: 'police_dvpn', area: BARNET, value: 9 }] },
      bearer(policeKey),
      '?dryRun=true',
    );
    t.equal(res.statusCode, 200, res.body);
    t.same(res.json(), { dryRun: true, service: 'barnet-police', period: '2022-23-Q3', cellCount: 1, wouldBeVersion: 3, warnings: [] });
    t.equal(await total(), before);
    const invalid = await submit(
      { service: 'barnet-police', period: '2022-23-Q3', counts: [{ measure: 'police_dvpn', area: BARNET, value: -9 }] },
      admin,
      '?dryRun=true',
    );
    t.equal(invalid.statusCode, 422);
    const csv = await submitCsv('measure,area,value\npolice_dvpn,E09000003,9\n', 'service=barnet-police&period=2022-23-Q3&dryRun=true', bearer(policeKey));
    t.match(csv.json(), { dryRun: true, cellCount: 1, wouldBeVersion: 3 });
  });

  await t.test('a breakdown above its total, or without one, is accepted with a warning naming only positions', async (t) => {
    const counts = [
      { measure: 'helpline_calls', area: CAMDEN, value: 100 },
      { measure: 'helpline_calls', area: CAMDEN, value: 80, breakdown: { sex: 'female' } },
      { measure: 'helpline_calls', area: CAMDEN, value: 30, breakdown: { sex: 'male' } },
      { measure: 'helpline_calls', area: HACKNEY, value: 57, breakdown: { sex: 'female' } },
      { measure: 'helpline_calls', area: HACKNEY, value: 12, breakdown: { sex: 'male' } },
    ];
    const expected = [
      { pointer: '/counts/0/value', code: 'breakdown_exceeds_total' },
      { pointer: '/counts/3/breakdown/sex', code: 'total_missing' },
    ];
    const dry = await submit({ service: 'national-helpline', period: '2021-22-Q1', counts }, bearer(helplineKey), '?dryRun=true');
    t.equal(dry.statusCode, 200, dry.body);
    t.match(dry.json().warnings, expected, 'a dry run warns');
    const res = await submit({ service: 'national-helpline', period: '2021-22-Q1', counts }, bearer(helplineKey));
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json().warnings, expected);
    t.equal(res.json().warnings.length, 2, 'one warning per total, not one per breakdown cell');
    const read = await app.inject({ method: 'GET', url: `/v1/count-returns/${res.json().id}`, headers: admin });
    t.match(read.json().warnings, expected, 'kept with the return');
    for (const warning of res.json().warnings as Array<{ detail: string }>) t.notMatch(warning.detail, /\d/, 'no count is quoted');

    const csv = ['measure,area,value,sex', ...counts.map((c) => `${c.measure},${c.area},${c.value},${c.breakdown?.sex ?? ''}`)].join('\n');
    const fromCsv = await submitCsv(csv, 'service=national-helpline&period=2021-22-Q2', bearer(helplineKey));
    t.equal(fromCsv.statusCode, 201, fromCsv.body);
    t.match(fromCsv.json().warnings, [
      { pointer: 'row 2, column value', code: 'breakdown_exceeds_total' },
      { pointer: 'row 5, column sex', code: 'total_missing' },
    ]);
  });

  await t.test("another service's key is refused 403, before any content is judged", async (t) => {
    const before = await total();
    const json = await submit(
      { service: 'barnet-police', period: '2022-23-Q1', counts: [{ measure: 'police_dvpn', area: BARNET, value: 1 }] },
      bearer(helplineKey),
    );
    t.equal(json.statusCode, 403);
    const broken = await submit({ service: 'barnet-police', period: '2022-23-Q1', counts: [{ measure: 'nope' }] }, bearer(helplineKey));
    t.equal(broken.statusCode, 403, 'not 422: the key learns nothing of validation');
    const csv = await submitCsv('measure,area,value\npolice_dvpn,E09000003,1\n', 'service=barnet-police&period=2022-23-Q1', bearer(helplineKey));
    t.equal(csv.statusCode, 403);
    t.equal(await total(), before);
    const list = await app.inject({ method: 'GET', url: '/v1/count-returns', headers: bearer(helplineKey) });
    t.ok(
      list.json().items.every((r: { service: string }) => r.service === 'national-helpline'),
      'a provider lists its own services only',
    );
    const police = await app.inject({ method: 'GET', url: '/v1/count-returns?service=barnet-police', headers: bearer(helplineKey) });
    t.equal(police.statusCode, 403);
    const someId = (await app.inject({ method: 'GET', url: '/v1/count-returns?service=barnet-police', headers: admin })).json().items[0].id;
    t.equal((await app.inject({ method: 'GET', url: `/v1/count-returns/${someId}`, headers: bearer(helplineKey) })).statusCode, 403);
    const analyst = await createKey(app, 'analyst');
    t.equal((await app.inject({ method: 'GET', url: '/v1/count-returns', headers: bearer(analyst) })).statusCode, 403);
    t.equal((await app.inject({ method: 'GET', url: '/v1/count-returns/00000000-0000-4000-8000-000000000000', headers: admin })).statusCode, 404);
  });
});
