/**
 * Updates (contract 1.1 sections 3 and 8): a quarter's return updates referrals the service
 * received in earlier quarters, as JSON `updates` or a CSV posted with `?kind=updates`. Updates
 * apply field by field in quarter order, a later one replaces an earlier one's fields, superseding
 * a return withdraws its updates, and analytics read the referrals as their updates leave them.
 * Every rule is a 422 at the update's pointer (or row and column), never quoting a referralId, and
 * nothing is stored then. Also the `unusual_module` warning of section 2.
 */
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { CSV_LIST_SEPARATOR, listTemplateColumns } from '../../src/schema/dataset/csv-columns.js';
import { updatableGroups, updateFieldTree } from '../../src/schema/dataset/update-schema.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

type Json = Record<string, unknown>;

const [Q1, Q2, Q3] = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3'];

/** A referral without a closure, so each closure counted comes from an update. */
function openRecord(i: number, period = Q1, overrides: Json = {}): Json {
  const { closure: _closure, ...record } = makeRecord(i, period);
  return { ...record, ...overrides };
}

const court = { caseHeard: true, attendedCourt: true, supportAtCourt: true, outcome: 'ongoing', earlyGuiltyPlea: true, preSentenceReport: true };
const refuge = { admissionDate: '2022-05-02', childrenAccommodated: 2 };

/** Updates as an updates CSV: the columns the field tree gives, null written as `null`, absent as an empty cell. */
function updatesToCsv(updates: readonly Json[]): string {
  const columns = listTemplateColumns(1, updateFieldTree());
  const cell = (value: unknown) => (value === undefined ? '' : value === null ? 'null' : Array.isArray(value) ? value.join(CSV_LIST_SEPARATOR) : String(value));
  const valueAt = (update: Json, path: ReadonlyArray<string | number>) =>
    path.reduce<unknown>((node, key) => (node === null || node === undefined ? undefined : (node as Record<string | number, unknown>)[key]), update);
  return stringify([columns.map((c) => c.name), ...updates.map((u) => columns.map((c) => cell(valueAt(u, c.path))))]);
}

const sorted = (problems: Array<[string, string]>) => [...problems].sort((a, b) => (a.join(' ') < b.join(' ') ? -1 : 1));

function client(app: App) {
  const post = (payload: Json) => app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
  const postCsv = (csv: string, query: string) =>
    app.inject({ method: 'POST', url: `/v1/returns?${query}`, headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
  const read = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/returns/${id}`, headers: admin })).json();
  /** The referral's state as analytics read it: its current record, with referral_states where a row exists. */
  const state = async (service: string, period: string, referralId: string) => {
    const result = await app.db.execute(sql`select st.* from referral_states st join records r on r.id = st.record_id
      join returns ret on ret.id = r.return_id and ret.superseded_at is null
      where ret.service_id = ${service} and ret.period = ${period} and r.referral_id = ${referralId}`);
    return (result as unknown as { rows: Json[] }).rows[0];
  };
  const stateCount = async (service: string) => {
    const result = await app.db.execute(sql`select count(*)::int as n from referral_states st join records r on r.id = st.record_id
      join returns ret on ret.id = r.return_id where ret.service_id = ${service}`);
    return (result as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
  };
  const cells = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/v1/aggregates?${query}`, headers: admin });
    if (res.statusCode !== 200) throw new Error(`aggregates ${query}: ${res.statusCode} ${res.body}`);
    return res.json().cells as Array<{ key: Record<string, string>; value: number | null }>;
  };
  const cell = async (query: string, dimension: string, code: string) => (await cells(query)).find((c) => c.key[dimension] === code)?.value ?? 0;
  return { post, postCsv, read, state, stateCount, cell };
}

t.test('the updatable groups are those the contract names, derived from the field tree', async (t) => {
  t.same(
    updatableGroups.map((f) => f.name),
    ['status', 'closure', 'sanctuary', 'housing', 'refuge', 'court', 'programme'],
  );
  const names = listTemplateColumns(1, updateFieldTree()).map((c) => c.name);
  t.same(names.slice(0, 2), ['referralId', 'referralPeriod']);
  t.ok(names.includes('closure.closedDate') && names.includes('refuge.departureDate') && names.includes('court.outcome'));
  t.notOk(
    names.some((n) => n.startsWith('victim.') || n.startsWith('safeguarding.')),
    'nothing outside the updatable groups',
  );
});

t.test('updates of earlier referrals', async (t) => {
  const app = await buildTestApp(t);
  const { post, postCsv, read, state, stateCount, cell } = client(app);
  await registerService(app, 'up-idva', 'idva');
  const referrals = [openRecord(0), openRecord(1, Q1, { court }), openRecord(2, Q1, { refuge }), openRecord(3)];
  const ids = referrals.map((r) => r.referralId as string);
  const q1 = await post({ service: 'up-idva', period: Q1, records: referrals });
  t.equal(q1.statusCode, 201, q1.body);
  const scope = 'service=up-idva';

  await t.test('a JSON return carries records and updates; they apply field by field', async (t) => {
    const updates = [
      { referralId: ids[0], referralPeriod: Q1, closure: { closedDate: '2022-07-15', reason: 'support_completed', riskReduced: true, feelsSafer: null } },
      // Explicit null sets earlyGuiltyPlea to null; the fields left out keep their values.
      { referralId: ids[1], referralPeriod: Q1, court: { outcome: 'convicted', earlyGuiltyPlea: null } },
      { referralId: ids[2], referralPeriod: Q1, refuge: { departureDate: '2022-08-01' } },
      { referralId: ids[3], referralPeriod: Q1, status: 'declined' },
    ];
    const res = await post({ service: 'up-idva', period: Q2, records: [openRecord(10, Q2), openRecord(11, Q2)], updates });
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { recordCount: 2, updateCount: 4 });
    const stored = await read(res.json().id);
    t.same(stored.updates, updates, 'GET shows the updates as sent');
    t.equal(stored.updateCount, 4);

    const courtState = await state('up-idva', Q1, ids[1]!);
    t.match(courtState, { court_outcome: 'convicted', court_early_guilty_plea: null, court_pre_sentence_report: true, court_case_heard: true });
    t.match(await state('up-idva', Q1, ids[2]!), { refuge_admission_date: '2022-05-02', refuge_departure_date: '2022-08-01', refuge_children_accommodated: 2 });
    t.match(await state('up-idva', Q1, ids[0]!), { closure_closed_date: '2022-07-15', closure_reason: 'support_completed', closure_feels_safer: null });
    t.equal(await stateCount('up-idva'), 4, 'one state per referral updated');
    const q1Read = await read(q1.json().id);
    t.same(q1Read.records, referrals, "the referral's record is as its return sent it");

    t.equal(
      await cell(`${scope}&period=${Q2}&basis=closure&groupBy=closureReason`, 'closureReason', 'support_completed'),
      1,
      "a closure the update reports counts in its quarter's closures",
    );
    t.equal(await cell(`${scope}&period=${Q1}&basis=closure&groupBy=closureReason`, 'closureReason', 'support_completed'), 0, 'and not in the quarter before');
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=courtOutcome`, 'courtOutcome', 'convicted'), 1, 'the referral counts in its quarter as updated');
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=courtOutcome`, 'courtOutcome', 'ongoing'), 0);
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=status`, 'status', 'declined'), 1);
  });

  await t.test('a later quarter replaces the fields it gives, and the others stay', async (t) => {
    const res = await post({
      service: 'up-idva',
      period: Q3,
      records: [openRecord(20, Q3)],
      updates: [
        { referralId: ids[1], referralPeriod: Q1, court: { outcome: 'acquitted' } },
        { referralId: ids[0], referralPeriod: Q1, closure: { feelsSafer: true } },
      ],
    });
    t.equal(res.statusCode, 201, res.body);
    t.match(await state('up-idva', Q1, ids[1]!), { court_outcome: 'acquitted', court_early_guilty_plea: null, court_pre_sentence_report: true });
    t.match(await state('up-idva', Q1, ids[0]!), { closure_closed_date: '2022-07-15', closure_reason: 'support_completed', closure_feels_safer: true });
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=courtOutcome`, 'courtOutcome', 'acquitted'), 1);
  });

  await t.test('superseding an update return withdraws its updates', async (t) => {
    const res = await post({ service: 'up-idva', period: Q3, records: [openRecord(20, Q3)] });
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { version: 2 });
    t.notOk('updateCount' in res.json(), 'no updates: no updateCount, as in 1.0 answers');
    t.match(await state('up-idva', Q1, ids[1]!), { court_outcome: 'convicted', court_early_guilty_plea: null }, "back to Q2's update");
    t.match(await state('up-idva', Q1, ids[0]!), { closure_feels_safer: null });
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=courtOutcome`, 'courtOutcome', 'acquitted'), 0);
  });

  await t.test("superseding the referral's return: the updates apply to the new version's record while the referral is in it", async (t) => {
    // Version 2 of Q1 drops the fourth referral.
    const res = await post({ service: 'up-idva', period: Q1, records: referrals.slice(0, 3) });
    t.equal(res.statusCode, 201, res.body);
    t.match(await state('up-idva', Q1, ids[1]!), { court_outcome: 'convicted' }, "the new record's state");
    t.equal(await state('up-idva', Q1, ids[3]!), undefined, 'the dropped referral has no state');
    t.equal(await stateCount('up-idva'), 3, "no state is left on the superseded version's records");
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=courtOutcome`, 'courtOutcome', 'convicted'), 1);
    t.equal(await cell(`${scope}&period=${Q1}&groupBy=status`, 'status', 'declined'), 0);
  });

  await t.test('a module unusual for the service type is a warning, not an error', async (t) => {
    const res = await post({
      service: 'up-idva',
      period: '2022-23-Q4',
      records: [openRecord(30, '2022-23-Q4', { refuge }), openRecord(31, '2022-23-Q4', { refuge, court })],
    });
    t.equal(res.statusCode, 201, res.body);
    const warnings = res.json().warnings as Json[];
    t.same(
      warnings.filter((w) => w.code === 'unusual_module').map((w) => w.pointer),
      ['/records/*/refuge'],
      'refuge is unusual for an IDVA service; court is not',
    );
    t.match(warnings.find((w) => w.code === 'unusual_module')!.detail, /^2 records carry the refuge module/);
    const csv = await postCsv(recordsToCsv([openRecord(40, '2023-24-Q1', { refuge })]), 'service=up-idva&period=2023-24-Q1');
    t.equal(csv.statusCode, 201, csv.body);
    t.match(csv.json().warnings, [{ pointer: 'column refuge', code: 'unusual_module', detail: /^1 record carries/ }]);
    await registerService(app, 'up-refuge-ok', 'refuge');
    const usual = await post({ service: 'up-refuge-ok', period: Q1, records: [openRecord(0, Q1, { refuge })] });
    t.equal(usual.statusCode, 201, usual.body);
    t.notOk(
      (usual.json().warnings as Json[]).some((w) => w.code === 'unusual_module'),
      'a refuge module from a refuge: no warning',
    );
  });
});

t.test('updates as CSV (?kind=updates)', async (t) => {
  const app = await buildTestApp(t);
  const { postCsv, post, read, state, stateCount } = client(app);
  await registerService(app, 'up-refuge', 'refuge');
  const slk = (i: number) => `MIHAR0${i + 1}0119802`;
  const referrals = [0, 1, 2].map((i) =>
    openRecord(i, Q1, {
      refuge,
      perpetrators: [{ relationshipToVictim: 'intimate_partner', sex: 'male', age: 40, linkage: { slk581: slk(i) } }],
    }),
  );
  const ids = referrals.map((r) => r.referralId as string);
  t.equal((await post({ service: 'up-refuge', period: Q1, records: referrals })).statusCode, 201);

  let firstUpdates: string;
  await t.test('an updates CSV with no current version: a version with no records', async (t) => {
    firstUpdates = updatesToCsv([
      { referralId: ids[0], referralPeriod: Q1, refuge: { departureDate: '2022-09-30' } },
      { referralId: ids[1], referralPeriod: Q1, closure: { closedDate: '2022-07-01', reason: 'support_completed', riskReduced: true, feelsSafer: null } },
    ]);
    const res = await postCsv(firstUpdates, `service=up-refuge&period=${Q2}&kind=updates`);
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { version: 1, recordCount: 0, updateCount: 2 });
    const stored = await read(res.json().id);
    t.same(stored.records, []);
    t.same(stored.updates, [
      { referralId: ids[0], referralPeriod: Q1, refuge: { departureDate: '2022-09-30' } },
      { referralId: ids[1], referralPeriod: Q1, closure: { closedDate: '2022-07-01', reason: 'support_completed', riskReduced: true, feelsSafer: null } },
    ]);
    t.match(
      await state('up-refuge', Q1, ids[0]!),
      { refuge_departure_date: '2022-09-30', refuge_admission_date: '2022-05-02', refuge_children_accommodated: 2 },
      'an empty cell leaves the field as it is',
    );
    t.match(await state('up-refuge', Q1, ids[1]!), { closure_reason: 'support_completed', closure_feels_safer: null });
  });

  let recordsVersion: Json;
  await t.test("a records CSV then keeps the current version's updates", async (t) => {
    const res = await postCsv(recordsToCsv([openRecord(10, Q2, { refuge }), openRecord(11, Q2)]), `service=up-refuge&period=${Q2}`);
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { version: 2, recordCount: 2, updateCount: 2 });
    t.match(res.json().warnings, [{ parameter: 'kind', code: 'carried_over', detail: /^the 2 updates of version 1 were kept/ }], 'says so');
    recordsVersion = await read(res.json().id);
    t.equal((recordsVersion.updates as Json[]).length, 2);
    t.equal(await stateCount('up-refuge'), 2, 'the updates still apply');
  });

  await t.test("an updates CSV keeps the current version's records, linkage keys included, and replaces its updates", async (t) => {
    const res = await postCsv(updatesToCsv([{ referralId: ids[2], referralPeriod: Q1, status: 'declined' }]), `service=up-refuge&period=${Q2}&kind=updates`);
    t.equal(res.statusCode, 201, res.body);
    t.match(res.json(), { version: 3, recordCount: 2, updateCount: 1 });
    t.match(res.json().warnings, [{ parameter: 'kind', code: 'carried_over', detail: /^the 2 records of version 2 were kept unchanged/ }]);
    const stored = await read(res.json().id);
    t.same(stored.records, recordsVersion.records, 'the records carried over unchanged');
    const keys = await app.db.execute(sql`select ret.version, r.referral_id, r.record_key from returns ret join records r on r.return_id = ret.id
      where ret.service_id = 'up-refuge' and ret.period = ${Q2} and ret.version in (2, 3) order by r.referral_id, ret.version`);
    const rows = (keys as unknown as { rows: Array<{ version: number; referral_id: string; record_key: number }> }).rows;
    const keyOf = (version: number) => rows.filter((r) => r.version === version).map((r) => [r.referral_id, r.record_key]);
    t.equal(keyOf(3).length, 2);
    t.same(keyOf(3), keyOf(2), 'the same record keys, so the cell key method publishes the same figures');
    t.equal(await state('up-refuge', Q1, ids[0]!), undefined, "version 2's updates are withdrawn");
    t.match(await state('up-refuge', Q1, ids[2]!), { status: 'declined' });
  });

  await t.test('perpetrator keys of carried-over records are copied with them', async (t) => {
    await post({
      service: 'up-refuge',
      period: Q3,
      records: [openRecord(20, Q3, { perpetrators: [{ relationshipToVictim: 'intimate_partner', sex: 'male', age: 40, linkage: { slk581: slk(5) } }] })],
    });
    const res = await postCsv(updatesToCsv([{ referralId: ids[2], referralPeriod: Q1, status: 'accepted' }]), `service=up-refuge&period=${Q3}&kind=updates`);
    t.equal(res.statusCode, 201, res.body);
    const keys = await app.db.execute(sql`select ret.version, count(pk.id)::int as n from returns ret
      join records r on r.return_id = ret.id left join perpetrator_keys pk on pk.record_id = r.id
      where ret.service_id = 'up-refuge' and ret.period = ${Q3} group by ret.version order by ret.version`);
    t.same((keys as unknown as { rows: Json[] }).rows, [
      { version: 1, n: 1 },
      { version: 2, n: 1 },
    ]);
  });

  await t.test('problems in an updates CSV are located by row and column', async (t) => {
    const csv = updatesToCsv([
      { referralId: 'NOT-A-REFERRAL', referralPeriod: Q1, status: 'declined' },
      { referralId: ids[0], referralPeriod: Q1, closure: { closedDate: '2022-04-30', reason: 'support_completed', riskReduced: null, feelsSafer: null } },
      { referralId: ids[1], referralPeriod: Q1, refuge: { childrenAccommodated: 'two' } },
    ]);
    const res = await postCsv(csv, `service=up-refuge&period=2022-23-Q4&kind=updates`);
    t.equal(res.statusCode, 422, res.body);
    t.same(sorted((res.json().errors as Json[]).map((e) => [e.pointer as string, e.code as string])), [
      ['row 2, column referralId', 'unknown_referral'],
      ['row 3, column closure.closedDate', 'outside_period'],
      ['row 4, column refuge.childrenAccommodated', 'wrong_type'],
    ]);
    t.notOk(res.body.includes('NOT-A-REFERRAL'), 'the referralId is never quoted');
    const header = await postCsv(
      `referralId,referralPeriod,victim.age,safeguarding.childInNeed\n${ids[0]},${Q1},30,yes\n`,
      `service=up-refuge&period=2022-23-Q4&kind=updates`,
    );
    t.equal(header.statusCode, 422, header.body);
    t.match(header.json().errors, [
      { pointer: 'row 1, column victim.age', code: 'unknown_field', detail: /an update does not change/ },
      { pointer: 'row 1, column safeguarding.childInNeed', code: 'unknown_field', detail: /an update does not change/ },
    ]);
  });

  await t.test('kind=updates needs dataset 1.1.0; kind is for CSV only', async (t) => {
    const old = await postCsv(firstUpdates, `service=up-refuge&period=2022-23-Q4&kind=updates&datasetVersion=1.0.0`);
    t.equal(old.statusCode, 422, old.body);
    t.match(old.json().errors, [{ parameter: 'kind', code: 'unknown_field', detail: /dataset version 1\.1\.0 and later/ }]);
    const json = await app.inject({
      method: 'POST',
      url: '/v1/returns?kind=updates',
      headers: admin,
      payload: { service: 'up-refuge', period: '2022-23-Q4', records: [] },
    });
    t.equal(json.statusCode, 422, json.body);
    t.match(json.json().errors, [{ parameter: 'kind', code: 'not_allowed' }]);
  });
});

t.test('every rule of an update is a 422 at its pointer, and nothing is stored', async (t) => {
  const app = await buildTestApp(t);
  const { post } = client(app);
  await registerService(app, 'up-rules', 'refuge');
  const referrals = [openRecord(0), openRecord(1, Q1, { refuge }), openRecord(2)];
  const ids = referrals.map((r) => r.referralId as string);
  t.equal((await post({ service: 'up-rules', period: Q1, records: referrals })).statusCode, 201);
  const counts = async () => {
    const result = await app.db.execute(sql`select (select count(*)::int from returns) as returns, (select count(*)::int from record_updates) as updates,
      (select count(*)::int from referral_states) as states, (select count(*)::int from records) as records`);
    return (result as unknown as { rows: Json[] }).rows[0];
  };
  const before = await counts();
  const refused = async (t: Test, updates: Json[], expected: Array<[string, string]>, extra: Json = {}) => {
    const res = await post({ service: 'up-rules', period: Q2, records: [openRecord(10, Q2)], updates, ...extra });
    t.equal(res.statusCode, 422, res.body);
    // The checks of each update on its own come before those against the stored referrals: compared in order of pointer.
    t.same(sorted((res.json().errors as Json[]).map((e) => [e.pointer as string, e.code as string])), sorted(expected));
    for (const id of ids) t.notOk(res.body.includes(`"${id}"`) || res.body.includes(` ${id}`), 'no referralId is quoted');
    t.same(await counts(), before, 'nothing stored');
    return res.json();
  };
  const closure = { closedDate: '2022-08-01', reason: 'support_completed', riskReduced: true, feelsSafer: true };

  await t.test('the referral period must be earlier than the return', async (t) => {
    await refused(
      t,
      [
        { referralId: ids[0], referralPeriod: Q2, status: 'declined' },
        { referralId: ids[0], referralPeriod: Q3, status: 'declined' },
        { referralId: ids[0], referralPeriod: '2022-Q1', status: 'declined' },
        { referralId: ids[0], referralPeriod: '2021-23-Q1', status: 'declined' },
      ],
      [
        ['/updates/0/referralPeriod', 'not_earlier_period'],
        ['/updates/1/referralPeriod', 'not_earlier_period'],
        ['/updates/2/referralPeriod', 'invalid_format'],
        ['/updates/3/referralPeriod', 'invalid_format'],
      ],
    );
  });

  await t.test('the referral must be in the current version of its return', async (t) => {
    const body = await refused(
      t,
      [
        { referralId: 'REF-99999', referralPeriod: Q1, status: 'declined' },
        { referralId: ids[0], referralPeriod: '2021-22-Q4', status: 'declined' },
      ],
      [
        ['/updates/0/referralId', 'unknown_referral'],
        ['/updates/1/referralId', 'unknown_referral'],
      ],
    );
    t.notOk(JSON.stringify(body).includes('REF-99999'));
  });

  await t.test('event dates the update sets fall inside its quarter', async (t) => {
    await refused(
      t,
      [
        { referralId: ids[0], referralPeriod: Q1, closure: { ...closure, closedDate: '2022-06-30' } },
        { referralId: ids[1], referralPeriod: Q1, refuge: { departureDate: '2022-10-01' } },
      ],
      [
        ['/updates/0/closure/closedDate', 'outside_period'],
        ['/updates/1/refuge/departureDate', 'outside_period'],
      ],
    );
  });

  await t.test('the referral once updated is still a valid record', async (t) => {
    const body = await refused(
      t,
      [
        // A closure an update adds has its closedDate, reason and the two required answers.
        { referralId: ids[0], referralPeriod: Q1, closure: { closedDate: '2022-08-01', feelsSafer: true } },
        // A refuge module an update adds has its admissionDate and childrenAccommodated.
        { referralId: ids[2], referralPeriod: Q1, refuge: { departureDate: '2022-08-01' } },
        // Admitted after she left.
        { referralId: ids[1], referralPeriod: Q1, refuge: { admissionDate: '2022-09-01', departureDate: '2022-08-01' } },
      ],
      [
        ['/updates/0/closure/reason', 'required'],
        ['/updates/0/closure/riskReduced', 'required'],
        ['/updates/1/refuge/admissionDate', 'required'],
        ['/updates/1/refuge/childrenAccommodated', 'required'],
        ['/updates/2/refuge/departureDate', 'before_admission_date'],
      ],
    );
    t.match(body.errors[0].detail, /state once this update is applied/);
  });

  await t.test('one update per referral in a return', async (t) => {
    await refused(
      t,
      [
        { referralId: ids[0], referralPeriod: Q1, status: 'declined' },
        { referralId: ids[0], referralPeriod: Q1, closure },
      ],
      [['/updates/1/referralId', 'duplicate']],
    );
  });

  await t.test("types and codes are the record's; null only where the record takes null", async (t) => {
    await refused(
      t,
      [
        { referralId: ids[0], referralPeriod: Q1, closure: { riskReduced: 'yes' } },
        { referralId: ids[1], referralPeriod: Q1, court: { outcome: 'guilty' }, victim: { age: 30 } },
        { referralId: ids[2], referralPeriod: Q1, status: null },
        { referralPeriod: Q1, status: 'declined' },
      ],
      [
        ['/updates/0/closure/riskReduced', 'wrong_type'],
        ['/updates/1/victim', 'unknown_field'],
        ['/updates/1/court/outcome', 'not_in_code_list'],
        ['/updates/2/status', 'wrong_type'],
        ['/updates/2/status', 'not_in_code_list'],
        ['/updates/3/referralId', 'required'],
      ],
    );
  });

  await t.test('a 1.0.0 return cannot carry updates', async (t) => {
    const res = await post({
      service: 'up-rules',
      period: Q2,
      datasetVersion: '1.0.0',
      records: [],
      updates: [{ referralId: ids[0], referralPeriod: Q1, status: 'declined' }],
    });
    t.equal(res.statusCode, 422, res.body);
    t.match(res.json().errors, [{ pointer: '/updates', code: 'unknown_field', detail: /dataset version 1\.1\.0 and later/ }]);
    const notList = await post({ service: 'up-rules', period: Q2, records: [], updates: {} });
    t.match(notList.json().errors, [{ pointer: '/updates', code: 'wrong_type' }]);
    t.same(await counts(), before, 'nothing stored');
  });

  await t.test('a dry run checks the updates and stores nothing', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns?dryRun=true',
      headers: admin,
      payload: { service: 'up-rules', period: Q2, records: [], updates: [{ referralId: ids[0], referralPeriod: Q1, closure }] },
    });
    t.equal(res.statusCode, 200, res.body);
    t.match(res.json(), { dryRun: true, updateCount: 1 });
    t.same(await counts(), before);
  });
});
