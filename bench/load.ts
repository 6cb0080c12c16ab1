/**
 * Sustained mixed load on a real server process over PostgreSQL: submitters sending returns of a
 * few hundred records (JSON and CSV in turn, new versions of the same quarters) and analysts reading
 * aggregates and indicators, each a closed loop (the next request when the last is answered), for
 * `durationSeconds`. Reported per kind: throughput, p50 / p99 latency, errors (anything but the
 * expected status), and the server's peak memory (VmHWM). Measured in the same run, the floors: a
 * bare fastify route in a process of its own under the analysts' concurrency (HTTP and the load
 * generator), and the aggregate's raw `GROUP BY` through pg at the same concurrency (the database).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { recordsToCsv } from '../test/support/csv.js';
import { makeRecords } from '../test/support/records.js';
import { startServerProcess } from '../test/support/server-process.js';
import { BENCH_ADMIN_KEY, createBenchDatabase } from './bench-app.js';

export interface LoadBenchOptions {
  adminUrl: string;
  durationSeconds: number;
  submitters: number;
  analysts: number;
  recordsPerReturn: number;
}

export interface KindResult {
  kind: string;
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The first few unexpected answers, for the report. */
  errorSamples: string[];
}

const QUARTERS = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4'];
const root = fileURLToPath(new URL('..', import.meta.url));

class Recorder {
  private samples = new Map<string, number[]>();
  private errors = new Map<string, string[]>();
  private errorCounts = new Map<string, number>();

  async time(kind: string, expected: number, run: () => Promise<Response>): Promise<void> {
    const start = performance.now();
    let problem: string | null = null;
    try {
      const res = await run();
      const body = await res.text();
      if (res.status !== expected) problem = `${res.status} ${body.slice(0, 160)}`;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    const elapsed = performance.now() - start;
    if (!this.samples.has(kind)) this.samples.set(kind, []);
    this.samples.get(kind)!.push(elapsed);
    if (problem !== null) {
      this.errorCounts.set(kind, (this.errorCounts.get(kind) ?? 0) + 1);
      const list = this.errors.get(kind) ?? [];
      if (list.length < 3) list.push(problem);
      this.errors.set(kind, list);
    }
  }

  results(seconds: number): KindResult[] {
    return [...this.samples.entries()].map(([kind, samples]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return {
        kind,
        requests: sorted.length,
        errors: this.errorCounts.get(kind) ?? 0,
        perSecond: sorted.length / seconds,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        errorSamples: this.errors.get(kind) ?? [],
      };
    });
  }
}

/** Runs `workers` closed loops of `step` until the deadline; returns the seconds it took. */
async function closedLoops(workers: number, seconds: number, step: (worker: number, iteration: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) await step(worker, i);
    }),
  );
  return (performance.now() - start) / 1000;
}

/** A bare fastify route in a process of its own: what HTTP and this load generator cost without the app. */
async function bareFastify(): Promise<{ url: string; stop: () => Promise<void> }> {
  const code = `import Fastify from 'fastify';
const app = Fastify();
app.get('/bare', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(String(app.server.address().port) + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  return {
    url: `http://127.0.0.1:${port}/bare`,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function benchLoad(options: LoadBenchOptions) {
  const databaseUrl = await createBenchDatabase(options.adminUrl, 'vawg_bench_load');
  const server = await startServerProcess({
    DATABASE_URL: databaseUrl,
    VAWG_LINKAGE_SECRET: 'bench-linkage-secret-0123456789abcdef',
    VAWG_BOOTSTRAP_ADMIN_KEY: BENCH_ADMIN_KEY,
    // Each virtual user is one key in a closed loop, far above a person's pace: this measures the
    // service, not the per-key limit.
    VAWG_REQUESTS_PER_MINUTE_PER_KEY: '10000000',
  });
  const adminHeaders = { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: adminHeaders, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };

  try {
    const providerKeys: string[] = [];
    for (let s = 0; s < options.submitters; s++) {
      await post('/v1/services', { id: `load-${s}`, name: `Load ${s}`, serviceType: 'vva', area: s % 2 ? 'E09000001' : 'E09000012' });
      providerKeys.push((await post('/v1/api-keys', { role: 'provider', label: `load ${s}`, services: [`load-${s}`] })).key as string);
    }
    const analystKeys: string[] = [];
    for (let a = 0; a < options.analysts; a++) analystKeys.push((await post('/v1/api-keys', { role: 'analyst', label: `load analyst ${a}` })).key as string);

    // Bodies are built once: the load generator should spend its time sending, not serialising.
    const json = QUARTERS.map((period) => makeRecords(options.recordsPerReturn, period));
    const csv = json.map((records) => recordsToCsv(records));
    const submit = (submitter: number, iteration: number) => {
      const q = iteration % QUARTERS.length;
      const service = `load-${submitter}`;
      const headers = { authorization: `Bearer ${providerKeys[submitter]}` };
      if (iteration % 2 === 0) {
        return {
          kind: 'submit JSON return',
          run: () =>
            fetch(`${server.url}/v1/returns`, {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify({ service, period: QUARTERS[q], records: json[q] }),
            }),
        };
      }
      return {
        kind: 'submit CSV return',
        run: () =>
          fetch(`${server.url}/v1/returns?service=${service}&period=${QUARTERS[q]}`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'text/csv' },
            body: csv[q],
          }),
      };
    };

    // Every service has a return for each quarter before the clock starts, so analysts read a full year.
    const seed = new Recorder();
    await Promise.all(
      providerKeys.map(async (_, s) => {
        for (let q = 0; q < QUARTERS.length; q++) {
          const { kind, run } = submit(s, q * 2);
          await seed.time(kind, 201, run);
        }
      }),
    );
    const seedErrors = seed.results(1).reduce((n, r) => n + r.errors, 0);
    if (seedErrors > 0) throw new Error(`seeding failed: ${JSON.stringify(seed.results(1))}`);

    const analystPaths = [
      { kind: 'aggregates (ethnicityGroup × quarter)', path: '/v1/aggregates?groupBy=ethnicityGroup,period&period=2022-23' },
      { kind: 'indicators (the year)', path: '/v1/indicators?period=2022-23' },
    ];
    const idleRssMiB = server.peakRssMiB();
    let exited: string | null = null;
    server.child.once('exit', (code, signal) => (exited = `the server exited during the load (code ${code}, signal ${signal})`));
    // VmHWM is gone with the process, so it is read as the load runs.
    let peakRssMiB = idleRssMiB;
    const sampler = setInterval(() => {
      if (exited === null) peakRssMiB = Math.max(peakRssMiB, server.peakRssMiB());
    }, 500);
    const load = new Recorder();
    const seconds = await closedLoops(options.submitters + options.analysts, options.durationSeconds, async (worker, i) => {
      if (worker < options.submitters) {
        // Odd first: a CSV version of each seeded quarter, then JSON, and so on.
        const { kind, run } = submit(worker, i + 1);
        await load.time(kind, 201, run);
      } else {
        const a = worker - options.submitters;
        const { kind, path } = analystPaths[(a + i) % analystPaths.length]!;
        await load.time(kind, 200, () => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${analystKeys[a]}` } }));
      }
    });
    clearInterval(sampler);
    if (exited !== null) throw new Error(`${exited}; its last output:\n${server.output().slice(-3000)}`);
    peakRssMiB = Math.max(peakRssMiB, server.peakRssMiB());

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query(
      'select count(*)::int as current from records r join returns ret on ret.id = r.return_id where ret.superseded_at is null',
    );
    const { rows: all } = await client.query('select count(*)::int as n from records');
    await client.end();

    const baselineSeconds = Math.max(5, Math.min(20, Math.round(options.durationSeconds / 3)));
    const baselines = new Recorder();
    const bare = await bareFastify();
    let bareSeconds: number;
    try {
      bareSeconds = await closedLoops(options.analysts, baselineSeconds, () => baselines.time('bare fastify route', 200, () => fetch(bare.url)));
    } finally {
      await bare.stop();
    }
    const pool = new pg.Pool({ connectionString: databaseUrl, max: options.analysts });
    const ethnicityGroup = `case when r.victim_ethnicity like 'white%' then 'white' when r.victim_ethnicity like 'mixed%' then 'mixed' when r.victim_ethnicity like 'asian%' then 'asian' when r.victim_ethnicity like 'black%' then 'black' else 'other' end`;
    const groupBy = `select ${ethnicityGroup}, ret.period, count(*) from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null where ret.period like '2022-23-%' group by 1, 2`;
    const sqlSeconds = await closedLoops(options.analysts, baselineSeconds, () =>
      baselines.time('raw GROUP BY (pg, same concurrency)', 200, async () => {
        await pool.query(groupBy);
        return new Response('', { status: 200 });
      }),
    );
    await pool.end();
    const baselineResults = baselines.results(1).map((r) => ({ ...r, perSecond: r.requests / (r.kind.startsWith('bare') ? bareSeconds : sqlSeconds) }));

    // The server's own account of anything that went wrong (warn and above), for the report.
    const serverErrors = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":50') || line.includes('"level":60'))
      .slice(0, 5);
    return {
      ...options,
      serverErrors,
      seconds,
      results: load.results(seconds),
      baselines: baselineResults,
      baselineSeconds,
      idleRssMiB,
      peakRssMiB,
      currentRecords: rows[0].current as number,
      storedRecords: all[0].n as number,
    };
  } finally {
    await server.kill('SIGTERM');
  }
}
