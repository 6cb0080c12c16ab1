import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { IdleCache } from '../../src/lib/idle-cache.js';

/** A cache of numbered objects, counting how many it made. */
function counting(options: { idleMs: number; maxEntries: number }) {
  let made = 0;
  const cache = new IdleCache(() => ({ n: ++made }), options);
  return { cache, made: () => made };
}

t.test('a key keeps its value while it is used, and each key has its own', async (t) => {
  const { cache, made } = counting({ idleMs: 60_000, maxEntries: 4 });
  const a = cache.get('a');
  t.equal(cache.get('a'), a, 'the same value again');
  t.not(cache.get('b'), a, 'another key, another value');
  t.equal(made(), 2);
});

t.test('a value is dropped once its key has gone unused for idleMs', async (t) => {
  const { cache, made } = counting({ idleMs: 20, maxEntries: 4 });
  const a = cache.get('a');
  // Timers fire in order of their due time: the drop, due first, has run when this sleep ends.
  await sleep(80);
  t.notOk(cache.has('a'), 'dropped');
  t.not(cache.get('a'), a, 'a later use gets a new value');
  t.equal(made(), 2);
});

t.test('use and touch start the idle time again', async (t) => {
  // Wide margins: a busy machine may wake a sleep late, but not by most of a second.
  const { cache } = counting({ idleMs: 1_000, maxEntries: 4 });
  const a = cache.get('a');
  for (let i = 0; i < 4; i++) {
    await sleep(300);
    if (i % 2) cache.touch('a');
    else t.equal(cache.get('a'), a, `used again after ${(i + 1) * 300} ms`);
  }
  t.ok(cache.has('a'), 'kept 1.2 s after it was made, never a second idle');
  await sleep(1_500);
  t.notOk(cache.has('a'), 'then dropped');
});

t.test('past maxEntries the least recently used is dropped', async (t) => {
  const { cache } = counting({ idleMs: 60_000, maxEntries: 2 });
  const a = cache.get('a');
  cache.get('b');
  t.equal(cache.get('a'), a, 'a used again: b is now the least recent');
  cache.get('c');
  t.notOk(cache.has('b'), 'b dropped');
  t.ok(cache.has('a') && cache.has('c'));
  cache.touch('missing');
  t.notOk(cache.has('missing'), 'touching a key without a value makes none');
});
