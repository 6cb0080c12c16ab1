import { eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { returns } from '../../src/db/tables.js';
import { MAX_NOISE } from '../../src/services/analytics/cell-key.js';
import { victimFields } from '../../src/schema/dataset/fields.js';
import { makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

type Json = Record<string, unknown>;

interface Quarter {
  period: string;
  submitted: boolean;
  version: number | null;
  receivedAt: string | null;
  recordCount: number | null;
  status: string;
}
interface ServiceRow {
  service: string;
  name: string;
  serviceType: string;
  area: string;
  quarters: Quarter[];
}
interface FieldRow {
  path: string;
  label: string;
  known: number | null;
  total: number | null;
  completeness: number | null;
  status: string;
}

/** Unknown answers sprinkled in, so completeness is not trivially 1. */
function withUnknowns(records: Json[]): Json[] {
  return records.map((r, i) => {
    const victim = { ...(r.victim as Json) };
    if (i % 4 === 0) victim.ethnicity = 'not_known';
    if (i % 4 === 1) victim.ethnicity = 'prefer_not_to_say';
    if (i % 3 === 0) victim.religion = 'not_known';
    return { ...r, victim };
  });
}

const AREA = 'E09000020';
const FIELDS = victimFields.filter((f) => (f.type === 'code' && f.personAnswers) || (f.required && f.nullable));

t.test('GET /v1/completeness', async (t) => {
  const app = await buildTestApp(t);
  const analyst = bearer(await createKey(app, 'analyst'));
  /** An analyst's count: the exact one with the cell key's noise, never pushed below the threshold (5). */
  const near = (t: Test, published: number | null | undefined, exact: number, message: string) =>
    t.ok(
      typeof published === 'number' && Math.abs(published - exact) <= MAX_NOISE && published >= 5,
      `${message}: ${published} within ±${MAX_NOISE} of ${exact}`,
    );
  const referralsFor = async (query: string) =>
    (await app.inject({ method: 'GET', url: `/v1/aggregates?${query}`, headers: analyst })).json().totals.overall.value as number;
  await registerService(app, 'comp-vva', 'vva', AREA);
  await registerService(app, 'comp-idva', 'idva', AREA);
  await registerService(app, 'comp-isva', 'isva', AREA);
  await registerService(app, 'elsewhere-vva', 'vva', 'E09000021');

  const submit = async (service: string, period: string, records: Json[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service} ${period}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const fetchCompleteness = async (query: string, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'GET', url: `/v1/completeness?${query}`, headers });
    if (res.statusCode !== 200) throw new Error(`GET /v1/completeness?${query}: ${res.statusCode} ${res.body}`);
    const body = res.json();
    const service = (id: string): ServiceRow => body.services.find((s: ServiceRow) => s.service === id);
    const field = (path: string): FieldRow => body.fields.find((f: FieldRow) => f.path === path);
    return { body, service, field };
  };

  const vvaQ1 = withUnknowns(makeRecords(12));
  const vvaQ2 = withUnknowns(makeRecords(3, '2022-23-Q2'));
  const idvaQ1 = withUnknowns(makeRecords(6));
  await submit('comp-vva', '2022-23-Q1', makeRecords(10));
  const vvaQ1v2 = await submit('comp-vva', '2022-23-Q1', vvaQ1);
  await submit('comp-vva', '2022-23-Q2', vvaQ2);
  await submit('comp-idva', '2022-23-Q1', idvaQ1);
  await submit('elsewhere-vva', '2022-23-Q1', makeRecords(40));
  const current = [...vvaQ1, ...vvaQ2, ...idvaQ1];

  await t.test('every service in scope, with each quarter: submitted or not, current version, record count', async (t) => {
    const { body, service } = await fetchCompleteness(`area=${AREA}&period=2022-23`);
    t.same(body.period, { period: '2022-23', quarters: ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4'], area: AREA });
    t.same(
      body.services.map((s: ServiceRow) => s.service),
      ['comp-idva', 'comp-isva', 'comp-vva'],
      'registered services of the area only, including the one that never submitted',
    );
    t.match(service('comp-vva'), { name: 'Service comp-vva', serviceType: 'vva', area: AREA });
    t.same(
      service('comp-vva').quarters.map((q) => [q.period, q.submitted, q.version, q.recordCount, q.status]),
      [
        ['2022-23-Q1', true, 2, 12, 'ok'],
        ['2022-23-Q2', true, 1, 3, 'ok'],
        ['2022-23-Q3', false, null, null, 'ok'],
        ['2022-23-Q4', false, null, null, 'ok'],
      ],
    );
    t.equal(service('comp-vva').quarters[0]!.receivedAt, vvaQ1v2.receivedAt, 'when the current version arrived');
    t.equal(service('comp-vva').quarters[2]!.receivedAt, null);
    t.same(
      service('comp-idva').quarters.map((q) => [q.submitted, q.version, q.recordCount]),
      [
        [true, 1, 6],
        [false, null, null],
        [false, null, null],
        [false, null, null],
      ],
    );
    t.ok(
      service('comp-isva').quarters.every((q) => !q.submitted && q.version === null && q.recordCount === null),
      'a service that never submitted',
    );
    t.equal(body.disclosure.applied, false);

    const ranged = await fetchCompleteness(`serviceType=idva&area=${AREA}&from=2022-23-Q4&to=2023-24-Q1`);
    t.same(
      ranged.body.services.map((s: ServiceRow) => [s.service, s.quarters.map((q) => q.period)]),
      [['comp-idva', ['2022-23-Q4', '2023-24-Q1']]],
    );
  });

  await t.test('field completeness over the current records, from the dataset definition', async (t) => {
    const { body, field } = await fetchCompleteness(`area=${AREA}&period=2022-23`);
    t.same(
      body.fields.map((f: FieldRow) => f.path),
      FIELDS.map((f) => `victim.${f.name}`),
      'coded person fields and required nullable fields, in dataset order',
    );
    t.ok(
      ['victim.age', 'victim.interpreterRequired', 'victim.ethnicity', 'victim.pregnancy'].every((p) => body.fields.some((f: FieldRow) => f.path === p)),
      'age, interpreter, ethnicity and pregnancy among them',
    );
    for (const f of FIELDS) {
      const known = current.filter((r) => {
        const value = (r.victim as Json)[f.name];
        return value !== null && value !== undefined && value !== 'not_known';
      }).length;
      const row = field(`victim.${f.name}`);
      t.same(
        [row.known, row.total, row.completeness, row.status],
        [known, current.length, known / current.length, 'ok'],
        `victim.${f.name}: ${known} of ${current.length}`,
      );
    }
    t.ok(field('victim.ethnicity').completeness! < 1, 'not_known is not known…');
    t.ok(field('victim.religion').completeness! < 1);
    t.ok(field('victim.age').completeness! < 1, '…nor is a null');
    t.equal(field('victim.ethnicity').label, 'Ethnic group');
  });

  await t.test('analysts: small record counts and their complement are suppressed, and small field totals', async (t) => {
    const { body, service, field } = await fetchCompleteness(`area=${AREA}&period=2022-23`, analyst);
    t.match(body.disclosure, { applied: true, threshold: 5 });
    t.match(service('comp-vva').quarters[1], { submitted: true, version: 1, recordCount: null, status: 'suppressed' }, '3 records');
    const counts = body.services.flatMap((s: ServiceRow) => s.quarters.filter((q) => q.submitted));
    const hidden = counts.filter((q: Quarter) => q.status === 'suppressed');
    t.equal(hidden.length, 2, 'one more count hidden, else the total would give the 3 away');
    t.match(service('comp-idva').quarters[0], { recordCount: null, status: 'suppressed' }, 'the smallest other count');
    t.match(service('comp-vva').quarters[0], { status: 'ok' });
    near(t, service('comp-vva').quarters[0]!.recordCount, 12, 'comp-vva Q1');
    t.equal(
      service('comp-vva').quarters[0]!.recordCount,
      await referralsFor('service=comp-vva&period=2022-23-Q1'),
      "a return's record count is its quarter's referrals: the same records, the same published figure",
    );
    t.match(field('victim.age'), { known: null, status: 'suppressed' }, '4 ages not known: the total stays, the known count goes');
    near(t, field('victim.age').total, 21, 'the records in scope');
    t.equal(field('victim.age').total, await referralsFor(`area=${AREA}&period=2022-23`), 'the same published total as the aggregates');
    t.ok(
      service('comp-isva').quarters.every((q) => q.status === 'ok' && q.recordCount === null),
      'nothing to hide where nothing was submitted',
    );

    const small = await fetchCompleteness(`serviceType=vva&area=${AREA}&period=2022-23-Q2`, analyst);
    t.match(small.service('comp-vva').quarters[0], { recordCount: null, status: 'suppressed' });
    t.ok(
      small.body.fields.every((f: FieldRow) => f.status === 'suppressed' && f.known === null && f.total === null && f.completeness === null),
      'completeness over 3 records is suppressed',
    );

    const exact = await fetchCompleteness(`serviceType=vva&area=${AREA}&period=2022-23-Q2`);
    t.match(exact.service('comp-vva').quarters[0], { recordCount: 3, status: 'ok' });
    t.match(exact.field('victim.age'), { total: 3, status: 'ok' });
  });

  await t.test('a field where the known or unknown answers are few is suppressed for analysts', async (t) => {
    // comp-vva Q1: 12 records, 3 with ethnicity not_known (i = 0, 4, 8): 9 known, 3 not.
    const { field } = await fetchCompleteness(`serviceType=vva&area=${AREA}&period=2022-23-Q1`, analyst);
    t.match(field('victim.ethnicity'), { known: null, completeness: null, status: 'suppressed' });
    near(t, field('victim.ethnicity').total, 12, 'the records in scope');
    const sex = field('victim.sex');
    t.match(sex, { known: sex.total, completeness: 1, status: 'ok' }, 'every answer known: the same records, the same noise');
    near(t, sex.total, 12, 'the records in scope');
  });

  await t.test('nothing in scope', async (t) => {
    const { body } = await fetchCompleteness(`area=${AREA}&period=2019-20`, analyst);
    t.equal(body.services.length, 3);
    t.ok(body.fields.every((f: FieldRow) => f.status === 'not_available' && f.total === 0 && f.completeness === null));
    const none = await fetchCompleteness('serviceType=refuge&period=2022-23');
    t.same(none.body.services, []);
  });

  await t.test('bad requests and access', async (t) => {
    const get = (query: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url: `/v1/completeness?${query}`, headers });
    for (const query of ['period=2022-24', 'period=2022', '', 'from=2022-23-Q5', 'period=2022-23&area=Barnet']) {
      const res = await get(query);
      t.equal(res.statusCode, 400, `?${query}`);
      t.match(res.headers['content-type'], /application\/problem\+json/);
    }
    t.equal((await get('period=2022-23', {})).statusCode, 401);
    const provider = await createKey(app, 'provider', ['comp-vva']);
    t.equal((await get('period=2022-23', bearer(provider))).statusCode, 403);
  });
});

t.test('GET /v1/completeness: on time, late, missing and due against each reporting schedule', async (t) => {
  const app = await buildTestApp(t);
  const analyst = bearer(await createKey(app, 'analyst'));
  const area = 'E09000030';
  const register = async (id: string, schedule: Json = {}) => {
    const res = await app.inject({ method: 'POST', url: '/v1/services', headers: admin, payload: { id, name: id, serviceType: 'housing', area, ...schedule } });
    if (res.statusCode !== 201) throw new Error(`registering ${id}: ${res.statusCode} ${res.body}`);
  };
  const submit = async (service: string, period: string) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records: makeRecords(6, period) } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service} ${period}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; receivedAt: string };
  };
  const fetch = async (query: string, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'GET', url: `/v1/completeness?area=${area}&${query}`, headers });
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const timing = (id: string) =>
      body.services.find((s: { service: string }) => s.service === id).quarters.map((q: Json) => [q.period, q.expected, q.deadline, q.timeliness]);
    return { body, timing };
  };

  // Received on time in July 2022, then amended today: version 1 decides, so still on time.
  await register('tl-ontime', { expectedFrom: '2022-23-Q1', expectedUntil: '2022-23-Q2', deadlineDays: 30 });
  const first = await submit('tl-ontime', '2022-23-Q1');
  await app.db
    .update(returns)
    .set({ receivedAt: new Date('2022-07-10T12:00:00Z') })
    .where(eq(returns.id, first.id));
  const amendment = await submit('tl-ontime', '2022-23-Q1');
  // Due on the day the quarter ends: anything received since 2022 is late, a missing return long missing.
  await register('tl-late');
  const scheduled = await app.inject({
    method: 'PUT',
    url: '/v1/services/tl-late/schedule',
    headers: admin,
    payload: { expectedFrom: '2022-23-Q1', deadlineDays: 0 },
  });
  t.equal(scheduled.statusCode, 200);
  await submit('tl-late', '2022-23-Q1');
  // No schedule: expected from its first return on, inferred from its history.
  await register('tl-unscheduled');
  await submit('tl-unscheduled', '2022-23-Q2');
  // A return before its schedule starts is unscheduled rather than on time or late.
  await register('tl-early', { expectedFrom: '2022-23-Q3', expectedUntil: '2022-23-Q4' });
  await submit('tl-early', '2022-23-Q2');
  // No schedule and no return: nothing to infer, nothing expected.
  await register('tl-silent');

  await t.test('each quarter: expected, its deadline and timeliness', async (t) => {
    const { body, timing } = await fetch('period=2022-23');
    t.same(timing('tl-ontime'), [
      ['2022-23-Q1', true, '2022-07-30', 'on_time'],
      ['2022-23-Q2', true, '2022-10-30', 'missing'],
      ['2022-23-Q3', false, null, 'not_expected'],
      ['2022-23-Q4', false, null, 'not_expected'],
    ]);
    t.same(timing('tl-late'), [
      ['2022-23-Q1', true, '2022-06-30', 'late'],
      ['2022-23-Q2', true, '2022-09-30', 'missing'],
      ['2022-23-Q3', true, '2022-12-31', 'missing'],
      ['2022-23-Q4', true, '2023-03-31', 'missing'],
    ]);
    t.same(timing('tl-unscheduled'), [
      ['2022-23-Q1', false, null, 'not_expected'],
      ['2022-23-Q2', true, '2022-10-30', 'late'],
      ['2022-23-Q3', true, '2023-01-30', 'missing'],
      ['2022-23-Q4', true, '2023-04-30', 'missing'],
    ]);
    t.same(timing('tl-early'), [
      ['2022-23-Q1', false, null, 'not_expected'],
      ['2022-23-Q2', false, null, 'submitted_unscheduled'],
      ['2022-23-Q3', true, '2023-01-30', 'missing'],
      ['2022-23-Q4', true, '2023-04-30', 'missing'],
    ]);
    t.same(
      timing('tl-silent').map((q: unknown[]) => q[3]),
      ['not_expected', 'not_expected', 'not_expected', 'not_expected'],
    );
    const schedule = (id: string) => body.services.find((s: { service: string }) => s.service === id).schedule;
    t.same(schedule('tl-ontime'), { basis: 'schedule', expectedFrom: '2022-23-Q1', expectedUntil: '2022-23-Q2', deadlineDays: 30 });
    t.same(schedule('tl-silent'), { basis: 'none', expectedFrom: null, expectedUntil: null, deadlineDays: 30 });
    t.match(schedule('tl-unscheduled'), { basis: 'inferred', expectedFrom: '2022-23-Q2', expectedUntil: /^20[0-9]{2}-[0-9]{2}-Q[1-4]$/, deadlineDays: 30 });
    t.ok(schedule('tl-unscheduled').expectedUntil >= '2025-26-Q1', 'to the current quarter');
    const q1 = body.services.find((s: { service: string }) => s.service === 'tl-ontime').quarters[0];
    t.match(q1, { submitted: true, version: 2, receivedAt: amendment.receivedAt, firstReceivedAt: '2022-07-10T12:00:00.000Z', recordCount: 6 });
    t.match(body.services.find((s: { service: string }) => s.service === 'tl-late').quarters[1], { submitted: false, firstReceivedAt: null });
    t.same(body.timeliness, { expected: 11, expectedInferred: 3, onTime: 1, late: 2, missing: 8, due: 0, notExpected: 8, submittedUnscheduled: 1 });
  });

  await t.test('not yet due: the deadline has not passed', async (t) => {
    const { body, timing } = await fetch('period=2090-91-Q1');
    t.same(timing('tl-late'), [['2090-91-Q1', true, '2090-06-30', 'due']]);
    t.same(timing('tl-ontime'), [['2090-91-Q1', false, null, 'not_expected']], 'after the end of its schedule');
    t.same(timing('tl-unscheduled'), [['2090-91-Q1', false, null, 'not_expected']], 'an inferred schedule ends at the current quarter');
    t.same(body.timeliness, { expected: 1, expectedInferred: 0, onTime: 0, late: 0, missing: 0, due: 1, notExpected: 4, submittedUnscheduled: 0 });
  });

  await t.test('analysts see timeliness too: counts of returns, not of people', async (t) => {
    const { body, timing } = await fetch('period=2022-23', analyst);
    t.equal(timing('tl-ontime')[0][3], 'on_time');
    t.same(body.timeliness, { expected: 11, expectedInferred: 3, onTime: 1, late: 2, missing: 8, due: 0, notExpected: 8, submittedUnscheduled: 1 });
  });
});
