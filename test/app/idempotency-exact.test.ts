/**
 * Must show (issue 11): an Idempotency-Key stays exact through failures. A return and its key's
 * answer commit together (a fault at commit leaves neither); a claim taken over after its lease
 * can no longer complete; a key that answered 202 follows its job to the end; a job whose end
 * cannot be written is failed rather than left running; and uploads never stay on disk.
 * Faults are injected in the database itself (triggers that raise), on both backends.
 */
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import t from 'tap';
import type { App } from '../../src/app.js';
import { apiKeys, idempotencyKeys, jobs } from '../../src/db/tables.js';
import { spoolToFile } from '../../src/lib/spool.js';
import { claimIdempotencyKey, completeIdempotencyKey } from '../../src/services/idempotency.js';
import { failInterruptedJobs } from '../../src/services/jobs.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForJob(app: App, id: string) {
  for (let i = 0; i < 400; i++) {
    const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: admin })).json();
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await sleep(50);
  }
  throw new Error(`job ${id} did not finish`);
}

async function versions(app: App, period: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: `/v1/returns?service=col-vva&period=${period}`, headers: admin })).json().total as number;
}

t.test('Idempotency-Key stays exact through failures', async (t) => {
  const uploadDir = path.join(await mkdtemp(path.join(tmpdir(), 'vawg-exact-')), 'uploads');
  // Bodies above 4 KiB become jobs, so small fixtures exercise the job path.
  const app = await buildTestApp(t, { config: { asyncReturnBytes: 4096, uploadDir } });
  await registerService(app, 'col-vva');
  const submitJson = (key: string, payload: object) =>
    app.inject({ method: 'POST', url: '/v1/returns', headers: { ...admin, 'idempotency-key': key }, payload });
  const submitCsv = (key: string, period: string, csv: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/returns?service=col-vva&period=${period}`,
      headers: { ...admin, 'idempotency-key': key, 'content-type': 'text/csv' },
      payload: csv,
    });

  await t.test('a return and its key’s answer commit together: a fault at commit leaves neither', async (t) => {
    await app.db.execute(
      sql.raw(`create function vawg_test_fail_at_commit() returns trigger language plpgsql as $$ begin raise exception 'injected fault at commit'; end $$`),
    );
    await app.db.execute(
      sql.raw(`create constraint trigger vawg_test_fail_key_answer after update on idempotency_keys deferrable initially deferred
               for each row when (new.response_status is not null) execute function vawg_test_fail_at_commit()`),
    );
    const body = { service: 'col-vva', period: '2022-23-Q1', records: makeRecords(5) };
    const failed = await submitJson('atomic-1', body);
    t.equal(failed.statusCode, 500, 'the commit failed');
    t.equal(await versions(app, '2022-23-Q1'), 0, 'so the return was not stored either');
    const [key] = await app.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'atomic-1'));
    t.notOk(key, 'and the key was freed');

    await app.db.execute(sql.raw('drop trigger vawg_test_fail_key_answer on idempotency_keys'));
    const retried = await submitJson('atomic-1', body);
    t.equal(retried.statusCode, 201, 'the retry is taken');
    t.equal(retried.json().version, 1, 'as version 1');
    const replay = await submitJson('atomic-1', body);
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.equal(replay.json().id, retried.json().id);
    t.equal(await versions(app, '2022-23-Q1'), 1, 'one version');
  });

  await t.test('a claim taken over after its lease expired can no longer complete', async (t) => {
    const [apiKey] = await app.db.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    const scope = { apiKeyId: apiKey!.id, key: 'lease-1', operation: 'POST /v1/returns', fingerprint: 'f', ttlHours: 24 };
    const first = await claimIdempotencyKey(app.db, scope);
    t.equal(first.kind, 'claimed');
    // As if the first claim had been made more than 15 minutes ago: its lease is in the past, so a retry may take the key over.
    const stale = { ...(first as { claim: { apiKeyId: string; key: string; lease: Date } }).claim, lease: new Date(Date.now() - 1000) };
    await app.db
      .update(idempotencyKeys)
      .set({ leaseUntil: stale.lease })
      .where(and(eq(idempotencyKeys.key, 'lease-1'), eq(idempotencyKeys.apiKeyId, apiKey!.id)));
    const second = await claimIdempotencyKey(app.db, scope);
    t.equal(second.kind, 'claimed', 'taken over');
    const refused = await completeIdempotencyKey(app.db, stale, { status: 201, body: {}, headers: {} }).then(
      () => null,
      (error: { statusCode?: number }) => error.statusCode,
    );
    t.equal(refused, 409, 'the first owner cannot complete it');
    await completeIdempotencyKey(app.db, (second as { claim: typeof stale }).claim, { status: 201, body: { who: 'second' }, headers: {} });
    const replay = await claimIdempotencyKey(app.db, scope);
    t.match(replay, { kind: 'replay', response: { status: 201, body: { who: 'second' } } });
  });

  await t.test('a key that answered 202 replays its job’s outcome', async (t) => {
    const csv = recordsToCsv(makeRecords(60, '2022-23-Q2'));
    const queued = await submitCsv('job-ok', '2022-23-Q2', csv);
    t.equal(queued.statusCode, 202);
    const job = await waitForJob(app, queued.json().id);
    t.equal(job.result.status, 201);
    const replay = await submitCsv('job-ok', '2022-23-Q2', csv);
    t.equal(replay.statusCode, 201, 'the job’s 201, not the stale 202');
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.equal(replay.json().id, job.result.body.id);
    t.equal(replay.headers.location, `/v1/returns/${job.result.body.id}`);

    const invalid = recordsToCsv([...makeRecords(59, '2022-23-Q3'), makeRecord(60, '2022-23-Q3', { riskLevel: 'very' })]);
    const rejected = await submitCsv('job-422', '2022-23-Q3', invalid);
    t.equal((await waitForJob(app, rejected.json().id)).result.status, 422);
    const replay422 = await submitCsv('job-422', '2022-23-Q3', invalid);
    t.equal(replay422.statusCode, 422, 'a job’s 422 replays');
    t.equal(replay422.headers['idempotent-replayed'], 'true');

    t.equal((await app.inject({ method: 'PUT', url: '/v1/periods/2022-23-Q4/lock', headers: admin })).statusCode, 200);
    const lockedCsv = recordsToCsv(makeRecords(60, '2022-23-Q4'));
    const locked = await submitCsv('job-409', '2022-23-Q4', lockedCsv);
    t.equal((await waitForJob(app, locked.json().id)).result.status, 409);
    t.equal((await app.inject({ method: 'DELETE', url: '/v1/periods/2022-23-Q4/lock', headers: admin })).statusCode, 200);
    const afterUnlock = await submitCsv('job-409', '2022-23-Q4', lockedCsv);
    t.equal(afterUnlock.statusCode, 202, 'a job that met a lock freed its key');
    t.not(afterUnlock.headers['idempotent-replayed'], 'true');
    t.equal((await waitForJob(app, afterUnlock.json().id)).result.status, 201);
  });

  await t.test('a job a dead process left unfinished frees its key', async (t) => {
    const [apiKey] = await app.db.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    const [row] = await app.db
      .insert(jobs)
      .values({ kind: 'submit-return', status: 'running', progress: { recordsRead: 10 } })
      .returning();
    await app.db.insert(idempotencyKeys).values({
      apiKeyId: apiKey!.id,
      key: 'dead-job',
      operation: 'POST /v1/returns',
      fingerprint: 'f',
      responseStatus: 202,
      responseBody: { id: row!.id, status: 'queued' },
      responseHeaders: {},
      leaseUntil: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    t.equal(await failInterruptedJobs(app.db), 1);
    const left = await app.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'dead-job'));
    t.same(left, [], 'the key no longer replays 202 for a job that will never finish');
  });

  await t.test('a job whose end cannot be written fails with a plain 500, never stays running', async (t) => {
    await app.db.execute(
      sql.raw(`create function vawg_test_fail_422() returns trigger language plpgsql as $$ begin raise exception 'injected bookkeeping fault'; end $$`),
    );
    await app.db.execute(
      sql.raw(`create trigger vawg_test_fail_job_end before update on jobs for each row when (new.result_status = 422) execute function vawg_test_fail_422()`),
    );
    t.teardown(() => app.db.execute(sql.raw('drop trigger if exists vawg_test_fail_job_end on jobs')));
    const invalid = recordsToCsv([makeRecord(1, '2023-24-Q1', { riskLevel: 'very' }), ...makeRecords(59, '2023-24-Q1').slice(1)]);
    const queued = await submitCsv('job-bookkeeping', '2023-24-Q1', invalid);
    t.equal(queued.statusCode, 202);
    const job = await waitForJob(app, queued.json().id);
    t.equal(job.status, 'failed');
    t.equal(job.result.status, 500);
    t.equal(job.result.body.type, 'urn:vawg:problem:internal-error');
    const again = await submitCsv('job-bookkeeping', '2023-24-Q1', invalid);
    t.equal(again.statusCode, 202, 'a server error freed the key');
    t.not(again.headers['idempotent-replayed'], 'true');
  });

  await t.test('uploads are removed on every path, and only their owner can read them', async (t) => {
    const listing = async () => readdir(uploadDir).catch(() => [] as string[]);
    const dirMode = async () => (await stat(uploadDir)).mode & 0o777;

    const small = recordsToCsv(makeRecords(3, '2023-24-Q2'));
    t.equal((await submitCsv('up-201', '2023-24-Q2', small)).statusCode, 201);
    t.same(await listing(), [], 'after a 201');
    t.equal(await dirMode(), 0o700, 'the upload directory is private');
    const bad = recordsToCsv([makeRecord(1, '2023-24-Q2', { riskLevel: 'very' })]);
    t.equal((await submitCsv('up-422', '2023-24-Q2', bad)).statusCode, 422);
    t.same(await listing(), [], 'after a 422');
    const big = recordsToCsv(makeRecords(60, '2023-24-Q3'));
    const queued = await submitCsv('up-job', '2023-24-Q3', big);
    await waitForJob(app, queued.json().id);
    t.same(await listing(), [], 'after a job (removed before its end is recorded)');

    // A client that goes away in the middle of its upload.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/returns?service=col-vva&period=2023-24-Q4',
        headers: { ...admin, 'content-type': 'text/csv', 'content-length': String(1_000_000) },
      });
      req.on('error', () => resolve());
      req.write(big);
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    let left = await listing();
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await sleep(50);
      left = await listing();
    }
    t.same(left, [], 'after a client abort');

    const spooled = await spoolToFile(Readable.from([Buffer.from('a,b\n')]), { dir: uploadDir, limitBytes: 1000 });
    t.equal((await stat(spooled.path)).mode & 0o777, 0o600, 'an upload is readable by its owner only');
    t.equal(await dirMode(), 0o700);
  });

  await t.test('uploads a crashed process left behind are removed at start', async (t) => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'vawg-leftover-')), 'uploads');
    const first = await buildTestApp(t, { config: { uploadDir: dir } });
    await first.close();
    await spoolToFile(Readable.from([Buffer.from('left,behind\n')]), { dir, limitBytes: 1000 });
    await writeFile(path.join(dir, 'other.upload'), 'x');
    t.equal((await readdir(dir)).length, 2);
    await buildTestApp(t, { config: { uploadDir: dir } });
    t.same(await readdir(dir).catch(() => []), [], 'nothing left after the next start');
  });
});
