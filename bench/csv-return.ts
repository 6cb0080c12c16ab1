/**
 * A 100,000-record CSV return through a real server process: time and peak memory (VmHWM) of the
 * process, against PostgreSQL's own `COPY` of the same file into a table of text columns (the
 * floor for getting those bytes into the database) measured in the same run. The same records as
 * one JSON body show what streaming saves.
 */
import { writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { listTemplateColumns } from '../src/schema/dataset/csv-columns.js';
import { recordsToCsv } from '../test/support/csv.js';
import { makeRecords } from '../test/support/records.js';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.js';
import { BENCH_ADMIN_KEY, createBenchDatabase } from './bench-app.js';

export interface CsvReturnRun {
  name: string;
  seconds: number;
  idleRssMiB: number;
  peakRssMiB: number;
  status: number;
}

const auth = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };

async function withServer<T>(databaseUrl: string, env: Record<string, string>, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await startServerProcess({
    DATABASE_URL: databaseUrl,
    VAWG_LINKAGE_SECRET: 'bench-linkage-secret-0123456789abcdef',
    VAWG_BOOTSTRAP_ADMIN_KEY: BENCH_ADMIN_KEY,
    ...env,
  });
  try {
    return await run(server);
  } finally {
    await server.kill('SIGTERM');
  }
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

export async function benchCsvReturn(options: { adminUrl: string; records: number }) {
  const databaseUrl = await createBenchDatabase(options.adminUrl, 'vawg_bench_csv');
  const periods = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3'];
  const file = path.join(os.tmpdir(), `vawg-bench-${options.records}.csv`);
  const csv = Buffer.from(recordsToCsv(makeRecords(options.records, periods[0])));
  await writeFile(file, csv, { mode: 0o644 });

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const columns = listTemplateColumns();
  await client.query(`create table copy_baseline (${columns.map((_, i) => `c${i} text`).join(', ')})`);
  const copyStart = performance.now();
  await client.query(`copy copy_baseline from '${file}' with (format csv, header true)`);
  const copySeconds = (performance.now() - copyStart) / 1000;
  await client.end();

  const runs: CsvReturnRun[] = [];
  const measure = async (name: string, env: Record<string, string>, body: Buffer, contentType: string, query: string) =>
    withServer(databaseUrl, env, async (server) => {
      await fetch(`${server.url}/v1/services`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'bench-vva', name: 'VVA', serviceType: 'vva', area: 'E09000001' }),
      });
      const idleRssMiB = server.peakRssMiB();
      const start = performance.now();
      const status = await submit(server, body, contentType, query);
      runs.push({ name, seconds: (performance.now() - start) / 1000, idleRssMiB, peakRssMiB: server.peakRssMiB(), status });
    });

  await measure('CSV, one request (VAWG_ASYNC_RETURN_MB=1024)', { VAWG_ASYNC_RETURN_MB: '1024' }, csv, 'text/csv', `?service=bench-vva&period=${periods[0]}`);
  const csvQ2 = Buffer.from(recordsToCsv(makeRecords(options.records, periods[1])));
  await measure('CSV, as a job (default 10 MiB threshold)', {}, csvQ2, 'text/csv', `?service=bench-vva&period=${periods[1]}`);
  const json = Buffer.from(JSON.stringify({ service: 'bench-vva', period: periods[2], records: makeRecords(options.records, periods[2]) }));
  await measure('JSON, one request (parsed whole)', { VAWG_ASYNC_RETURN_MB: '1024' }, json, 'application/json', '');
  await rm(file, { force: true });
  return { records: options.records, csvMiB: csv.length / 1024 / 1024, jsonMiB: json.length / 1024 / 1024, copySeconds, runs };
}
