/**
 * The child process of bench/linkage-scale.ts: one `POST /v1/linkage/relink` (what an admin's full
 * relink runs: relinkEverything, victims then perpetrators, in one transaction) over the bench
 * database, in a process of its own so that its peak resident memory is the relink's. Prints one
 * JSON line: wall seconds, the response, `process.resourceUsage().maxRSS` and the largest heap
 * sampled (every 250 ms; a synchronous stretch of matching is not sampled, the maxRSS covers it).
 *
 * `node --max-old-space-size=… --import tsx bench/linkage-scale-relink.ts <database url> <estimate: true|false>`
 */
import { performance } from 'node:perf_hooks';
import { BENCH_ADMIN_KEY } from './bench-app.js';
import { buildScaleApp } from './linkage-scale.js';

const [url, estimateArg] = process.argv.slice(2);
if (!url || (estimateArg !== 'true' && estimateArg !== 'false')) {
  console.error('usage: linkage-scale-relink.ts <database url> <true|false>');
  process.exit(2);
}
const MiB = 1024 * 1024;
let peakHeap = process.memoryUsage().heapUsed;
let lastReport = performance.now();
const sampler = setInterval(() => {
  const { heapUsed, rss } = process.memoryUsage();
  peakHeap = Math.max(peakHeap, heapUsed);
  // A line every 15 s on stderr, so a long run shows how its memory grows.
  if (performance.now() - lastReport > 15_000) {
    lastReport = performance.now();
    console.error(`heap ${(heapUsed / MiB).toFixed(0)} MiB, rss ${(rss / MiB).toFixed(0)} MiB`);
  }
}, 250);

const app = await buildScaleApp(url);
let result: Record<string, unknown> | null = null;
let error: string | null = null;
const start = performance.now();
try {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/linkage/relink',
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` },
    payload: { estimate: estimateArg === 'true' },
  });
  if (res.statusCode === 200) result = res.json() as Record<string, unknown>;
  else error = `relink: ${res.statusCode} ${res.body.slice(0, 300)}`;
} catch (e) {
  error = e instanceof Error ? e.message.slice(0, 300) : String(e);
}
const seconds = (performance.now() - start) / 1000;
clearInterval(sampler);
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
await app.close();
// maxRSS is in kilobytes.
const maxRssMiB = (process.resourceUsage().maxRSS * 1024) / MiB;
console.log(JSON.stringify({ seconds, result, error, maxRssMiB, peakHeapMiB: peakHeap / MiB }));
