/**
 * How long a return holds the embedded database (PGlite: one connection, in the server's own
 * process), and what other requests wait meanwhile. For each size, a fresh server process on an
 * in-memory PGlite takes one CSV return (one request, to its 201) and then the same size as a job
 * (202, polled to its end), while two probes loop: `GET /health` (no database) and `GET /ready`
 * (`select 1`), and during the job the poll of the job itself. The figures behind
 * `VAWG_EMBEDDED_MAX_RECORDS` (README, "Embedded mode limits").
 *
 * `node --import tsx bench/embedded-hold.ts [--sizes 5000,10000,20000,50000]`
 */
import { parseArgs } from 'node:util';
import { recordsToCsv } from '../test/support/csv.js';
import { makeRecords } from '../test/support/records.js';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.js';
import { BENCH_ADMIN_KEY } from './bench-app.js';

const auth = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };

interface Probe {
  stop(): Promise<{ count: number; p50Ms: number; maxMs: number }>;
}

/** Requests `path` back to back (100 ms apart) until stopped; latencies in ms. */
function probe(server: ServerProcess, path: () => string | null, headers: Record<string, string> = {}): Probe {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const target = path();
      if (target) {
        const start = performance.now();
        await (await fetch(`${server.url}${target}`, { headers })).arrayBuffer();
        samples.push(performance.now() - start);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const sorted = [...samples].sort((a, b) => a - b);
      return { count: sorted.length, p50Ms: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), maxMs: Math.round(sorted.at(-1) ?? 0) };
    },
  };
}

async function submitCsv(server: ServerProcess, csv: string, period: string, onJob: (id: string) => void): Promise<number> {
  const res = await fetch(`${server.url}/v1/returns?service=bench-vva&period=${period}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'text/csv' },
    body: csv,
  });
  if (res.status !== 202) {
    await res.arrayBuffer();
    return res.status;
  }
  const { id } = (await res.json()) as { id: string };
  onJob(id);
  for (;;) {
    const job = (await (await fetch(`${server.url}/v1/jobs/${id}`, { headers: auth })).json()) as { result: { status: number } | null };
    if (job.result) return job.result.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function measure(size: number, mode: 'request' | 'job') {
  const server = await startServerProcess({
    VAWG_DATA_DIR: 'memory://',
    VAWG_BOOTSTRAP_ADMIN_KEY: BENCH_ADMIN_KEY,
    // One request whatever the size, or a job whatever the size.
    VAWG_ASYNC_RETURN_MB: mode === 'request' ? '1024' : '0',
    // The limit under measurement must not refuse what is measured.
    VAWG_EMBEDDED_MAX_RECORDS: '10000000',
  });
  try {
    await fetch(`${server.url}/v1/services`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'bench-vva', name: 'VVA', serviceType: 'vva', area: 'E09000001' }),
    });
    const period = '2022-23-Q1';
    const csv = recordsToCsv(makeRecords(size, period));
    let jobId: string | null = null;
    const health = probe(server, () => '/health');
    const ready = probe(server, () => '/ready');
    const poll = probe(server, () => (jobId ? `/v1/jobs/${jobId}` : null), auth);
    const start = performance.now();
    const status = await submitCsv(server, csv, period, (id) => (jobId = id));
    const seconds = (performance.now() - start) / 1000;
    return {
      size,
      mode,
      csvMiB: Buffer.byteLength(csv) / 1024 / 1024,
      status,
      seconds,
      health: await health.stop(),
      ready: await ready.stop(),
      poll: await poll.stop(),
    };
  } finally {
    await server.kill('SIGTERM');
  }
}

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '5000,10000,20000,50000' }, modes: { type: 'string', default: 'request,job' } } });
const sizes = values.sizes.split(',').map(Number);
const modes = values.modes.split(',') as Array<'request' | 'job'>;
console.log('| records | mode | CSV MiB | status | held (s) | /health p50 / max (ms) | /ready p50 / max (ms) | job poll p50 / max (ms) |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const size of sizes)
  for (const mode of modes) {
    const r = await measure(size, mode);
    const poll = mode === 'job' ? `${r.poll.p50Ms} / ${r.poll.maxMs}` : '–';
    console.log(
      `| ${size} | ${mode} | ${r.csvMiB.toFixed(1)} | ${r.status} | ${r.seconds.toFixed(1)} | ${r.health.p50Ms} / ${r.health.maxMs} | ${r.ready.p50Ms} / ${r.ready.maxMs} | ${poll} |`,
    );
  }
