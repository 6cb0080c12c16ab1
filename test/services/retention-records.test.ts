/**
 * Retention by period (issue 17): once the end of a return's financial year is more than
 * VAWG_RETENTION_YEARS ago, its records (every version), their linkage tokens, perpetrator keys,
 * person links, analytic rows, state and updates are deleted, the people they were in are matched
 * again, and the return's row stays, marked, so aggregates, indicators, overlaps and completeness
 * say which quarters are no longer held; figures for the kept quarters are unchanged. Stale
 * uploads and expired idempotency responses go too. Then, on PostgreSQL, the daily schedule:
 * two instances on one database at the configured time apply it once.
 */
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import type { App } from '../../src/app.js';
import { buildApp } from '../../src/app.js';
import { ConfigError, parseEnv, resolveUploadDir } from '../../src/config.js';
import { runRetentionCommand } from '../../src/cli/retention-command.js';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { DEFAULT_THRESHOLD } from '../../src/services/linkage/match-threshold.js';
import { applyRetention, planRetention } from '../../src/services/retention.js';
import { firstKeptFinancialYear } from '../../src/services/retention-limits.js';
import { nextRunAt, parseTimeOfDay } from '../../src/services/retention-schedule.js';
import { admin, bearer, createKey, LINKAGE_SECRET, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import { everyRow, rowsOf } from '../support/database-rows.js';
import { makeRecord, makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Fixed, so the test reads the same whenever it runs: with six years, 2019-20 (ended 31 March 2020) is past the limit, 2020-21 is not.
const NOW = new Date('2026-12-01T12:00:00Z');
const LIMITS = { jobDays: 30, recordYears: 6, uploadHours: 24 };
const OLD = '2019-20-Q3';
const OLD_Q4 = '2019-20-Q4';
const KEPT = '2020-21-Q1';
const KEPT_LATER = '2021-22-Q1';
const mary = computeSlk581({ familyName: 'Smith', givenName: 'Mary', birthDate: '1980-01-05', sex: 'female' });
// Nobody else shares her name or birth date, and she is only in the expired quarter: nothing of her may be left.
const ottoline = computeSlk581({ familyName: 'Xqzvkw', givenName: 'Ottoline', birthDate: '1931-07-13', sex: 'female' });
const peter = computeSlk581({ familyName: 'Qwyxzo', givenName: 'Peregrine', birthDate: '1975-03-09', sex: 'male' });
const ATTRIBUTES = { ethnicity: 'black_caribbean', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' };

function keyed(i: number, period: string, referralId: string, slk581: string, perpetrator?: string): Json {
  const record = makeRecord(i, period, { referralId }) as Json;
  return {
    ...record,
    victim: { ...record.victim, ...ATTRIBUTES, linkage: { slk581 } },
    ...(perpetrator ? { perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: 47, linkage: { slk581: perpetrator } }] } : {}),
  };
}

t.test('the next run of a daily time', async (t) => {
  const at = parseTimeOfDay('02:30');
  t.same(nextRunAt(at, new Date('2026-12-01T01:00:00Z')), new Date('2026-12-01T02:30:00Z'), 'later today');
  t.same(nextRunAt(at, new Date('2026-12-01T02:30:00Z')), new Date('2026-12-02T02:30:00Z'), 'at the time itself: tomorrow');
  t.same(nextRunAt(at, new Date('2026-12-31T23:59:00Z')), new Date('2027-01-01T02:30:00Z'), 'over the year end');
  t.same(nextRunAt(parseTimeOfDay('00:00:05'), new Date('2026-12-01T00:00:04Z')), new Date('2026-12-01T00:00:05Z'), 'to the second');
  t.throws(() => parseTimeOfDay('24:00'));
  t.equal(firstKeptFinancialYear(6, new Date('2026-04-01T00:00:00Z')), '2019-20', '2019-20 ended six years ago to the day: kept');
  t.equal(firstKeptFinancialYear(6, new Date('2026-04-01T00:00:01Z')), '2020-21', 'a moment later it is past the limit');
  t.equal(firstKeptFinancialYear(undefined, NOW), null, 'no limit: kept for ever');
  t.throws(() => parseEnv({ VAWG_RETENTION_DAILY_AT: '03:00' }), ConfigError, 'no schedule on the embedded database');
  t.throws(() => parseEnv({ VAWG_RETENTION_DAILY_AT: '3am', DATABASE_URL: 'postgres://x/y', VAWG_LINKAGE_SECRET: LINKAGE_SECRET }), ConfigError);
  t.match(parseEnv({ VAWG_RETENTION_YEARS: '7' }), { VAWG_RETENTION_YEARS: 7, VAWG_UPLOAD_RETENTION_HOURS: 24 });
});

t.test('records past the retention period are gone, their quarters no longer held, the kept figures unchanged', async (t) => {
  const databaseUrl = selectedBackend() === 'postgres' ? await postgresDatabase(t) : undefined;
  const uploadDir = resolveUploadDir('memory://');
  const app = await buildApp(testConfig({ databaseUrl, uploadDir }));
  await app.ready();
  t.teardown(() => app.close());
  await registerService(app, 'rr-vva', 'vva');
  await registerService(app, 'rr-idva', 'idva');
  const submit = async (payload: Json, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers, payload: { datasetVersion: '1.1.0', ...payload } });
    t.equal(res.statusCode, 201, `${payload.service} ${payload.period}: ${res.body.slice(0, 300)}`);
    return res.json() as Json;
  };
  // In the expired year, only Mary (and Ottoline) has a linkage key: a kept person whose records were
  // linked through expired ones is matched again without them and may be split or joined otherwise
  // (that is linkage, not retention), so the kept quarters' people counts could move for a reason
  // of their own. Mary's kept records link directly.
  const keptPeople = generatePopulation({ people: 40, seed: 17, services: ['rr-vva', 'rr-idva'] });
  const others = (service: string, period: string) =>
    period < '2020-21'
      ? Array.from({ length: service === 'rr-vva' ? 30 : 25 }, (_, i) => makeRecord(i, period))
      : keptPeople.records.filter((r) => r.service === service).map((r) => makeSyntheticRecord(r, period));
  const oldVva = [keyed(9001, OLD, 'MARY-V0', mary, peter), keyed(9002, OLD, 'OTTO-1', ottoline), ...others('rr-vva', OLD)];
  const superseded = await submit({ service: 'rr-vva', period: OLD, records: oldVva }, { ...admin, 'idempotency-key': 'rr-1' });
  await submit({ service: 'rr-vva', period: OLD, records: oldVva.slice(0, -2) });
  await submit({ service: 'rr-idva', period: OLD, records: [keyed(9003, OLD, 'MARY-I0', mary, peter), ...others('rr-idva', OLD)] });
  await submit({ service: 'rr-idva', period: OLD_Q4, records: others('rr-idva', OLD_Q4).slice(0, 8) });
  // A kept quarter's return carries an update of a referral of the expired year: it goes with it.
  // It closes the referral in the expired year: a closure in a kept quarter of an expired referral
  // would leave the kept quarters' closure figures with it, as it is no longer held either.
  const keptIdva = await submit({
    service: 'rr-idva',
    period: KEPT,
    records: [keyed(9004, KEPT, 'MARY-I1', mary, peter), ...others('rr-idva', KEPT)],
    updates: [
      { referralId: 'MARY-I0', referralPeriod: OLD, closure: { closedDate: '2020-05-01', reason: 'support_completed', riskReduced: true, feelsSafer: null } },
    ],
  });
  await submit({ service: 'rr-vva', period: KEPT, records: [keyed(9005, KEPT, 'MARY-V1', mary, peter), ...others('rr-vva', KEPT)] });
  await submit({ service: 'rr-vva', period: KEPT_LATER, records: others('rr-vva', KEPT_LATER) });

  // Persons as a full match forms them, not as the returns' incremental runs happened to leave them:
  // the re-match after retention is then compared with a settled state.
  const relinked = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
  t.equal(relinked.statusCode, 200, relinked.body.slice(0, 200));
  const personOf = async (referralId: string) =>
    (
      await rowsOf(
        app,
        sql`select person_id from records r join returns ret on ret.id = r.return_id where r.referral_id = ${referralId} and ret.superseded_at is null`,
      )
    )[0]?.person_id as number | undefined;
  t.equal(await personOf('MARY-V0'), await personOf('MARY-I1'), 'Mary is one person across the expired and the kept quarters before');
  const oldIds = (await rowsOf(app, sql`select id from records where period < '2020-21'`)).map((r) => Number(r.id));
  const idList = sql.join(
    oldIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const otto = (
    await rowsOf(app, sql`select victim_linkage_slk581_token as key, linkage_family as family from records where referral_id = 'OTTO-1' limit 1`)
  )[0]!;
  t.ok(oldIds.length > 40 && otto.family, 'there are records to expire');
  t.ok((await everyRow(app)).includes(otto.family), 'the dump finds her tokens before');
  const analyst = await createKey(app, 'analyst');

  const read = async (url: string, headers = admin) => {
    const res = await app.inject({ method: 'GET', url, headers });
    t.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
    return res.json() as Json;
  };
  const kept = {
    referrals: `/v1/aggregates?from=${KEPT}&to=${KEPT_LATER}&groupBy=period,service`,
    people: `/v1/aggregates?period=${KEPT}&measure=people&groupBy=service`,
    indicators: `/v1/indicators?period=${KEPT}`,
    overlaps: `/v1/overlaps?period=${KEPT}`,
  };
  // Exact (admin) figures: a people count's cell key is summed over its persons' records, so an
  // analyst's noise on it moves when a person loses expired records, though the count does not.
  const keptBefore = Object.fromEntries(await Promise.all(Object.entries(kept).map(async ([name, url]) => [name, await read(url)])));
  const analystReferralsBefore = await read(kept.referrals, bearer(analyst));
  const oldBefore = await read(`/v1/aggregates?period=2019-20&groupBy=period`);
  t.ok(oldBefore.totals.overall.value > 0 && oldBefore.period.noLongerHeld === undefined, 'the expired year counts before, and is held');

  // Uploads: one stale, one stale but a queued job's, one fresh.
  await mkdir(uploadDir, { recursive: true });
  const dayAgo = new Date(NOW.getTime() - 25 * 3_600_000);
  for (const name of ['stale.upload', 'queued.upload', 'fresh.upload']) await writeFile(path.join(uploadDir, name), 'slk581\n');
  for (const name of ['stale.upload', 'queued.upload']) await utimes(path.join(uploadDir, name), dayAgo, dayAgo);
  await app.db.execute(sql`insert into jobs (kind, status, payload) values ('submit-return', 'queued', ${JSON.stringify({ upload: 'queued.upload' })}::jsonb)`);
  // The idempotency response expired (its own TTL).
  await app.db.execute(sql`update idempotency_keys set expires_at = ${new Date(NOW.getTime() - 3_600_000).toISOString()}::timestamptz`);

  const options = { now: NOW, uploadDir };
  const plan = await planRetention(app.db, LIMITS, options);
  const oldRecords = oldIds.length;
  t.same(
    plan,
    {
      supersededReturns: 0,
      supersededRecords: 0,
      expiredPeriodReturns: 4,
      expiredPeriodRecords: oldRecords,
      expiredPeriodUpdates: 1,
      jobs: 0,
      idempotencyKeys: 1,
      auditEvents: 0,
      uploads: 1,
    },
    'the plan counts the expired quarters, their update, the stale upload and the expired response',
  );
  t.equal((await rowsOf(app, sql`select count(*)::int as n from records where period < '2020-21'`))[0]!.n, oldRecords, 'a plan deletes nothing');

  const applied = await applyRetention(app.db, LIMITS, { ...options, settings: { threshold: DEFAULT_THRESHOLD } });
  t.same(applied, plan, 'it deletes what it counted');

  const none = async (what: string, query: ReturnType<typeof sql>) => t.same(await rowsOf(app, query), [], what);
  await none('no record of the expired year is left (nor their linkage tokens)', sql`select id from records where period < '2020-21'`);
  await none('nor their analytic rows', sql`select id from analytic_records where period < '2020-21' or id in (${idList})`);
  await none('nor their person links', sql`select record_a from person_links where record_a in (${idList}) or record_b in (${idList})`);
  await none('nor their perpetrator keys', sql`select id from perpetrator_keys where record_id in (${idList})`);
  await none('nor their state', sql`select record_id from referral_states where record_id in (${idList})`);
  await none('nor the update naming one of them, carried by a kept return', sql`select id from record_updates where referral_period < '2020-21'`);
  await none('nor the expired idempotency response', sql`select key from idempotency_keys`);
  t.notOk((await everyRow(app)).includes(otto.family) || (await everyRow(app)).includes(otto.key), 'no table holds her tokens');
  t.same((await readdir(uploadDir)).sort(), ['fresh.upload', 'queued.upload'], 'the stale upload is gone; a queued job’s and a fresh one stay');

  const marked = await rowsOf(app, sql`select id, record_count, records_deleted_at from returns where period < '2020-21' order by received_at`);
  t.equal(marked.length, 4, 'the returns stay');
  t.ok(
    marked.every((r) => r.records_deleted_at !== null),
    'marked no longer held',
  );
  t.equal(marked[0]!.record_count, superseded.recordCount, 'with their record counts');
  const [keptReturn] = await rowsOf(app, sql`select records_deleted_at from returns where id = ${keptIdva.id}`);
  t.equal(keptReturn!.records_deleted_at, null, 'a kept return is not marked');
  t.ok((await personOf('MARY-I1')) !== undefined && (await personOf('MARY-I1')) === (await personOf('MARY-V1')), 'Mary’s kept records are still one person');

  // Figures that read referrals received in other quarters lose the expired ones, as those are not
  // held: repeats found by linkage look back twelve months (Mary's kept referrals were repeats of
  // her expired ones), a closure in a kept quarter of an expired referral (the update above) no
  // longer counts, nor do expired referrals still open at the kept quarter's end.
  const otherQuarters = new Set(['repeatReferralsLinked', 'repeatReferralRateLinked', 'closures', 'riskReducedRate', 'openCasesAtPeriodEnd']);
  const ofKeptQuarters = (body: Json) =>
    body.indicators ? { ...body, indicators: (body.indicators as Json[]).filter((i) => !otherQuarters.has(i.id)) } : body;
  const figure = (body: Json, id: string) => (body.indicators as Json[]).find((i) => i.id === id)!.value as number;
  const indicatorsAfter = await read(kept.indicators);
  t.equal(
    figure(indicatorsAfter, 'closures'),
    figure(keptBefore.indicators, 'closures') - 1,
    'the expired referral closed in the kept quarter no longer counts',
  );
  t.ok(figure(indicatorsAfter, 'openCasesAtPeriodEnd') < figure(keptBefore.indicators, 'openCasesAtPeriodEnd'), 'nor do expired referrals still open');
  for (const [name, url] of Object.entries(kept))
    t.same(ofKeptQuarters(await read(url)), ofKeptQuarters(keptBefore[name]), `the kept quarters' ${name} are unchanged`);
  t.same(await read(kept.referrals, bearer(analyst)), analystReferralsBefore, "and an analyst's referral counts, noise and all");

  const year = await read(`/v1/aggregates?period=2019-20&groupBy=period`);
  t.same(year.period.noLongerHeld, [OLD, OLD_Q4], 'the expired quarters are named as no longer held');
  const span = await read(`/v1/aggregates?from=${OLD_Q4}&to=${KEPT}&groupBy=period`);
  t.same(span.period.noLongerHeld, [OLD_Q4], 'a range naming only the expired quarters it covers');
  t.same((await read(`/v1/indicators?period=2019-20`)).period.noLongerHeld, [OLD, OLD_Q4], 'indicators say so');
  t.same((await read(`/v1/overlaps?period=2019-20`)).period.noLongerHeld, [OLD, OLD_Q4], 'overlaps say so');
  t.same((await read(`/v1/aggregates?period=2019-20&measure=people`)).period.noLongerHeld, [OLD, OLD_Q4], 'people counts say so');
  t.notOk('noLongerHeld' in (await read(kept.referrals)).period, 'a scope of kept quarters says nothing of it');

  const completeness = await read(`/v1/completeness?period=2019-20`);
  t.same(completeness.period.noLongerHeld, [OLD, OLD_Q4]);
  const vvaOld = (completeness.services as Json[]).find((s) => s.service === 'rr-vva')!.quarters.find((q: Json) => q.period === OLD);
  t.match(
    vvaOld,
    { submitted: true, kind: 'records', version: 2, recordCount: oldVva.length - 2, recordsDeletedAt: String },
    'completeness: received, and no longer held',
  );
  const vvaQ1 = (completeness.services as Json[]).find((s) => s.service === 'rr-vva')!.quarters.find((q: Json) => q.period === '2019-20-Q1');
  t.notOk('recordsDeletedAt' in vvaQ1, 'a quarter never received is not "no longer held"');
  const forAnalyst = await read(`/v1/completeness?period=2019-20`, bearer(analyst));
  const analystOld = (forAnalyst.services as Json[]).find((s) => s.service === 'rr-vva')!.quarters.find((q: Json) => q.period === OLD);
  t.match(analystOld, { submitted: true, recordCount: null, recordsDeletedAt: String }, 'an analyst is not given a count nothing is left to protect');
  t.notOk(
    ((await read(`/v1/completeness?period=${KEPT}`)).services as Json[]).some((s) => s.quarters.some((q: Json) => 'recordsDeletedAt' in q)),
    'kept quarters are held',
  );

  const [event] = await rowsOf(app, sql`select detail from audit_events where action = 'retention.applied'`);
  t.match(
    event!.detail,
    { expiredPeriodReturns: 4, expiredPeriodRecords: oldRecords, expiredPeriodUpdates: 1, uploads: 1, limits: LIMITS },
    'one audit event, counts only',
  );
  t.same(
    await planRetention(app.db, LIMITS, options),
    { ...plan, expiredPeriodReturns: 0, expiredPeriodRecords: 0, expiredPeriodUpdates: 0, idempotencyKeys: 0, uploads: 0 },
    'nothing left past its limit',
  );

  // A later version of an expired quarter is held until the next run, then goes the same way.
  await submit({ service: 'rr-idva', period: OLD_Q4, records: others('rr-idva', OLD_Q4).slice(0, 3) });
  t.notOk('noLongerHeld' in (await read(`/v1/aggregates?period=${OLD_Q4}`)).period, 'a new version for an expired quarter is held');
  t.match(await applyRetention(app.db, LIMITS, options), { expiredPeriodReturns: 1, expiredPeriodRecords: 3 });
  t.same((await read(`/v1/aggregates?period=${OLD_Q4}`)).period.noLongerHeld, [OLD_Q4]);

  if (databaseUrl) {
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } } as never;
    const env = { DATABASE_URL: databaseUrl, VAWG_LINKAGE_SECRET: LINKAGE_SECRET, VAWG_RETENTION_YEARS: '6', LOG_LEVEL: 'silent' };
    t.equal(await runRetentionCommand(['--dry-run'], io, env), 0, out.join(''));
    t.match(
      out.join(''),
      /returns of periods past the retention period: 0 \(0 records, 0 updates\)[\s\S]*stale uploads: 0/,
      'vawg retention prints the new counts',
    );
  }
});

t.test('the daily schedule: two instances on one database apply retention once', { skip: selectedBackend() !== 'postgres' && 'PostgreSQL only' }, async (t) => {
  const databaseUrl = await postgresDatabase(t);
  // Far enough ahead for both instances to be ready on a loaded machine (a build took up to 20 s); to the second.
  const due = new Date(Date.now() + 45_000);
  const dailyAt = due.toISOString().slice(11, 19);
  const apps: App[] = [];
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(testConfig({ databaseUrl, retentionDailyAt: dailyAt, retention: { jobDays: 30, recordYears: 6 } }));
    await app.ready();
    t.teardown(() => app.close());
    apps.push(app);
  }
  t.ok(Date.now() < due.getTime() - 1000, 'both instances were ready before the time');
  await apps[0]!.db.execute(sql`insert into jobs (kind, status, finished_at) values ('submit-return', 'succeeded', now() - interval '40 days')`);
  const events = async () => rowsOf(apps[0]!, sql`select detail from audit_events where action = 'retention.applied'`);
  t.same(await events(), [], 'nothing before the time');
  while (Date.now() < due.getTime() + 15_000 && (await events()).length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
  // Long enough for a second instance's run, had it made one.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const ran = await events();
  t.equal(ran.length, 1, 'one run between the two');
  t.match(ran[0]!.detail, { jobs: 1, limits: { recordYears: 6 } }, 'with the configured limits');
  t.same(await rowsOf(apps[0]!, sql`select id from jobs`), [], 'the old job is gone');
});
