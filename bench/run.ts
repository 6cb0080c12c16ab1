/**
 * `npm run bench [-- --only aggregates|linkage] [--records N --reps N] [--linkage-sizes 10000,100000]
 * [--thresholds 0,-1]`: runs the benchmarks and prints Markdown tables. Aggregates run against the
 * local PostgreSQL (`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else
 * postgres://postgres@127.0.0.1:5432/test); linkage needs no database. Figures are recorded in
 * bench/README.md.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchAggregates } from './aggregates.js';
import { benchLinkage } from './linkage.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    records: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '5' },
    'linkage-sizes': { type: 'string', default: '10000,100000,1000000' },
    thresholds: { type: 'string', default: '0,-1' },
  },
});
if (values.only !== undefined && values.only !== 'aggregates' && values.only !== 'linkage') {
  console.error('--only must be aggregates or linkage');
  process.exit(2);
}
const numbers = (list: string) => list.split(',').map((v) => Number(v.trim()));
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

console.log(`# Benchmarks — ${new Date().toISOString()} — ${os.cpus().length} cores, Node ${process.version}\n`);

if (values.only !== 'linkage') {
  const aggregates = await benchAggregates({ adminUrl, records: Number(values.records), reps: Number(values.reps) });
  console.log(`## Aggregates over ${aggregates.records.toLocaleString('en-GB')} current records (loaded in ${aggregates.loadSeconds.toFixed(1)} s)\n`);
  console.log('| query | endpoint (median ms) | raw SQL (median ms) | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const r of aggregates.results) console.log(`| ${r.name} | ${r.endpointMs.toFixed(0)} | ${r.sqlMs.toFixed(0)} | ${r.ratio.toFixed(2)} |`);
  console.log('');
}

if (values.only !== 'aggregates') {
  const percent = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${percent(x)}`;
  console.log('## Linkage\n');
  console.log(
    '| records | method | precision | recall | F1 | true people | estimated | people error | seconds | records/s | candidate pairs | refused merges |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const timings: string[] = [];
  for (const size of numbers(values['linkage-sizes'])) {
    const result = await benchLinkage({ records: size, thresholds: numbers(values.thresholds) });
    for (const run of result.runs) {
      const a = run.accuracy;
      console.log(
        `| ${result.records.toLocaleString('en-GB')} | ${run.name} | ${percent(a.precision)} | ${percent(a.recall)} | ${a.f1.toFixed(4)} | ` +
          `${a.truePeople.toLocaleString('en-GB')} | ${a.estimatedPeople.toLocaleString('en-GB')} | ${signed(a.peopleError)} | ${run.seconds.toFixed(2)} | ` +
          `${Math.round(run.recordsPerSecond).toLocaleString('en-GB')} | ${run.stats?.candidatePairs.toLocaleString('en-GB') ?? ''} | ${run.stats?.refusedMerges.toLocaleString('en-GB') ?? ''} |`,
      );
    }
    timings.push(
      `${result.records.toLocaleString('en-GB')} records: generated in ${result.generateSeconds.toFixed(1)} s, tokenised (12 HMACs a record) in ${result.tokeniseSeconds.toFixed(1)} s`,
    );
  }
  console.log('');
  for (const line of timings) console.log(`- ${line}`);
}
