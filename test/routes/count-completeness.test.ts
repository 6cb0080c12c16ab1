/**
 * Count returns in completeness and the period list (contract 1.1 §5): a police force or helpline
 * that reports totals is expected, on time, late or missing against its schedule exactly as a
 * service that sends records, its history infers a schedule, and each quarter says what arrived.
 */
import { eq } from 'drizzle-orm';
import t from 'tap';
import { countReturns, returns } from '../../src/db/tables.js';
import { makeRecords } from '../support/records.js';
import { postCountReturn } from '../support/seed-counts.js';
import { admin, bearer, buildTestApp, createKey } from '../helper.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AREA = 'E09000015';

t.test('count returns in GET /v1/completeness and GET /v1/periods', async (t) => {
  const app = await buildTestApp(t);
  const analyst = bearer(await createKey(app, 'analyst'));
  const register = async (id: string, serviceType: string, schedule: Json = {}) => {
    const res = await app.inject({ method: 'POST', url: '/v1/services', headers: admin, payload: { id, name: id, serviceType, area: AREA, ...schedule } });
    if (res.statusCode !== 201) throw new Error(`registering ${id}: ${res.statusCode} ${res.body}`);
  };
  const incidents = (value: number, areas = [AREA]) => areas.map((area) => ({ measure: 'police_da_incidents', area, value }));
  const backdate = (table: typeof returns | typeof countReturns, id: string, iso: string) =>
    app.db
      .update(table)
      .set({ receivedAt: new Date(iso) })
      .where(eq(table.id, id));
  const completeness = async (query: string, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'GET', url: `/v1/completeness?area=${AREA}&${query}`, headers });
    t.equal(res.statusCode, 200, res.body);
    return res.json() as Json;
  };
  const quartersOf = (body: Json, id: string) => body.services.find((s: Json) => s.service === id).quarters as Json[];

  // A force due 30 days after each quarter: Q1 sent in July 2022 and amended today (version 1 decides),
  // Q2 sent today (late), Q3 and Q4 never (missing).
  await register('cc-police', 'police', { expectedFrom: '2022-23-Q1', expectedUntil: '2022-23-Q4', deadlineDays: 30 });
  const first = await postCountReturn(app, admin, 'cc-police', '2022-23-Q1', incidents(410));
  await backdate(countReturns, first.id, '2022-07-10T12:00:00Z');
  const amended = await postCountReturn(app, admin, 'cc-police', '2022-23-Q1', [
    ...incidents(412),
    { measure: 'police_da_offences', area: AREA, value: 250 },
    { measure: 'police_da_sanction_detections', area: AREA, value: 31 },
  ]);
  await postCountReturn(app, admin, 'cc-police', '2022-23-Q2', incidents(398));
  // A helpline with no schedule: its count returns are the history a schedule is inferred from.
  await register('cc-helpline', 'helpline');
  await postCountReturn(app, admin, 'cc-helpline', '2022-23-Q2', [
    { measure: 'helpline_calls', area: AREA, value: 3 },
    { measure: 'helpline_calls', area: 'E09000001', value: 2 },
  ]);
  // A service that sends both: its records, and counts it keeps as totals; the earlier version 1 decides.
  await register('cc-both', 'advocacy_counselling', { expectedFrom: '2022-23-Q1', expectedUntil: '2022-23-Q1', deadlineDays: 30 });
  const counted = await postCountReturn(app, admin, 'cc-both', '2022-23-Q1', [{ measure: 'helpline_calls', area: AREA, value: 40 }]);
  await backdate(countReturns, counted.id, '2022-07-01T09:00:00Z');
  const recorded = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'cc-both', period: '2022-23-Q1', records: makeRecords(12, '2022-23-Q1') },
  });
  t.equal(recorded.statusCode, 201, recorded.body);

  await t.test('a count return is a submission: kind, version, cell count and timeliness', async (t) => {
    const body = await completeness('period=2022-23');
    const police = quartersOf(body, 'cc-police');
    t.same(
      police.map((q) => [q.period, q.submitted, q.kind, q.version, q.cellCount, q.recordCount, q.timeliness]),
      [
        ['2022-23-Q1', true, 'counts', 2, 3, null, 'on_time'],
        ['2022-23-Q2', true, 'counts', 1, 1, null, 'late'],
        ['2022-23-Q3', false, null, null, null, null, 'missing'],
        ['2022-23-Q4', false, null, null, null, null, 'missing'],
      ],
    );
    t.equal(police[0]!.firstReceivedAt, '2022-07-10T12:00:00.000Z', 'version 1 decides timeliness');
    const [current] = await app.db.select({ receivedAt: countReturns.receivedAt }).from(countReturns).where(eq(countReturns.id, amended.id));
    t.equal(police[0]!.receivedAt, current!.receivedAt.toISOString(), 'receivedAt is the current version’s');

    const helpline = body.services.find((s: Json) => s.service === 'cc-helpline');
    t.match(helpline.schedule, { basis: 'inferred', expectedFrom: '2022-23-Q2' }, 'inferred from the count returns');
    t.same(
      helpline.quarters.map((q: Json) => [q.kind, q.cellCount, q.timeliness]),
      [
        [null, null, 'not_expected'],
        ['counts', 2, 'late'],
        [null, null, 'missing'],
        [null, null, 'missing'],
      ],
    );

    const both = quartersOf(body, 'cc-both')[0]!;
    t.match(both, { submitted: true, kind: 'records_and_counts', recordCount: 12, cellCount: 1, timeliness: 'on_time' });
    t.equal(both.firstReceivedAt, '2022-07-01T09:00:00.000Z', 'the count return came first');
    t.equal(both.receivedAt, recorded.json().receivedAt, 'version and receivedAt are the record return’s');
    t.same(body.timeliness, { expected: 8, expectedInferred: 3, onTime: 2, late: 2, missing: 4, due: 0, notExpected: 4, submittedUnscheduled: 0 });
  });

  await t.test('analysts: cell counts are exact (cells, not people) and never suppressed', async (t) => {
    const body = await completeness('period=2022-23', analyst);
    const police = quartersOf(body, 'cc-police');
    t.same(
      police.map((q) => [q.kind, q.cellCount, q.recordCount, q.status]),
      [
        ['counts', 3, null, 'ok'],
        ['counts', 1, null, 'ok'],
        [null, null, null, 'ok'],
        [null, null, null, 'ok'],
      ],
    );
    t.equal(quartersOf(body, 'cc-helpline')[1]!.cellCount, 2, 'two cells, a count of 3 and one of 2, not shown');
    t.equal(quartersOf(body, 'cc-both')[0]!.cellCount, 1);
    t.notMatch(JSON.stringify(body), /"value"/, 'no count value is published through completeness');
  });

  await t.test('CSV: kind and cellCount columns', async (t) => {
    const res = await app.inject({ method: 'GET', url: `/v1/completeness?area=${AREA}&period=2022-23-Q1&format=csv`, headers: admin });
    t.equal(res.statusCode, 200);
    const [header, ...lines] = res.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    const columns = header!.split(',');
    const row = (service: string) => {
      const cells = lines.find((l) => l.startsWith(`services,${service},`))!.split(',');
      return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
    };
    t.match(row('cc-police'), { kind: 'counts', cellCount: '3', recordCount: '', timeliness: 'on_time' });
    t.match(row('cc-both'), { kind: 'records_and_counts', cellCount: '1', recordCount: '12' });
  });

  await t.test('GET /v1/periods lists quarters with count returns and counts them apart', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/periods?from=2022-23-Q1&to=2022-23-Q4', headers: analyst });
    t.equal(res.statusCode, 200);
    t.same(
      res.json().items.map((p: Json) => [p.period, p.servicesSubmitted, p.versions, p.countReturnServices, p.countReturnVersions]),
      [
        ['2022-23-Q1', 1, 1, 2, 3],
        ['2022-23-Q2', 0, 0, 2, 2],
      ],
    );
  });
});
