/**
 * A 100,000-record CSV return through a real server process: time and peak memory (VmHWM) of the
 * process, against two baselines measured in the same run: PostgreSQL's own `COPY` of the same
 * file into a table of text columns (the floor for getting those bytes into the database), and
 * `COPY` of the same rows as the app stores them into a table `like records including all` (its
 * typed columns, constraints and indexes: the floor for storing them). Each submission runs with
 * the record workers (`VAWG_RECORD_WORKERS` unset) and without them (0), on emptied tables. The
 * same records as one JSON body show what streaming saves. The same records again, each with a
 * victim's linkage key (a different synthetic person each, born over 64 years: as many distinct
 * birth dates and name letters as a real return has), show what its tokens cost.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { encodeCopy } from '../src/db/copy-insert.js';
import { records as recordsTable } from '../src/db/tables.js';
import { listTemplateColumns } from '../src/schema/dataset/csv-columns.js';
import { deriveLinkageTokens } from '../src/services/linkage/tokens.js';
import { recordToRow, type NewRecordRow } from '../src/services/returns/record-rows.js';
import { recordsToCsv } from '../test/support/csv.js';
import { makeRecords } from '../test/support/records.js';
import { generatePopulation } from '../test/support/synthetic.js';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.js';
import { BENCH_ADMIN_KEY, createBenchDatabase } from './bench-app.js';

export interface CsvReturnRun {
  name: string;
  seconds: number;
  idleRssMiB: number;
  peakRssMiB: number;
  /** CPU time of the server process, every thread, during the submission: less at the mercy of the machine's load than `seconds`. */
  cpuSeconds: number;
  status: number;
}

const auth = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };
const LINKAGE_SECRET = 'bench-linkage-secret-0123456789abcdef';

async function withServer<T>(databaseUrl: string, env: Record<string, string>, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startServerProcess({
    DATABASE_URL: databaseUrl,
    VAWG_LINKAGE_SECRET: LINKAGE_SECRET,
    VAWG_BOOTSTRAP_ADMIN_KEY: BENCH_ADMIN_KEY,
    ...env,
  });
  try {
    return await run(server);
  } finally {
    await server.kill('SIGTERM');
  }
}

/** User and system CPU time of a process and all its threads so far (/proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSecondsOf(server: ServerProcess): number {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function submit(server: ServerProcess, body: Buffer, contentType: string, query: string): Promise<number> {
  const res = await fetch(`${server.url}/v1/returns${query}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': contentType },
    body: new Uint8Array(body),
  });
  if (res.status !== 202) return res.status;
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${server.url}/v1/jobs/${id}`, { headers: auth })).json()) as { status: string; result: { status: number } | null };
    if (job.result) return job.result.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The rows the app stores for `records`, as COPY text, in a file PostgreSQL reads itself (as the text baseline's). */
async function recordsCopyFile(file: string, records: ReadonlyArray<Record<string, unknown>>, period: string): Promise<string> {
  const returnId = randomUUID();
  const rows = records.map((record, position) => ({
    ...(recordToRow(record, (slk581) => deriveLinkageTokens(slk581, LINKAGE_SECRET)) as NewRecordRow),
    position,
    returnId,
    // The partition key, as every row of a return has.
    period,
  }));
  const { statement, payload } = encodeCopy(recordsTable, rows);
  await writeFile(file, payload, { mode: 0o644 });
  return statement;
}

export async function benchCsvReturn(options: { adminUrl: string; records: number; database?: string }) {
  const database = options.database ?? 'vawg_bench_csv';
  const databaseUrl = await createBenchDatabase(options.adminUrl, database);
  const periods = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3'];
  const file = path.join(os.tmpdir(), `${database}-${options.records}.csv`);
  const rowsFile = path.join(os.tmpdir(), `${database}-${options.records}-rows.tsv`);
  const q1Records = makeRecords(options.records, periods[0]);
  const csv = Buffer.from(recordsToCsv(q1Records));
  await writeFile(file, csv, { mode: 0o644 });
  // One service's return: each person once (recordsPerPersonMean 1), so keys repeat only where people share components.
  const people = generatePopulation({ people: options.records, recordsPerPersonMean: 1, services: ['VVA'], seed: 16 }).records;
  const keyedCsv = Buffer.from(
    recordsToCsv(q1Records.map((record, i) => ({ ...record, victim: { ...(record.victim as object), linkage: { slk581: people[i]!.slk581 } } }))),
  );

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const columns = listTemplateColumns();
  await client.query(`create table copy_baseline (${columns.map((_, i) => `c${i} text`).join(', ')})`);
  const copyStart = performance.now();
  await client.query(`copy copy_baseline from '${file}' with (format csv, header true)`);
  const copySeconds = (performance.now() - copyStart) / 1000;

  const runs: CsvReturnRun[] = [];
  let recordsCopySeconds: number | undefined;
  const measure = async (name: string, env: Record<string, string>, body: Buffer, contentType: string, query: string) =>
    withServer(databaseUrl, env, async (server) => {
      // Every submission starts from empty tables (the server has migrated them by now), so none pays for another's indexes.
      await client.query('truncate returns, person_links cascade');
      await fetch(`${server.url}/v1/services`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'bench-vva', name: 'VVA', serviceType: 'vva', area: 'E09000001' }),
      });
      if (recordsCopySeconds === undefined) {
        // The second baseline: the same rows into a copy of `records` (typed columns, constraints, every index), by COPY alone.
        const statement = await recordsCopyFile(rowsFile, q1Records, periods[0]!);
        await client.query('create table copy_records_baseline (like records including all)');
        const start = performance.now();
        await client.query(statement.replace('copy "records"', 'copy copy_records_baseline').replace(/from stdin$/, `from '${rowsFile}'`));
        recordsCopySeconds = (performance.now() - start) / 1000;
        await client.query('drop table copy_records_baseline');
      }
      const idleRssMiB = server.peakRssMiB();
      const cpuBefore = cpuSecondsOf(server);
      const start = performance.now();
      const status = await submit(server, body, contentType, query);
      const seconds = (performance.now() - start) / 1000;
      runs.push({ name, seconds, idleRssMiB, peakRssMiB: server.peakRssMiB(), cpuSeconds: cpuSecondsOf(server) - cpuBefore, status });
    });

  const csvQuery = `?service=bench-vva&period=${periods[0]}`;
  const oneRequest = { VAWG_ASYNC_RETURN_MB: '1024' };
  const mainThread = { VAWG_RECORD_WORKERS: '0' };
  await measure('CSV, one request, main thread only (VAWG_RECORD_WORKERS=0)', { ...oneRequest, ...mainThread }, csv, 'text/csv', csvQuery);
  await measure('CSV, one request, record workers (default)', oneRequest, csv, 'text/csv', csvQuery);
  await measure('CSV, as a job, main thread only', mainThread, csv, 'text/csv', csvQuery);
  await measure('CSV, as a job, record workers', {}, csv, 'text/csv', csvQuery);
  const json = Buffer.from(JSON.stringify({ service: 'bench-vva', period: periods[0], records: q1Records }));
  await measure('JSON, one request (parsed whole), main thread only', { ...oneRequest, ...mainThread }, json, 'application/json', '');
  await measure('JSON, one request (parsed whole), record workers', oneRequest, json, 'application/json', '');
  // Last, and with no linkage: what is timed is the ingest (tokens included), not the persons found after the answer.
  const noLinkage = { VAWG_LINKAGE_MODE: 'none' };
  await measure('CSV with linkage keys, one request, main thread only', { ...oneRequest, ...mainThread, ...noLinkage }, keyedCsv, 'text/csv', csvQuery);
  await measure('CSV with linkage keys, one request, record workers', { ...oneRequest, ...noLinkage }, keyedCsv, 'text/csv', csvQuery);
  await client.end();
  await rm(file, { force: true });
  await rm(rowsFile, { force: true });
  return {
    records: options.records,
    csvMiB: csv.length / 1024 / 1024,
    jsonMiB: json.length / 1024 / 1024,
    copySeconds,
    recordsCopySeconds: recordsCopySeconds!,
    workers: Math.max(1, os.availableParallelism() - 1),
    runs,
  };
}
