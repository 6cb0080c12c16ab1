/**
 * Must show (issue 5): killing the server in the middle of a large submission leaves no partial
 * return. Runs a real server process on PostgreSQL, kills it with SIGKILL while its job is writing
 * records, starts it again on the same database and looks for anything left behind.
 */
import t from 'tap';
import pg from 'pg';
import { recordsToCsv } from '../support/csv.js';
import { makeRecords } from '../support/records.js';
import { ADMIN_KEY, LINKAGE_SECRET, postgresDatabase, selectedBackend } from '../helper.js';
import { startServerProcess } from '../support/server-process.js';

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

t.test(
  'a server killed mid-submission leaves no partial return',
  { skip: selectedBackend() !== 'postgres' && 'needs PostgreSQL (TEST_DATABASE_URL)' },
  async (t) => {
    const databaseUrl = await postgresDatabase(t);
    const env = { DATABASE_URL: databaseUrl, VAWG_LINKAGE_SECRET: LINKAGE_SECRET, VAWG_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, VAWG_ASYNC_RETURN_MB: '0.5' };
    const first = await startServerProcess(env);
    t.teardown(() => first.kill());
    const register = await fetch(`${first.url}/v1/services`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'col-vva', name: 'VVA', serviceType: 'vva', area: 'E09000001' }),
    });
    t.equal(register.status, 201);

    const csv = recordsToCsv(makeRecords(40_000, '2022-23-Q1'));
    const accepted = await fetch(`${first.url}/v1/returns?service=col-vva&period=2022-23-Q1`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: csv,
    });
    t.equal(accepted.status, 202, 'a large return becomes a job');
    const job = (await accepted.json()) as { id: string };

    let recordsRead = 0;
    for (let i = 0; i < 600 && recordsRead < 5000; i++) {
      const progress = (await (await fetch(`${first.url}/v1/jobs/${job.id}`, { headers: auth })).json()) as {
        status: string;
        progress: { recordsRead: number };
      };
      t.not(progress.status, 'succeeded', 'still running when polled');
      recordsRead = progress.progress.recordsRead;
      if (recordsRead < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.ok(recordsRead >= 5000, `killed after ${recordsRead} of 40,000 records were written`);
    await first.kill('SIGKILL');

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    t.teardown(() => client.end());
    const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
    t.equal(await count('select count(*) as n from returns'), 0, 'no return row');
    t.equal(await count('select count(*) as n from records'), 0, 'no record rows');

    const second = await startServerProcess(env);
    t.teardown(() => second.kill());
    const after = (await (await fetch(`${second.url}/v1/jobs/${job.id}`, { headers: auth })).json()) as { status: string; result: { status: number } };
    t.equal(after.status, 'failed', 'the restarted service reports the job as failed');
    t.equal(after.result.status, 503);
    const list = (await (await fetch(`${second.url}/v1/returns?period=2022-23-Q1`, { headers: auth })).json()) as { total: number };
    t.equal(list.total, 0);

    const retry = await fetch(`${second.url}/v1/returns?service=col-vva&period=2022-23-Q1`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: csv,
    });
    const retried = (await retry.json()) as { id: string };
    let final: { status: string; result: { status: number; body: { version: number; recordCount: number } } } | null = null;
    for (let i = 0; i < 1200; i++) {
      final = (await (await fetch(`${second.url}/v1/jobs/${retried.id}`, { headers: auth })).json()) as typeof final;
      if (final!.status === 'succeeded' || final!.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.match(final!.result, { status: 201, body: { version: 1, recordCount: 40_000 } }, 'submitting again gives version 1, whole');
  },
);
