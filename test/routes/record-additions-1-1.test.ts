/**
 * The record additions of dataset 1.1.0 (v1.1 contract, section 2): `status`,
 * `victim.localAuthority`, `supportProvided`, the onward referral's `date`, `for` and `outcome`, and
 * the closure outcomes. Each is accepted in a 1.1.0 return, JSON or CSV, and read back; each is
 * refused as an unknown field in a 1.0.0 return; an onward referral dated before its referral and
 * a local authority that is not a GSS code are 422s that point at the field and never show the value.
 */
import t from 'tap';
import { parseQuarter } from '../../src/lib/periods.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

type Json = Record<string, unknown>;

const PERIOD = '2022-23-Q1';

/** A date 45 days after the period ends. */
function afterPeriod(period: string): string {
  const end = new Date(`${parseQuarter(period)!.end}T00:00:00Z`).getTime();
  return new Date(end + 45 * 86_400_000).toISOString().slice(0, 10);
}

/** A 1.0.0 record (makeRecord's) with every 1.1.0 addition filled in. */
function withAdditions(i: number, period = PERIOD): Json {
  const base = makeRecord(i, period);
  const referralDate = base.referralDate as string;
  return {
    ...base,
    status: 'duplicate',
    victim: { ...(base.victim as Json), localAuthority: 'E09000001' },
    supportNeeds: ['housing', 'safety_planning'],
    supportProvided: ['safety_planning'],
    onwardReferrals: [
      { serviceType: 'idva', date: referralDate, for: 'child', outcome: 'no_service_available' },
      // After the period ends: an onward referral may be made in a later quarter.
      { serviceType: 'housing', date: afterPeriod(period), for: 'perpetrator', outcome: 'waiting_list' },
    ],
    closure: {
      closedDate: referralDate,
      reason: 'support_completed',
      riskReduced: true,
      feelsSafer: false,
      abuseReduced: true,
      qualityOfLifeImproved: false,
      childrenSafer: true,
      riskLevelAtClosure: 'standard',
      relationshipAtClosure: 'ended',
    },
  };
}

/** Each addition alone, as the JSON pointer a 1.0.0 return is refused at. */
const ADDITIONS: Array<[string, (record: Json) => void]> = [
  ['/status', (r) => (r.status = 'accepted')],
  ['/victim/localAuthority', (r) => ((r.victim as Json).localAuthority = 'not_known')],
  ['/supportProvided', (r) => (r.supportProvided = ['housing'])],
  ['/onwardReferrals/0/date', (r) => (r.onwardReferrals = [{ serviceType: 'idva', date: r.referralDate }])],
  ['/onwardReferrals/0/for', (r) => (r.onwardReferrals = [{ serviceType: 'idva', for: 'victim' }])],
  ['/onwardReferrals/0/outcome', (r) => (r.onwardReferrals = [{ serviceType: 'idva', outcome: 'accepted' }])],
  ...['abuseReduced', 'qualityOfLifeImproved', 'childrenSafer', 'riskLevelAtClosure', 'relationshipAtClosure'].map((name): [string, (record: Json) => void] => [
    `/closure/${name}`,
    (r) =>
      (r.closure = {
        closedDate: r.referralDate,
        reason: 'support_completed',
        riskReduced: null,
        feelsSafer: null,
        [name]: { riskLevelAtClosure: 'not_assessed', relationshipAtClosure: 'not_known' }[name] ?? true,
      }),
  ]),
];

const CSV_ADDED_COLUMNS = [
  'status',
  'victim.localAuthority',
  'supportProvided',
  'onwardReferrals.1.date',
  'onwardReferrals.1.for',
  'onwardReferrals.1.outcome',
  'closure.abuseReduced',
  'closure.qualityOfLifeImproved',
  'closure.childrenSafer',
  'closure.riskLevelAtClosure',
  'closure.relationshipAtClosure',
];

t.test('the record additions of dataset 1.1.0', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  const post = (payload: Json) => app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
  const postCsv = (csv: string, query: string) =>
    app.inject({ method: 'POST', url: `/v1/returns?${query}`, headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
  const read = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/returns/${id}`, headers: admin })).json();
  const errorsOf = (body: Json) => (body.errors as Json[]).map((e) => [e.pointer, e.code]);

  await t.test('a 1.1.0 JSON return carrying every addition is accepted and read back as sent', async (t) => {
    const records = [withAdditions(0), withAdditions(1), makeRecord(2)];
    const res = await post({ service: 'col-vva', period: PERIOD, datasetVersion: '1.1.0', records });
    t.equal(res.statusCode, 201, res.body);
    const stored = await read(res.json().id);
    t.equal(stored.datasetVersion, '1.1.0');
    t.same(stored.records, records, 'every addition as sent; a record without them reads back without them');
    t.notOk('status' in stored.records[2], 'no status given: none stored or shown (absent means accepted)');
    t.notOk('localAuthority' in stored.records[2].victim);
  });

  await t.test('each status code, and closure outcomes left null', async (t) => {
    const statuses = ['accepted', 'duplicate', 'inappropriate', 'declined', 'no_contact'];
    const records = statuses.map((status, i) => {
      const record = withAdditions(i, '2022-23-Q2');
      const closure = record.closure as Json;
      return { ...record, status, closure: { ...closure, abuseReduced: null, qualityOfLifeImproved: null, childrenSafer: null } };
    });
    const res = await post({ service: 'col-vva', period: '2022-23-Q2', records });
    t.equal(res.statusCode, 201, res.body);
    const stored = await read(res.json().id);
    t.same(
      stored.records.map((r: Json) => r.status),
      statuses,
    );
    const closure = stored.records[0].closure as Json;
    t.equal(closure.reason, 'support_completed');
    // Null and absent both mean not asked or not answered: stored as null, shown as absent.
    for (const name of ['abuseReduced', 'qualityOfLifeImproved', 'childrenSafer']) t.notOk(name in closure, `${name}: null is not shown`);
    t.equal(closure.riskLevelAtClosure, 'standard');
  });

  await t.test('a 1.0.0 return carrying any addition: 422 unknown_field at the addition', async (t) => {
    for (const [pointer, add] of ADDITIONS) {
      const record = makeRecord(0, '2022-23-Q3');
      add(record);
      const res = await post({ service: 'col-vva', period: '2022-23-Q3', datasetVersion: '1.0.0', records: [record] });
      t.equal(res.statusCode, 422, pointer);
      t.same(errorsOf(res.json()), [[`/records/0${pointer}`, 'unknown_field']], pointer);
      t.match(res.json().errors[0].detail, /dataset version 1\.1\.0 and later/, `${pointer}: says which version has it`);
      const current = await post({ service: 'col-vva', period: '2022-23-Q3', records: [record] });
      t.equal(current.statusCode, 201, `${pointer}: accepted in a 1.1.0 return: ${current.body}`);
    }
  });

  await t.test('an onward referral dated before its referral: 422 at the onward referral date', async (t) => {
    const record = withAdditions(3, '2022-23-Q4');
    const onward = record.onwardReferrals as Json[];
    onward[1] = { ...onward[1], date: '2022-12-31' };
    const res = await post({ service: 'col-vva', period: '2022-23-Q4', records: [makeRecord(0, '2022-23-Q4'), record] });
    t.equal(res.statusCode, 422, res.body);
    const [error] = res.json().errors as Json[];
    t.same(errorsOf(res.json()), [['/records/1/onwardReferrals/1/date', 'before_referral_date']]);
    t.match(error!.detail, /on or after referralDate/);

    const sameDay = await post({ service: 'col-vva', period: '2022-23-Q4', records: [withAdditions(3, '2022-23-Q4')] });
    t.equal(sameDay.statusCode, 201, `on the referral date and after the period: accepted: ${sameDay.body}`);
  });

  await t.test('a local authority that is not a GSS code: 422 naming the form, never the value', async (t) => {
    for (const bad of ['SW1A1AA', 'E10000002', 'e09000001', 'E0912345']) {
      const record = withAdditions(4, '2023-24-Q1');
      (record.victim as Json).localAuthority = bad;
      const res = await post({ service: 'col-vva', period: '2023-24-Q1', records: [record] });
      t.equal(res.statusCode, 422, bad);
      const errors = res.json().errors as Json[];
      t.same(
        errors.map((e) => e.pointer),
        ['/records/0/victim/localAuthority'],
        bad,
      );
      t.match(errors[0]!.detail, /ONS GSS code .*E06, E07, E08, E09, W06, S12 or N09 followed by 6 digits.*not_known/, bad);
      t.notOk(errors[0]!.valueEcho, 'no echo');
      t.notOk(res.body.includes(bad), 'the value is nowhere in the answer');
    }
    for (const good of ['E06000001', 'E07000223', 'E08000001', 'E09000033', 'W06000001', 'S12000033', 'N09000001', 'not_known']) {
      const record = withAdditions(4, '2023-24-Q1');
      (record.victim as Json).localAuthority = good;
      const res = await post({ service: 'col-vva', period: '2023-24-Q1', records: [record] });
      t.equal(res.statusCode, 201, `${good}: ${res.body}`);
    }
  });

  await t.test('CSV: the additions as columns, accepted in 1.1.0 and read back; unknown columns in 1.0.0', async (t) => {
    const withNulls = withAdditions(6, '2023-24-Q2');
    (withNulls.closure as Json).childrenSafer = null;
    const records = [withAdditions(5, '2023-24-Q2'), withNulls, makeRecord(7, '2023-24-Q2')];
    const csv = recordsToCsv(records);
    const header = csv.split('\n')[0]!.split(',');
    for (const column of CSV_ADDED_COLUMNS) t.ok(header.includes(column), `the template has ${column}`);

    const res = await postCsv(csv, 'service=col-vva&period=2023-24-Q2&datasetVersion=1.1.0');
    t.equal(res.statusCode, 201, res.body);
    const stored = await read(res.json().id);
    t.same(stored.records[0], records[0], 'every addition read back from its column');
    const { childrenSafer: _, ...closureWithoutNull } = withNulls.closure as Json;
    t.same(stored.records[1], { ...withNulls, closure: closureWithoutNull }, 'an empty closure outcome cell: null, shown as absent');
    t.same(stored.records[2], records[2]);

    const old = await postCsv(recordsToCsv([makeRecord(0, '2023-24-Q3')]), 'service=col-vva&period=2023-24-Q3&datasetVersion=1.0.0');
    t.equal(old.statusCode, 422, old.body);
    const refused = new Map((old.json().errors as Json[]).filter((e) => e.code === 'unknown_field').map((e) => [e.pointer, e.detail as string]));
    for (const column of CSV_ADDED_COLUMNS)
      t.match(refused.get(`row 1, column ${column}`), /dataset version 1\.1\.0 and later/, `1.0.0 refuses the column ${column}`);
  });

  await t.test('CSV: the cross-field rule and the local authority form located by row and column', async (t) => {
    const early = withAdditions(8, '2023-24-Q4');
    (early.onwardReferrals as Json[])[0]!.date = '2023-01-02';
    const badArea = withAdditions(9, '2023-24-Q4');
    (badArea.victim as Json).localAuthority = 'EC2V7HH';
    const res = await postCsv(recordsToCsv([early, badArea]), 'service=col-vva&period=2023-24-Q4');
    t.equal(res.statusCode, 422, res.body);
    t.same(errorsOf(res.json()), [
      ['row 2, column onwardReferrals.1.date', 'before_referral_date'],
      ['row 3, column victim.localAuthority', 'invalid_format'],
    ]);
    t.notOk(res.body.includes('EC2V7HH'), 'the value is not shown');
  });

  await t.test('GET /v1/dataset describes the additions; 1.0.0 does not', async (t) => {
    const paths = (fields: Array<{ path: string; fields?: unknown[] }>): string[] =>
      fields.flatMap((f) => [f.path, ...paths((f.fields ?? []) as Array<{ path: string; fields?: unknown[] }>)]);
    const latest = (await app.inject({ method: 'GET', url: '/v1/dataset' })).json();
    const v100 = (await app.inject({ method: 'GET', url: '/v1/dataset/1.0.0' })).json();
    const added = CSV_ADDED_COLUMNS.map((c) => c.replace('.1.', '.'));
    for (const path of added) {
      t.ok(paths(latest.fields).includes(path), `1.1.0 describes ${path}`);
      t.notOk(paths(v100.fields).includes(path), `1.0.0 does not describe ${path}`);
    }
    const ids = (lists: Json[]) => lists.map((l) => l.id);
    for (const id of ['referralStatus', 'onwardReferralFor', 'onwardOutcome', 'relationshipAtClosure']) {
      t.ok(ids(latest.codeLists).includes(id), `1.1.0 lists ${id}`);
      t.notOk(ids(v100.codeLists).includes(id), `1.0.0 does not list ${id}`);
    }
  });
});
