/**
 * Validation messages a provider can act on, through POST /v1/returns as JSON and as CSV: the
 * expected form in words (`a date as YYYY-MM-DD`), the code a label was meant to be, the period a
 * return was probably meant for, and never what was sent: not in the answer, a log, an
 * Idempotency-Key's stored answer or a job (`vawg validate` shows excerpts offline, to the file's holder).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp, type App } from '../../src/app.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, buildTestApp, LogCapture, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';

type Problem = { pointer?: string; parameter?: string; code: string; detail: string };

const PERIOD = '2023-24-Q1';
/** A value that can only be found somewhere if what was sent leaked there. */
const marker = `Hi${randomBytes(3).toString('hex').toUpperCase()}gh`;

function victimWith(i: number, overrides: Record<string, unknown>) {
  const base = makeRecord(i, PERIOD);
  return { ...base, victim: { ...(base.victim as object), ...overrides } };
}

function byPointer(problems: Problem[], pointer: string): Problem {
  const found = problems.find((p) => p.pointer === pointer);
  if (!found) throw new Error(`no problem at ${pointer}: ${problems.map((p) => p.pointer).join(', ')}`);
  return found;
}

async function textOf(app: App, table: 'idempotency_keys' | 'jobs' | 'audit_events'): Promise<string> {
  const result = await app.db.execute(sql.raw(`select coalesce(string_agg(t::text, '\n'), '') as text from ${table} t`));
  return String((result as unknown as { rows: Array<{ text: string }> }).rows[0]!.text);
}

t.test('validation messages', async (t) => {
  const backend = selectedBackend();
  const databaseUrl = backend === 'postgres' ? await postgresDatabase(t) : undefined;
  const logs = new LogCapture();
  // Debug level: whatever the app logs about a rejected return is captured.
  const app = await buildApp(testConfig({ databaseUrl, logLevel: 'debug' }), { logStream: logs });
  await app.ready();
  t.teardown(() => app.close());
  await registerService(app, 'col-vva', 'vva');

  const submitJson = (records: unknown[], headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/returns', headers: { ...admin, ...headers }, payload: { service: 'col-vva', period: PERIOD, records } });
  const submitCsv = (records: unknown[], headers: Record<string, string> = {}, period = PERIOD) =>
    app.inject({
      method: 'POST',
      url: `/v1/returns?service=col-vva&period=${period}`,
      headers: { ...admin, 'content-type': 'text/csv', ...headers },
      payload: recordsToCsv(records),
    });

  await t.test('JSON: the form a date takes and the code a label means', async (t) => {
    const records = makeRecords(5, PERIOD);
    records[0] = makeRecord(0, PERIOD, { referralDate: '31/05/2023' });
    records[1] = makeRecord(1, PERIOD, { riskLevel: 'High' });
    records[2] = victimWith(2, { ethnicity: 'White British', age: 130 });
    records[3] = makeRecord(3, PERIOD, { category: 'vawg', vawgTypes: ['Domestic Abuse'], childrenInHousehold: '2' });
    const res = await submitJson(records);
    t.equal(res.statusCode, 422, res.body);
    const problems = res.json().errors as Problem[];
    t.equal(byPointer(problems, '/records/0/referralDate').detail, 'must be a date as YYYY-MM-DD, e.g. 2023-05-31');
    t.notMatch(JSON.stringify(problems), /must match format/, 'never the schema keyword');
    t.match(byPointer(problems, '/records/1/riskLevel').detail, /^did you mean high\? Give the code, not its label /);
    t.match(byPointer(problems, '/records/2/victim/ethnicity').detail, /^did you mean white_british\? .*must be one of: white_british, /);
    t.equal(byPointer(problems, '/records/2/victim/age').detail, 'must be a whole number from 0 to 120');
    t.match(byPointer(problems, '/records/3/vawgTypes/0').detail, /^did you mean domestic_abuse\?/);
    t.equal(byPointer(problems, '/records/3/childrenInHousehold').detail, 'must be a whole number from 0 to 30 (a JSON number, not text)');
    t.notMatch(res.body, /you sent|31\/05\/2023|White British|Domestic Abuse/, 'nothing that was sent is quoted back');
  });

  await t.test('CSV: the same messages, by row and column', async (t) => {
    const records = makeRecords(6, PERIOD);
    records[0] = makeRecord(0, PERIOD, { referralDate: '05/31/2023' });
    records[2] = makeRecord(2, PERIOD, { riskLevel: 'HIGH', childrenInHousehold: 'two' });
    records[4] = victimWith(4, { ethnicity: 'white british' });
    const res = await submitCsv(records);
    t.equal(res.statusCode, 422, res.body);
    const problems = res.json().errors as Problem[];
    t.same(
      problems.map((p) => p.pointer),
      ['row 2, column referralDate', 'row 4, column childrenInHousehold', 'row 4, column riskLevel', 'row 6, column victim.ethnicity'],
    );
    t.equal(byPointer(problems, 'row 2, column referralDate').detail, 'must be a date as YYYY-MM-DD, e.g. 2023-05-31');
    t.equal(byPointer(problems, 'row 4, column childrenInHousehold').detail, 'must be a whole number from 0 to 30');
    t.match(byPointer(problems, 'row 4, column riskLevel').detail, /^did you mean high\? /);
    t.match(byPointer(problems, 'row 6, column victim.ethnicity').detail, /^did you mean white_british\? /);
    t.notMatch(res.body, /you sent|05\/31\/2023|HIGH|white british|"two"/, 'nothing that was sent is quoted back');
  });

  await t.test('neither a linkage key nor an identifier nor a coded value is quoted, even a long or hostile one', async (t) => {
    const long = `${marker} risk\u202E\u0085 with\tmore text than anyone needs`;
    const slk = 'ZZTOP010119802X';
    const res = await submitJson([
      { ...victimWith(0, { linkage: { slk581: slk } }), riskLevel: long },
      makeRecord(1, PERIOD, { referralId: 'NAME SURNAME' }),
      makeRecord(2, PERIOD, { onwardReferrals: [{ serviceType: 'idva', service: 'Not A Service' }] }),
    ]);
    t.equal(res.statusCode, 422, res.body);
    const problems = res.json().errors as Problem[];
    const risk = byPointer(problems, '/records/0/riskLevel').detail;
    t.match(risk, /^must be one of: /);
    t.notOk(risk.includes(marker) || risk.includes('\u202E') || risk.includes('\t'));
    const slkProblem = byPointer(problems, '/records/0/victim/linkage/slk581');
    t.match(slkProblem.detail, /^must be an SLK-581: 14 characters/);
    t.notMatch(slkProblem.detail, /you sent|\^|ZZTOP/, 'neither the value nor the pattern');
    t.equal(byPointer(problems, '/records/1/referralId').detail, 'may hold only letters, digits and . _ : / -, starting with a letter or digit');
    t.match(byPointer(problems, '/records/2/onwardReferrals/0/service').detail, /^must be a service id/);
    const text = JSON.stringify(res.json());
    for (const value of [slk, 'ZZTOP', 'NAME SURNAME', 'Not A Service']) t.notOk(text.includes(value), `${value} is not quoted back`);
  });

  await t.test('every referral date outside the period: the period is probably wrong', async (t) => {
    // Q3 referrals sent as Q1.
    const records = makeRecords(8, '2023-24-Q3');
    for (const res of [await submitJson(records), await submitCsv(records)]) {
      t.equal(res.statusCode, 422);
      const summary = (res.json().errors as Problem[]).filter((p) => p.code === 'period_probably_wrong');
      t.equal(summary.length, 1, 'one summary problem');
      t.match(summary[0]!.detail, /^every referralDate is outside 2023-24-Q1, the period given: the referrals all fall in 2023-24-Q3\. Is the period right\?/);
    }
  });

  await t.test('with an Idempotency-Key the answer is stored and replays the same, quoting nothing', async (t) => {
    const records = [makeRecord(0, PERIOD, { riskLevel: marker, referralDate: '31/05/2023' })];
    const first = await submitJson(records, { 'idempotency-key': 'echo-json' });
    t.equal(first.statusCode, 422);
    const problems = first.json().errors as Problem[];
    t.equal(byPointer(problems, '/records/0/referralDate').detail, 'must be a date as YYYY-MM-DD, e.g. 2023-05-31', 'the expected form, without what was sent');
    t.notOk(first.body.includes(marker));
    const replay = await submitJson(records, { 'idempotency-key': 'echo-json' });
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.same(replay.json().errors, first.json().errors, 'the replay is the first answer');

    const csv = await submitCsv(records, { 'idempotency-key': 'echo-csv' });
    t.equal(csv.statusCode, 422);
    t.notOk(csv.body.includes(marker));
    t.notOk((await textOf(app, 'idempotency_keys')).includes(marker), 'no excerpt in stored answers');
  });

  await t.test('nothing that was sent reaches the answer, the log, the audit trail or the stored answers', async (t) => {
    const records = [makeRecord(0, PERIOD, { riskLevel: marker })];
    for (const res of [await submitJson(records), await submitCsv(records)]) {
      t.equal(res.statusCode, 422);
      t.notOk(res.body.includes(marker), 'not the answer');
    }
    t.ok(logs.lines.length > 0, 'the app logged');
    t.notOk(logs.text.includes(marker), 'the log does not');
    for (const table of ['idempotency_keys', 'jobs', 'audit_events'] as const) t.notOk((await textOf(app, table)).includes(marker), `nor ${table}`);
  });
});

t.test('a return processed as a job keeps no excerpt in its result', async (t) => {
  const logs = new LogCapture();
  const app = await buildTestApp(t, { config: { asyncReturnBytes: 2048, logLevel: 'debug' }, logs });
  await registerService(app, 'col-vva', 'vva');
  const records = makeRecords(30, PERIOD);
  records[7] = makeRecord(7, PERIOD, { riskLevel: marker, referralDate: '31/05/2023' });
  const res = await app.inject({
    method: 'POST',
    url: `/v1/returns?service=col-vva&period=${PERIOD}`,
    headers: { ...admin, 'content-type': 'text/csv' },
    payload: recordsToCsv(records),
  });
  t.equal(res.statusCode, 202, res.body);
  let job = res.json();
  for (let i = 0; i < 200 && (job.status === 'queued' || job.status === 'running'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    job = (await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: admin })).json();
  }
  t.equal(job.status, 'failed');
  t.equal(job.result.status, 422);
  const problems = job.result.body.errors as Problem[];
  t.equal(byPointer(problems, 'row 9, column referralDate').detail, 'must be a date as YYYY-MM-DD, e.g. 2023-05-31', 'the expected form');
  t.match(byPointer(problems, 'row 9, column riskLevel').detail, /^must be one of: /);
  t.notOk(JSON.stringify(job).includes(marker), 'not what was sent');
  t.notOk((await textOf(app, 'jobs')).includes(marker), 'nor in the jobs table');
  t.ok(logs.lines.length > 0, 'the app logged');
  t.notOk(logs.text.includes(marker), 'nor in the log');
});
