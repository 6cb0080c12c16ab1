/**
 * Dataset 1.1.0's other shapes (v1.1 contract, section 2): a referral of a person who harms
 * (`subject: perpetrator`, exactly one perpetrator entry, the victim optional), alleged
 * perpetrators' linkage keys (accepted, never stored or shown in the clear), and the seven service
 * modules. Each is accepted in JSON and CSV and read back; each is refused in a 1.0.0 return; the
 * rules a schema states are 422s that point at the field.
 */
import t from 'tap';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';
import type { App } from '../../src/app.js';
import { admin, buildTestApp, registerService } from '../helper.js';

type Json = Record<string, unknown>;

const SLK = 'MTHAN010119852';

/** A perpetrator programme's referral of the person who harms: their own description, their partner's when known. */
function perpetratorReferral(i: number, period: string, withVictim: boolean): Json {
  const base = makeRecord(i, period);
  const { victim, ...rest } = base;
  return {
    ...rest,
    subject: 'perpetrator',
    referralSource: 'police',
    perpetrators: [
      {
        relationshipToVictim: 'intimate_partner',
        sex: 'male',
        age: 34,
        ethnicity: 'white_british',
        localAuthority: 'E09000001',
        relationshipToArea: 'resident',
        residence: 'in_area',
        interpreterRequired: false,
        linkage: { slk581: SLK },
      },
    ],
    ...(withVictim ? { victim } : {}),
    programme: { programmeType: 'community_perpetrator_programme', stage: 'assessed', partnerSupported: true },
  };
}

/** A record with every module, as a busy advocacy service might send (some modules are unusual for it). */
function withModules(i: number, period: string): Json {
  const base = makeRecord(i, period);
  const date = base.referralDate as string;
  return {
    ...base,
    sanctuary: { securityMeasures: ['door_reinforcement', 'alarm'], propertySecured: true, tenure: 'council' },
    housing: { homelessnessApproach: true, temporaryAccommodation: false, movedDueToAbuse: true, outcome: 'moved_social_housing' },
    refuge: { admissionDate: date, departureDate: date, childrenAccommodated: 2 },
    court: { caseHeard: true, attendedCourt: true, supportAtCourt: true, outcome: 'convicted', earlyGuiltyPlea: false, preSentenceReport: true },
    safeguarding: { childInNeed: false, childProtectionPlan: true, adultSafeguardingConcern: false, section42Enquiry: false },
    health: { setting: 'emergency_department', disclosure: true },
    programme: { programmeType: 'survivor_group', stage: 'completed' },
  };
}

async function readRecords(app: App, id: string): Promise<Json[]> {
  return (await app.inject({ method: 'GET', url: `/v1/returns/${id}`, headers: admin })).json().records;
}

t.test("a perpetrator's referral, perpetrators' keys and the service modules", async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-dvpp', 'perpetrator_programme');
  await registerService(app, 'col-vva', 'vva');
  const post = (payload: Json) => app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
  const postCsv = (csv: string, query: string) =>
    app.inject({ method: 'POST', url: `/v1/returns?${query}`, headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
  const errorsOf = (res: { json(): Json }) => (res.json().errors as Json[]).map((e) => [e.pointer, e.code]);

  await t.test("a perpetrator programme's return: accepted with or without the partner, read back without the key", async (t) => {
    const records = [perpetratorReferral(0, '2022-23-Q1', false), perpetratorReferral(1, '2022-23-Q1', true)];
    const res = await post({ service: 'col-dvpp', period: '2022-23-Q1', records });
    t.equal(res.statusCode, 201, res.body);
    t.notOk(res.body.includes(SLK), 'the key is not in the answer');
    const stored = await readRecords(app, res.json().id);
    const withoutKey = (record: Json) => ({
      ...record,
      perpetrators: (record.perpetrators as Json[]).map(({ linkage: _, ...p }) => p),
    });
    t.same(stored, records.map(withoutKey), 'as sent, less the linkage key');
    t.notOk('victim' in stored[0]!, 'no partner given: no victim shown');
    t.notOk(JSON.stringify(stored).includes(SLK));
  });

  await t.test("the perpetrator's referral's rules: exactly one person, and a victim's referral still needs its victim", async (t) => {
    const two = perpetratorReferral(0, '2022-23-Q2', false);
    two.perpetrators = [...(two.perpetrators as Json[]), (two.perpetrators as Json[])[0]!];
    const none = { ...perpetratorReferral(1, '2022-23-Q2', false), perpetrators: [] };
    const { victim: _, ...noVictim } = makeRecord(2, '2022-23-Q2');
    const res = await post({ service: 'col-dvpp', period: '2022-23-Q2', records: [two, none, noVictim] });
    t.equal(res.statusCode, 422, res.body);
    t.same(errorsOf(res), [
      ['/records/0/perpetrators', 'too_many_items'],
      ['/records/1/perpetrators', 'too_few_items'],
      ['/records/2/victim', 'required'],
    ]);
    const list = await app.inject({ method: 'GET', url: '/v1/returns?service=col-dvpp&period=2022-23-Q2', headers: admin });
    t.equal(list.statusCode, 200);
    t.equal(list.json().total, 0, 'nothing stored');
  });

  await t.test('a malformed perpetrator key: 422 at the key, never shown', async (t) => {
    const record = perpetratorReferral(0, '2022-23-Q3', false);
    ((record.perpetrators as Json[])[0]!.linkage as Json).slk581 = 'not-a-key-99';
    const res = await post({ service: 'col-dvpp', period: '2022-23-Q3', records: [record] });
    t.equal(res.statusCode, 422, res.body);
    t.same(errorsOf(res), [['/records/0/perpetrators/0/linkage/slk581', 'invalid_format']]);
    t.notOk(res.body.includes('not-a-key-99'));
  });

  await t.test('every module accepted and read back, JSON and CSV', async (t) => {
    const records = [withModules(0, '2022-23-Q4'), makeRecord(1, '2022-23-Q4')];
    const res = await post({ service: 'col-vva', period: '2022-23-Q4', records });
    t.equal(res.statusCode, 201, res.body);
    t.same(await readRecords(app, res.json().id), records);

    const csvRecords = [withModules(0, '2023-24-Q1'), perpetratorReferral(1, '2023-24-Q1', false)];
    const csv = await postCsv(recordsToCsv(csvRecords), 'service=col-vva&period=2023-24-Q1');
    t.equal(csv.statusCode, 201, csv.body);
    const stored = await readRecords(app, csv.json().id);
    t.same(stored[0], csvRecords[0], 'modules from their columns');
    t.notOk('victim' in stored[1]!, "a perpetrator's referral with empty victim cells has no victim");
    const { linkage: _, ...sentPerpetrator } = (csvRecords[1]!.perpetrators as Json[])[0]!;
    t.same(stored[1]!.perpetrators, [sentPerpetrator], 'the person referred, less the key');
  });

  await t.test("a perpetrator programme's CSV without victim columns: accepted; a victim's referral in it is refused at its row", async (t) => {
    const csv = recordsToCsv([perpetratorReferral(0, '2023-24-Q4', false), perpetratorReferral(1, '2023-24-Q4', false)]);
    const [header, ...rows] = csv.split('\n').map((line) => line.split(','));
    const keep = header!.map((name, i) => (name.startsWith('victim.') ? -1 : i)).filter((i) => i >= 0);
    const project = (cells: string[]) => keep.map((i) => cells[i] ?? '').join(',');
    t.ok(
      header!.some((name) => name.startsWith('victim.')),
      'the template has victim columns to leave out',
    );
    const withoutVictim = [project(header!), ...rows.filter((r) => r.length > 1).map(project)].join('\n');
    const res = await postCsv(withoutVictim, 'service=col-dvpp&period=2023-24-Q4');
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.json().recordCount, 2);

    const asVictim = withoutVictim.replace(/\bperpetrator\b/, '');
    const refused = await postCsv(asVictim, 'service=col-dvpp&period=2023-24-Q4');
    t.equal(refused.statusCode, 422, refused.body);
    t.ok(
      errorsOf(refused).some(([pointer, code]) => /^row 2/.test(pointer as string) && code === 'required'),
      `the row without subject perpetrator needs its victim: ${JSON.stringify(errorsOf(refused))}`,
    );
  });

  await t.test('a module given is given whole; a refuge departure before admission is refused', async (t) => {
    const partial = { ...makeRecord(0, '2023-24-Q2'), sanctuary: { tenure: 'council' } };
    const early = withModules(1, '2023-24-Q2');
    (early.refuge as Json).departureDate = '2023-06-30';
    (early.refuge as Json).admissionDate = '2023-07-01';
    const res = await post({ service: 'col-vva', period: '2023-24-Q2', records: [partial, early] });
    t.equal(res.statusCode, 422, res.body);
    t.same(errorsOf(res), [
      ['/records/0/sanctuary/securityMeasures', 'required'],
      ['/records/0/sanctuary/propertySecured', 'required'],
      ['/records/1/refuge/departureDate', 'before_admission_date'],
    ]);
  });

  await t.test('a 1.0.0 return: subject, perpetrator keys and modules are fields of 1.1.0', async (t) => {
    const cases: Array<[string, Json]> = [
      ['/records/0/subject', { ...makeRecord(0, '2023-24-Q3'), subject: 'victim' }],
      [
        '/records/0/perpetrators/0/linkage',
        { ...makeRecord(0, '2023-24-Q3'), perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: 40, linkage: { slk581: SLK } }] },
      ],
      ...['sanctuary', 'housing', 'refuge', 'court', 'safeguarding', 'health', 'programme'].map((name): [string, Json] => [
        `/records/0/${name}`,
        { ...makeRecord(0, '2023-24-Q3'), [name]: withModules(0, '2023-24-Q3')[name] },
      ]),
    ];
    for (const [pointer, record] of cases) {
      const res = await post({ service: 'col-vva', period: '2023-24-Q3', datasetVersion: '1.0.0', records: [record] });
      t.equal(res.statusCode, 422, pointer);
      t.same(errorsOf(res), [[pointer, 'unknown_field']], pointer);
      t.match((res.json().errors as Json[])[0]!.detail, /dataset version 1\.1\.0 and later/, pointer);
      t.notOk(res.body.includes(SLK));
    }
  });

  await t.test('GET /v1/dataset says which service types each module is for', async (t) => {
    const description = (await app.inject({ method: 'GET', url: '/v1/dataset' })).json();
    const fields = description.fields as Json[];
    t.same(description.updates.groups, ['status', 'closure', 'sanctuary', 'housing', 'refuge', 'court', 'programme'], 'what an update may carry');
    t.same(description.updates.eventDatesInPeriod, ['closure.closedDate', 'refuge.departureDate']);
    t.notOk('updates' in (await app.inject({ method: 'GET', url: '/v1/dataset/1.0.0' })).json(), '1.0.0 has no updates');
    const byPath = new Map(fields.map((f) => [f.path, f]));
    t.same(byPath.get('refuge')!.serviceTypes, ['refuge']);
    t.ok((byPath.get('programme')!.serviceTypes as string[]).includes('perpetrator_programme'));
    t.match(byPath.get('victim')!.optionalWhen, /unless subject is perpetrator/);
    t.match(byPath.get('perpetrators')!.itemsWhen, /exactly one/);
  });
});
