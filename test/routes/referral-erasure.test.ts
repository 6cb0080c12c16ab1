/**
 * Erasure of one referral (issue 17): `DELETE /v1/services/{id}/referrals/{referralId}` removes it
 * from every version, with its updates, tokens, person links and analytic rows; the people it was
 * linked with are matched again without it; the returns keep their record counts and the audit
 * log a tombstone. Checked by reading every row of every table afterwards (and, on PostgreSQL, a
 * `pg_dump` of the data): nothing of it is left.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { referralAuditId } from '../../src/services/referrals/export-referral.js';
import { admin, bearer, createKey, LINKAGE_SECRET, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import { everyRow, rowsOf } from '../support/database-rows.js';
import { makeRecord, makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';
import { buildApp } from '../../src/app.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const Q1 = '2022-23-Q1';
const Q2 = '2022-23-Q2';
const BIN = process.env.VAWG_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const mary = computeSlk581({ familyName: 'Smith', givenName: 'Mary', birthDate: '1980-01-05', sex: 'female' });
// A woman nobody else shares a name or birth date with: her tokens must leave the database entirely.
const ottoline = computeSlk581({ familyName: 'Xqzvkw', givenName: 'Ottoline', birthDate: '1931-07-13', sex: 'female' });
const ATTRIBUTES = { ethnicity: 'black_caribbean', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' };

function keyed(i: number, period: string, referralId: string, slk581: string): Json {
  const record = makeRecord(i, period, { referralId }) as Json;
  return { ...record, victim: { ...record.victim, ...ATTRIBUTES, linkage: { slk581 } } };
}

async function seed(t: Test, app: App) {
  for (const [id, type] of [
    ['er-vva', 'vva'],
    ['er-idva', 'idva'],
    ['er-marac', 'marac'],
  ] as const)
    await registerService(app, id, type);
  const submit = async (payload: Json) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
    t.equal(res.statusCode, 201, `${payload.service} ${payload.period}: ${res.statusCode}`);
    return res.json() as Json;
  };
  // Others, so the term frequencies count more than the two women.
  const population = generatePopulation({ people: 120, seed: 5, services: ['er-vva', 'er-idva', 'er-marac'] });
  const others = (service: string, period: string) => population.records.filter((r) => r.service === service).map((r) => makeSyntheticRecord(r, period));
  const vva = [keyed(9001, Q1, 'MARY-V', mary), keyed(9002, Q1, 'OTTO-1', ottoline), ...others('er-vva', Q1)];
  await submit({ service: 'er-vva', period: Q1, records: vva });
  // A second version of the VVA's quarter: Ottoline's record is in both.
  await submit({ service: 'er-vva', period: Q1, records: vva.slice(0, vva.length - 3) });
  const idva = await submit({ service: 'er-idva', period: Q1, records: [keyed(9003, Q1, 'MARY-I', mary), ...others('er-idva', Q1)] });
  await submit({ service: 'er-marac', period: Q1, records: [keyed(9004, Q1, 'MARY-M', mary), ...others('er-marac', Q1)] });
  // The IDVA's next quarter closes Mary's case there, as an update naming the referral.
  await submit({
    service: 'er-idva',
    period: Q2,
    datasetVersion: '1.1.0',
    records: [makeRecord(1, Q2)],
    updates: [
      { referralId: 'MARY-I', referralPeriod: Q1, closure: { closedDate: '2022-08-01', reason: 'support_completed', riskReduced: true, feelsSafer: null } },
    ],
  });
  return { idva };
}

const personOf = async (app: App, service: string, referralId: string) =>
  (
    await rowsOf(
      app,
      sql`select r.person_id from records r join returns ret on ret.id = r.return_id where ret.service_id = ${service} and r.referral_id = ${referralId} and ret.superseded_at is null`,
    )
  )[0]?.person_id as number | undefined;

const referrals = async (app: App, service: string) => {
  const res = await app.inject({ method: 'GET', url: `/v1/aggregates?period=${Q1}&groupBy=service`, headers: admin });
  return (res.json().cells as Json[]).find((cell) => cell.key.service === service)?.value as number;
};

t.test('a referral erased from every version, its person matched again, nothing of it left', async (t) => {
  const databaseUrl = selectedBackend() === 'postgres' ? await postgresDatabase(t) : undefined;
  const app = await buildApp(testConfig({ databaseUrl }));
  await app.ready();
  t.teardown(() => app.close());
  const { idva } = await seed(t, app);

  const maryPerson = await personOf(app, 'er-vva', 'MARY-V');
  t.equal(await personOf(app, 'er-idva', 'MARY-I'), maryPerson, 'Mary is one person across three services before');
  t.equal(await personOf(app, 'er-marac', 'MARY-M'), maryPerson);
  const idvaBefore = await referrals(app, 'er-idva');
  const otto = (
    await rowsOf(
      app,
      sql`select victim_linkage_slk581_token as key, linkage_family as family, linkage_birth_date as date from records where referral_id = 'OTTO-1' limit 1`,
    )
  )[0]!;
  const dumpBefore = await everyRow(app);
  t.ok(dumpBefore.includes('MARY-I') && dumpBefore.includes(otto.family), 'the dump finds them before');

  const other = await createKey(app, 'provider', ['er-vva']);
  const url = '/v1/services/er-idva/referrals/MARY-I';
  t.equal(
    (await app.inject({ method: 'DELETE', url: `${url}?reason=subject_request`, headers: bearer(other) })).statusCode,
    403,
    "another service's provider may not",
  );
  t.equal((await app.inject({ method: 'DELETE', url, headers: admin })).statusCode, 400, 'a reason is required');
  t.equal((await app.inject({ method: 'DELETE', url: `${url}?reason=because`, headers: admin })).statusCode, 400, 'and is a code');

  const erased = await app.inject({ method: 'DELETE', url: `${url}?reason=subject_request`, headers: admin });
  t.equal(erased.statusCode, 200, erased.body);
  t.match(erased.json(), { service: 'er-idva', reason: 'subject_request', erased: { versions: 1, updates: 1 } });
  t.ok(erased.json().peopleRematched >= 2, 'what was left of her person was matched again');
  t.equal((await app.inject({ method: 'GET', url, headers: admin })).statusCode, 404, 'nothing left to export');
  t.equal((await app.inject({ method: 'DELETE', url: `${url}?reason=subject_request`, headers: admin })).statusCode, 404, 'nothing left to erase');
  t.equal(await personOf(app, 'er-vva', 'MARY-V'), await personOf(app, 'er-marac', 'MARY-M'), 'her other two records are still one person');
  t.equal(await referrals(app, 'er-idva'), idvaBefore - 1, 'the IDVA counts one referral fewer');
  const [idvaReturn] = await rowsOf(app, sql`select record_count from returns where id = ${idva.id}`);
  t.equal(idvaReturn!.record_count, idva.recordCount, 'the return keeps its record count');

  const ottoErased = await app.inject({ method: 'DELETE', url: '/v1/services/er-vva/referrals/OTTO-1?reason=recorded_in_error', headers: admin });
  t.equal(ottoErased.statusCode, 200, ottoErased.body);
  t.match(ottoErased.json().erased, { versions: 2, updates: 0 }, 'from both versions of the quarter');

  const dump = await everyRow(app);
  for (const [what, value] of [
    ['her referral id', 'MARY-I'],
    ['the other referral id', 'OTTO-1'],
    ['the whole-key token', otto.key],
    ['the family token', otto.family],
    ['the birth-date token', otto.date],
  ] as const)
    t.notOk(dump.includes(value), `no table holds ${what}`);
  const tombstones = await rowsOf(app, sql`select resource_id, detail from audit_events where action = 'referral.erased' order by id`);
  t.same(
    tombstones.map((r) => r.resource_id),
    [referralAuditId(LINKAGE_SECRET, 'er-idva', 'MARY-I'), referralAuditId(LINKAGE_SECRET, 'er-vva', 'OTTO-1')],
    'a tombstone each, by keyed hash',
  );
  t.same(tombstones[0]!.detail, { service: 'er-idva', reason: 'subject_request', versions: 1, updates: 1 });

  // The term frequencies followed exactly: a full rebuild gives the same counts.
  const counts = async () =>
    (await rowsOf(app, sql`select subject, comparison, value, holders from linkage_frequencies where holders <> 0 order by 1, 2, 3`)).map((r) =>
      JSON.stringify(r),
    );
  const kept = await counts();
  t.equal((await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} })).statusCode, 200);
  t.same(await counts(), kept, 'the counts kept through the erasures equal a rebuild');

  if (selectedBackend() === 'postgres' && existsSync(path.join(BIN, 'pg_dump'))) {
    const { stdout } = await promisify(execFile)(path.join(BIN, 'pg_dump'), ['--data-only', databaseUrl!], { maxBuffer: 64 * 1024 * 1024 });
    t.ok(stdout.includes('MARY-V'), 'the dump holds what was kept');
    for (const value of ['MARY-I', 'OTTO-1', otto.key, otto.family, otto.date]) t.notOk(stdout.includes(value), 'pg_dump finds none of it');
  }
});
