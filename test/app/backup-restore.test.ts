/**
 * A backup is only as good as its restore (docs/operations.md): a `pg_dump` of a service's
 * database, restored into a fresh database, serves the same answers — aggregates, people linked
 * across services, indicators, the audit log — and goes on accepting returns where the original
 * left off (sequences, keys and the linkage state came across).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { buildApp, type App } from '../../src/app.js';
import { admin, createKey, bearer, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';
import { BARNET_MARAC, buildBarnetMaracReturns } from '../support/barnet-marac.js';
import { makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';

const run = promisify(execFile);
const BIN = process.env.VAWG_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const P = '2022-23-Q1';
const LINKED = ['br-vva', 'br-idva', 'br-marac'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function open(t: Test, databaseUrl: string): Promise<App> {
  const app = await buildApp(testConfig({ databaseUrl }));
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

const ANSWERS = [
  `/v1/aggregates?period=2022-23&groupBy=period`,
  `/v1/aggregates?period=2022-23&groupBy=riskLevel,vawgType`,
  `/v1/aggregates?measure=people&period=${P}&groupBy=service`,
  `/v1/indicators?period=2022-23`,
  `/v1/overlaps?period=${P}`,
  `/v1/completeness?period=2022-23`,
];

/** Every answer above, without what says when it was computed. */
async function answers(app: App, analyst: Record<string, string>): Promise<Json[]> {
  const out: Json[] = [];
  // Analysts' answers, and the returns as an admin lists them.
  for (const [url, headers] of [...ANSWERS.map((url) => [url, analyst] as const), [`/v1/returns?service=${BARNET_MARAC.id}`, admin] as const]) {
    const res = await app.inject({ method: 'GET', url, headers });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
    const { generatedAt: _generatedAt, ...body } = res.json() as Json;
    out.push({ url, body });
  }
  return out;
}

/** The newest page of the audit log, as an admin reads it. */
async function auditLog(app: App): Promise<Json> {
  const res = await app.inject({ method: 'GET', url: '/v1/audit?limit=100', headers: admin });
  if (res.statusCode !== 200) throw new Error(`/v1/audit: ${res.statusCode}`);
  const { requestId: _requestId, ...page } = res.json() as Json;
  return page;
}

t.test(
  'a pg_dump restored into a fresh database serves the same answers and accepts the next return',
  { skip: selectedBackend() !== 'postgres' ? 'pg_dump is PostgreSQL’s' : !existsSync(path.join(BIN, 'pg_dump')) && `needs ${BIN}/pg_dump and pg_restore` },
  async (t) => {
    const sourceUrl = await postgresDatabase(t);
    const source = await open(t, sourceUrl);
    await registerService(source, BARNET_MARAC.id, BARNET_MARAC.serviceType, BARNET_MARAC.area);
    for (const payload of buildBarnetMaracReturns()) {
      const res = await source.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
      t.equal(res.statusCode, 201, `${payload.period}: ${res.statusCode}`);
    }
    // People referred to several services, so persons and their links must come across too.
    const population = generatePopulation({ people: 150, seed: 17, services: LINKED });
    for (const service of LINKED) {
      await registerService(source, service, service.slice(3));
      const records = population.records.filter((r) => r.service === service).map((r) => makeSyntheticRecord(r, P));
      const res = await source.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period: P, records } });
      t.equal(res.statusCode, 201, `${service}: ${res.statusCode}`);
    }
    const analyst = bearer(await createKey(source, 'analyst'));
    const before = await answers(source, analyst);
    const audit = await auditLog(source);
    t.ok(audit.total > 0, `the audit log holds events (${audit.total})`);
    await source.close();

    const dir = await mkdtemp(path.join(tmpdir(), 'vawg-dump-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const dump = path.join(dir, 'vawg.dump');
    // The documented commands: a custom-format dump, restored without the source's owners and grants.
    await run(path.join(BIN, 'pg_dump'), ['--format=custom', '--no-owner', '--no-privileges', `--file=${dump}`, sourceUrl], { timeout: 120_000 });
    const targetUrl = await postgresDatabase(t);
    await run(path.join(BIN, 'pg_restore'), ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${targetUrl}`, dump], {
      timeout: 120_000,
    });

    const restored = await open(t, targetUrl);
    t.same(await answers(restored, analyst), before, 'the same aggregates, people, indicators, overlaps, completeness (for the same analyst key) and returns');
    const restoredAudit = await auditLog(restored);
    t.same(restoredAudit, audit, 'the audit log came across whole');

    // The next version of a return continues the sequences and supersedes as on the original.
    const [first] = buildBarnetMaracReturns();
    const next = await restored.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: first });
    t.equal(next.statusCode, 201, next.body);
    t.equal(next.json().version, 2, 'the resubmission is version 2');
    const status = (await restored.inject({ method: 'GET', url: '/v1/linkage/status', headers: admin })).json() as Json;
    t.match(status, { pendingReturns: 0, failedReturns: 0 }, 'linkage is current after the new version');
  },
);
