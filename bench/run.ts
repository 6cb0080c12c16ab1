/**
 * `npm run bench [-- --records N --reps N]`: runs the benchmarks against the local PostgreSQL
 * (`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else postgres://postgres@127.0.0.1:5432/test) and
 * prints a Markdown table. Figures are recorded in bench/README.md.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchAggregates } from './aggregates.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '5' } } });
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

console.log(`# Benchmarks — ${new Date().toISOString()} — ${os.cpus().length} cores, Node ${process.version}\n`);
const aggregates = await benchAggregates({ adminUrl, records: Number(values.records), reps: Number(values.reps) });
console.log(`## Aggregates over ${aggregates.records.toLocaleString('en-GB')} current records (loaded in ${aggregates.loadSeconds.toFixed(1)} s)\n`);
console.log('| query | endpoint (median ms) | raw SQL (median ms) | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of aggregates.results) console.log(`| ${r.name} | ${r.endpointMs.toFixed(0)} | ${r.sqlMs.toFixed(0)} | ${r.ratio.toFixed(2)} |`);
