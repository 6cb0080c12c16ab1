/**
 * `npm run bench [-- --only aggregates|linkage|linkage-protection|relink|linkage-scale|csv|csv-return] [--records N --reps N --bench-db vawg_bench] [--linkage-sizes 10000,100000]
 * [--thresholds=-1.5,0] [--names long-tail|short] [--areas auto|N] [--out-of-area 0.2] [--relink-records N]
 * [--duration 60 --submitters 4 --analysts 8 --load-records 300]`: runs the benchmarks and prints Markdown tables. Aggregates
 * and relink run against the local PostgreSQL (`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else
 * postgres://postgres@127.0.0.1:5432/test); aggregates recreates the database `--bench-db` (default vawg_bench) and times
 * `--reps` runs of each query (default 20 up to 1,000,000 records, 5 above); linkage needs no database. Without `--only`, aggregates,
 * linkage and linkage-protection (attributes recorded consistently, noisily, at random) run; relink (linkage as returns arrive, end to end) runs only with `--only relink`, the
 * mixed load on a server process (bench/load.ts) only with `--only load`; linkage at scale (bench/linkage-scale.ts: `--records N` loaded by SQL,
 * full relinks in a child process, one return through the app; `--relink none|plain|estimate|both`, `--max-old-space MiB`,
 * `--keep-db`; database `--bench-db`, default vawg_bench_linkage_scale) only with `--only linkage-scale`.
 * Figures are recorded in bench/README.md.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchAggregates } from './aggregates.js';
import { benchCsvReturn } from './csv-return.js';
import { benchLinkageProtection } from './linkage-protection.js';
import { benchLinkage } from './linkage.js';
import { benchLinkageScale } from './linkage-scale.js';
import { benchLoad } from './load.js';
import { benchRelink } from './relink.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    records: { type: 'string', default: '1000000' },
    reps: { type: 'string' },
    'bench-db': { type: 'string' },
    'linkage-sizes': { type: 'string', default: '10000,100000,1000000' },
    thresholds: { type: 'string', default: '-1.5,0' },
    names: { type: 'string', default: 'long-tail' },
    areas: { type: 'string', default: 'auto' },
    'out-of-area': { type: 'string' },
    'relink-records': { type: 'string', default: '110000' },
    'csv-records': { type: 'string', default: '100000' },
    duration: { type: 'string', default: '60' },
    submitters: { type: 'string', default: '4' },
    analysts: { type: 'string', default: '8' },
    'load-records': { type: 'string', default: '300' },
    relink: { type: 'string', default: 'both' },
    'max-old-space': { type: 'string', default: '16384' },
    'keep-db': { type: 'boolean', default: false },
  },
});
if (values.names !== 'long-tail' && values.names !== 'short') {
  console.error('--names must be long-tail or short');
  process.exit(2);
}
// `csv-return` (the benchmark's file name) is another name for `csv`.
if (values.only === 'csv-return') values.only = 'csv';
if (values.only !== undefined && !['aggregates', 'linkage', 'linkage-protection', 'relink', 'linkage-scale', 'csv', 'load'].includes(values.only)) {
  console.error('--only must be aggregates, linkage, linkage-protection, relink, linkage-scale, csv (or csv-return) or load');
  process.exit(2);
}
const numbers = (list: string) => list.split(',').map((v) => Number(v.trim()));
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

console.log(`# Benchmarks — ${new Date().toISOString()} — ${os.cpus().length} cores, Node ${process.version}\n`);

if (values.only === undefined || values.only === 'aggregates') {
  const records = Number(values.records);
  // p95 needs samples: 20 a query where a run is quick; above 1M each rep of all six queries takes minutes.
  const reps = values.reps === undefined ? (records <= 1_000_000 ? 20 : 5) : Number(values.reps);
  const a = await benchAggregates({ adminUrl, records, reps, database: values['bench-db'] ?? 'vawg_bench', progress: (line) => console.error(line) });
  const ms = (x: number) => x.toFixed(0);
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  console.log(`## Aggregates over ${a.records.toLocaleString('en-GB')} current records: p50/p95 of ${a.reps} runs against a narrow table\n`);
  console.log(
    `Loaded in ${(a.insertSeconds + a.indexSeconds + a.analyzeSeconds).toFixed(1)} s (insert ${a.insertSeconds.toFixed(1)} s, indexes ${a.indexSeconds.toFixed(1)} s, vacuum analyze ${a.analyzeSeconds.toFixed(1)} s)` +
      `${a.projectionSeconds === undefined ? '; no analytic projection' : `; analytic projection ${(a.projectionSeconds as number).toFixed(1)} s`}; narrow table in ${a.narrowSeconds.toFixed(1)} s. ` +
      `Database \`${a.database}\` ${gib(a.databaseBytes)} (records ${gib(a.recordsBytes)}, analytic_records ${gib(a.projectionBytes)}, narrow table ${gib(a.narrowBytes)}).\n`,
  );
  console.log('| query | endpoint p50 | p95 | wide GROUP BY p50 | p95 | narrow GROUP BY p50 | p95 | endpoint / narrow (p50) | endpoint / wide (p50) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of a.results)
    console.log(
      `| ${r.name} | ${ms(r.endpoint.p50Ms)} | ${ms(r.endpoint.p95Ms)} | ${ms(r.wide.p50Ms)} | ${ms(r.wide.p95Ms)} | ${ms(r.narrow.p50Ms)} | ${ms(r.narrow.p95Ms)} | ` +
        `${(r.endpoint.p50Ms / r.narrow.p50Ms).toFixed(2)} | ${(r.endpoint.p50Ms / r.wide.p50Ms).toFixed(2)} |`,
    );
  console.log('\nMilliseconds; runs interleaved (endpoint, wide, narrow in rotating order) after one warm-up each.\n');
}

if (values.only === undefined || values.only === 'linkage') {
  const percent = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${percent(x)}`;
  console.log('## Linkage\n');
  console.log(
    '| records | method | precision | recall | F1 | true people | estimated | people error | seconds | records/s | candidate pairs | refused merges |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const timings: string[] = [];
  for (const size of numbers(values['linkage-sizes'])) {
    const result = await benchLinkage({
      records: size,
      thresholds: numbers(values.thresholds),
      names: values.names as 'long-tail' | 'short',
      areas: values.areas === 'auto' ? 'auto' : Number(values.areas),
      ...(values['out-of-area'] === undefined ? {} : { outOfAreaRate: Number(values['out-of-area']) }),
    });
    for (const run of result.runs) {
      const a = run.accuracy;
      console.log(
        `| ${result.records.toLocaleString('en-GB')} | ${run.name} | ${percent(a.precision)} | ${percent(a.recall)} | ${a.f1.toFixed(4)} | ` +
          `${a.truePeople.toLocaleString('en-GB')} | ${a.estimatedPeople.toLocaleString('en-GB')} | ${signed(a.peopleError)} | ${run.seconds.toFixed(2)} | ` +
          `${Math.round(run.recordsPerSecond).toLocaleString('en-GB')} | ${run.stats?.candidatePairs.toLocaleString('en-GB') ?? ''} | ${run.stats?.refusedMerges.toLocaleString('en-GB') ?? ''} |`,
      );
    }
    timings.push(
      `${result.records.toLocaleString('en-GB')} records in ${result.areas} area(s): generated in ${result.generateSeconds.toFixed(1)} s, tokenised (14 HMACs a record) in ${result.tokeniseSeconds.toFixed(1)} s`,
    );
  }
  console.log('');
  for (const line of timings) console.log(`- ${line}`);
}

if (values.only === undefined || values.only === 'linkage-protection') {
  const percent = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
  console.log('\n## Linkage when attributes are recorded inconsistently (1,500 people, seed 7)\n');
  console.log('| attributes | records a person | records | method | people | people error | F1 | max attribute weight | seconds |');
  console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const r of benchLinkageProtection()) {
    const a = r.accuracy;
    console.log(
      `| ${r.attributes} | ${r.recordsPerPersonMean} | ${r.records.toLocaleString('en-GB')} | ${r.method} | ${a.estimatedPeople.toLocaleString('en-GB')} / ${a.truePeople.toLocaleString('en-GB')} | ` +
        `${percent(a.peopleError)} | ${a.f1.toFixed(4)} | ${r.maxAttributeWeight.toFixed(2)} | ${r.seconds.toFixed(2)} |`,
    );
  }
  console.log('');
}

if (values.only === 'relink') {
  const count = (n: number) => n.toLocaleString('en-GB');
  const percent = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
  const signed = (people: number, truth: number) => {
    const error = (people - truth) / truth;
    return `${error >= 0 ? '+' : '−'}${percent(Math.abs(error))}`;
  };
  const result = await benchRelink({ adminUrl, records: Number(values['relink-records']) });
  console.log(
    `## Linkage as returns arrive: ${count(result.records)} records, ${result.services} returns of about ${count(Math.round(result.records / result.services))}\n`,
  );
  console.log('| step | records | response (s) | persons current (s) | records/s to the response |');
  console.log('|---|---:|---:|---:|---:|');
  for (const s of result.steps)
    console.log(
      `| ${s.step} | ${count(s.records)} | ${s.seconds.toFixed(2)} | ${s.currentSeconds === undefined ? '' : s.currentSeconds.toFixed(2)} | ${count(Math.round(s.records / s.seconds))} |`,
    );
  console.log('');
  const t = result.truePeople;
  console.log(
    `People: true ${count(t)} / after incremental ${count(result.incremental.people)} (${signed(result.incremental.people, t)}) / ` +
      `after resubmission ${count(result.resubmitted.people)} (${signed(result.resubmitted.people, t)}) / ` +
      `after full relink+EM ${count(result.full.people)} (${signed(result.full.people, t)}) / exact key ${count(result.exactKey.people)} (${signed(result.exactKey.people, t)})\n`,
  );
  console.log('| persons | people | error | precision | recall | F1 |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, c] of [
    ['incremental (after 11 returns)', result.incremental],
    ['incremental (after the resubmission)', result.resubmitted],
    ['full relink with EM', result.full],
    ['exact key', result.exactKey],
  ] as const) {
    const a = c.accuracy;
    console.log(`| ${name} | ${count(c.people)} | ${signed(c.people, t)} | ${percent(a.precision)} | ${percent(a.recall)} | ${a.f1.toFixed(4)} |`);
  }
  const agree = result.incrementalAgainstFull;
  console.log(
    `\nIncremental persons against the full relink's: pairwise precision ${percent(agree.precision)}, recall ${percent(agree.recall)}; ` +
      `${count(agree.recordsInDifferentClusters)} records (${percent(agree.recordsInDifferentClusters / result.records)}) in a cluster the full relink does not have.`,
  );
}

if (values.only === 'csv') {
  const result = await benchCsvReturn({ adminUrl, records: Number(values['csv-records']), database: `${values['bench-db'] ?? 'vawg_bench'}_csv` });
  console.log(
    `## A ${result.records.toLocaleString('en-GB')}-record return through a server process (CSV ${result.csvMiB.toFixed(1)} MiB, JSON ${result.jsonMiB.toFixed(1)} MiB; record workers by default: ${result.workers})\n`,
  );
  const rowsPerSecond = (seconds: number) => Math.round(result.records / seconds).toLocaleString('en-GB');
  console.log(
    `Baselines: PostgreSQL \`COPY\` of the same CSV into a table of text columns: ${result.copySeconds.toFixed(2)} s (${rowsPerSecond(result.copySeconds)} rows/s); ` +
      `\`COPY\` of the same rows as stored into a table \`like records including all\`: ${result.recordsCopySeconds.toFixed(2)} s (${rowsPerSecond(result.recordsCopySeconds)} rows/s).\n`,
  );
  console.log(
    '| submission | status | seconds | rows/s | of text-table COPY rows/s | of records-table COPY rows/s | server CPU (s) | server RSS idle (MiB) | server peak RSS (MiB) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const run of result.runs)
    console.log(
      `| ${run.name} | ${run.status} | ${run.seconds.toFixed(1)} | ${rowsPerSecond(run.seconds)} | ${(result.copySeconds / run.seconds).toFixed(3)} | ` +
        `${(result.recordsCopySeconds / run.seconds).toFixed(3)} | ${run.cpuSeconds.toFixed(1)} | ${run.idleRssMiB.toFixed(0)} | ${run.peakRssMiB.toFixed(0)} |`,
    );
}

if (values.only === 'load') {
  const r = await benchLoad({
    adminUrl,
    durationSeconds: Number(values.duration),
    submitters: Number(values.submitters),
    analysts: Number(values.analysts),
    recordsPerReturn: Number(values['load-records']),
  });
  const count = (n: number) => n.toLocaleString('en-GB');
  console.log(
    `## Mixed load through a server process: ${r.submitters} submitters (returns of ${r.recordsPerReturn} records, JSON and CSV in turn) and ${r.analysts} analysts for ${r.seconds.toFixed(0)} s\n`,
  );
  console.log('| kind | requests | per second | p50 (ms) | p99 (ms) | errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const k of [...r.results, ...r.baselines.map((b) => ({ ...b, kind: `baseline: ${b.kind}` }))]) {
    console.log(`| ${k.kind} | ${count(k.requests)} | ${k.perSecond.toFixed(1)} | ${k.p50Ms.toFixed(0)} | ${k.p99Ms.toFixed(0)} | ${k.errors} |`);
  }
  const submitted = r.results.filter((k) => k.kind.startsWith('submit')).reduce((n, k) => n + k.requests - k.errors, 0);
  console.log(
    `\nRecords accepted: ${count(submitted * r.recordsPerReturn)} (${count(Math.round((submitted * r.recordsPerReturn) / r.seconds))}/s); ` +
      `${count(r.currentRecords)} current records at the end (${count(r.storedRecords)} stored with superseded versions). ` +
      `Server RSS after seeding ${r.idleRssMiB.toFixed(0)} MiB, peak ${r.peakRssMiB.toFixed(0)} MiB. Baselines ran ${r.baselineSeconds} s each at the analysts' concurrency.`,
  );
  for (const k of [...r.results, ...r.baselines]) for (const sample of k.errorSamples) console.log(`- error, ${k.kind}: ${sample}`);
  for (const line of r.serverErrors) console.log(`- server log: ${line.slice(0, 600)}`);
}

if (values.only === 'linkage-scale') {
  if (!['none', 'plain', 'estimate', 'both'].includes(values.relink!)) {
    console.error('--relink must be none, plain, estimate or both');
    process.exit(2);
  }
  const count = (n: number) => n.toLocaleString('en-GB');
  const records = Number(values.records);
  const before = os.loadavg();
  const r = await benchLinkageScale({
    adminUrl,
    records,
    relink: values.relink as 'none' | 'plain' | 'estimate' | 'both',
    maxOldSpaceMiB: Number(values['max-old-space']),
    keepDatabase: values['keep-db'],
    ...(values['bench-db'] === undefined ? {} : { database: values['bench-db'] }),
    progress: (line) => console.error(line),
  });
  const l = r.load;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  console.log(`## Linkage at ${count(l.records)} stored records\n`);
  console.log(
    `Loaded by SQL in ${(l.insertSeconds + l.indexSeconds + l.analyzeSeconds + l.projectionSeconds + l.frequencySeconds).toFixed(1)} s ` +
      `(insert ${l.insertSeconds.toFixed(1)} s, ${l.indexes.length} indexes and constraints ${l.indexSeconds.toFixed(1)} s, vacuum analyze ${l.analyzeSeconds.toFixed(1)} s, ` +
      `analytic projection ${l.projectionSeconds.toFixed(1)} s, term frequencies ${l.frequencySeconds.toFixed(1)} s): ${count(l.records)} records, ` +
      `${count(l.keyedRecords)} with a key, ${count(l.people)} true persons; database ${gib(l.databaseBytes)} (records ${gib(l.recordsBytes)}). ` +
      `Tokens checked against tokens.ts on ${r.tokensChecked} records.\n`,
  );
  console.log(`Baseline: SQL count distinct over two blocking keys of the same rows: ${r.baseline.seconds.toFixed(2)} s.\n`);
  console.log(
    '| full relink (`POST /v1/linkage/relink`) | records | seconds | × SQL baseline | peak RSS (MiB) | peak heap sampled (MiB) | candidate pairs | persons | result |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const run of r.relinks) {
    const res = (run.result ?? {}) as { records?: number; candidatePairs?: number; clusters?: number; estimated?: boolean };
    console.log(
      `| estimate: ${run.estimate} | ${res.records === undefined ? '' : count(res.records)} | ${run.seconds.toFixed(1)} | ${(run.seconds / r.baseline.seconds).toFixed(0)} | ` +
        `${run.maxRssMiB.toFixed(0)} | ${run.peakHeapMiB.toFixed(0)} | ${res.candidatePairs === undefined ? '' : count(res.candidatePairs)} | ${res.clusters === undefined ? '' : count(res.clusters)} | ` +
        `${run.error ?? 'ok'} (--max-old-space-size=${run.maxOldSpaceMiB}) |`,
    );
  }
  for (const run of r.relinks) {
    // Seconds by what the server saw the child doing (1 s samples), in order of first appearance.
    const byPhase = new Map<string, number>();
    for (const p of run.phases) byPhase.set(p.phase, (byPhase.get(p.phase) ?? 0) + (p.toS - p.fromS) + 1);
    console.log(
      `\nestimate: ${run.estimate}, seconds by phase: ${[...byPhase].map(([phase, seconds]) => `${phase.replaceAll('"', '')}… ${seconds.toFixed(0)}`).join('; ')}`,
    );
  }
  if (r.frequencyCheck)
    console.log(`\nThe loader's SQL term frequencies against relinkAll's: ${r.frequencyCheck.rows} rows, ${r.frequencyCheck.differing} differ.`);
  console.log(`\nAfter: ${count(r.persons)} distinct persons, ${count(r.links)} links.\n`);
  console.log('| return through the app | records | 201 (s) | persons current (s) | neighbourhood | seeds | job timings (ms) |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const a of r.arrivals.runs)
    console.log(
      `| ${a.step} | ${count(a.records)} | ${a.seconds.toFixed(2)} | ${a.currentSeconds.toFixed(2)} | ${a.job ? count(a.job.records) : ''} | ${a.job ? count(a.job.seeds) : ''} | ${a.job ? JSON.stringify(a.job.timings) : ''} |`,
    );
  console.log(
    `\n${count(r.arrivals.joinedStored)} arriving records joined a person with stored records (${count(r.arrivals.knownPeople)} were new records of stored people). ` +
      `Load average before ${before.map((x) => x.toFixed(2)).join(' ')}, after ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}. Database at the end ${gib(r.databaseBytesAtEnd)}${values['keep-db'] ? ' (kept)' : ' (dropped)'}.`,
  );
}
