import fc from 'fast-check';
import t from 'tap';
import { cellKeyOf, describePerturbation, KEY_RANGE, MAX_NOISE, noiseFor, perturb, perturbationTable } from '../../src/services/analytics/cell-key.js';

/** The noise distribution for a true count: probability by noise, over every cell key. */
function distribution(count: number, threshold: number): Map<number, number> {
  const d = new Map<number, number>();
  for (let key = 0; key < KEY_RANGE; key++) {
    const noise = noiseFor(count, key, threshold);
    d.set(noise, (d.get(noise) ?? 0) + 1 / KEY_RANGE);
  }
  return d;
}

/** The distribution of a ± b for independent noises. */
function combine(a: Map<number, number>, b: Map<number, number>, sign: 1 | -1): Map<number, number> {
  const out = new Map<number, number>();
  for (const [x, p] of a) for (const [y, q] of b) out.set(x + sign * y, (out.get(x + sign * y) ?? 0) + p * q);
  return out;
}

const mean = (d: Map<number, number>) => [...d].reduce((m, [x, p]) => m + x * p, 0);

t.test('the perturbation table', async (t) => {
  await t.test('zeros stay zero; counts at or above the threshold never go below it; noise within ±2', async (t) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 100 }), (count, key, threshold) => {
        const published = perturb(count, key, threshold);
        if (count === 0) return published === 0;
        if (count < threshold) return published === count; // suppressed before perturbation; never moved
        return published >= threshold && Math.abs(published - count) <= MAX_NOISE;
      }),
      { numRuns: 5000 },
    );
    t.pass('5000 random counts, keys and thresholds');
  });

  await t.test('no published count is ever 1 to threshold − 1', async (t) => {
    for (const threshold of [1, 2, 5, 10, 11]) {
      const small = [];
      for (let count = threshold; count < threshold + 10; count++) {
        for (let key = 0; key < KEY_RANGE; key++) {
          const published = perturb(count, key, threshold);
          if (published >= 1 && published < threshold) small.push([count, key, published]);
        }
      }
      t.same(small, [], `threshold ${threshold}`);
    }
  });

  await t.test('a margin summed from its cells gets the cell key of its records', async (t) => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 50 }), { maxLength: 20 }), (cells) => {
        const direct = cellKeyOf(cells.flat().reduce((a, b) => a + b, 0));
        const viaCells = cellKeyOf(cells.map((keys) => cellKeyOf(keys.reduce((a, b) => a + b, 0))).reduce((a, b) => a + b, 0));
        return direct === viaCells;
      }),
    );
    t.pass('cells of random record keys');
  });

  await t.test('unbiased from the threshold + 2, with variance about 1, and often perturbed', async (t) => {
    for (const count of [7, 8, 50, 1000]) t.ok(Math.abs(mean(distribution(count, 5))) < 1e-12, `mean noise 0 at ${count}`);
    t.ok(Math.abs(mean(distribution(5, 5)) - 190 / 256) < 1e-12, 'at the threshold the noise is reflected upwards: mean +0.74');
    t.ok(Math.abs(mean(distribution(6, 5)) - 64 / 256) < 1e-12, 'one above: mean +0.25');
    const far = distribution(100, 5);
    const variance = [...far].reduce((v, [x, p]) => v + x * x * p, 0);
    t.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
    t.ok((far.get(0) ?? 0) < 0.4, 'most counts far from the threshold are moved');
    t.same([...distribution(5, 5).keys()].sort(), [0, 1, 2], 'at the threshold itself: only upwards, and often moved');
    t.ok((distribution(5, 5).get(0) ?? 0) < 0.4);
    t.same([...distribution(6, 5).keys()].sort(), [-1, 0, 1, 2], 'one above: down by 1 at most');
  });

  await t.test('the published table agrees with the lookup, row by row', async (t) => {
    for (const threshold of [1, 5, 10]) {
      const table = perturbationTable(threshold);
      const classes = [...new Set(table.map((r) => `${r.countFrom}-${r.countTo}`))];
      t.same(classes, [`0-0`, ...Array.from({ length: MAX_NOISE }, (_, i) => `${threshold + i}-${threshold + i}`), `${threshold + MAX_NOISE}-null`]);
      for (const row of table) {
        const probability = table.filter((r) => r.countFrom === row.countFrom).reduce((p, r) => p + r.probability, 0);
        t.equal(probability, 1, `row ${row.countFrom} sums to 1`);
        for (const count of [row.countFrom, row.countFrom + (row.countTo === null ? 37 : 0)]) {
          for (let key = row.keyFrom; key <= row.keyTo; key++) {
            if (noiseFor(count, key, threshold) !== row.noise) t.fail(`count ${count} key ${key}`);
          }
        }
        t.equal(row.probability, (row.keyTo - row.keyFrom + 1) / KEY_RANGE);
      }
    }
    const described = describePerturbation(5);
    t.match(described, { method: /cell key/, maxNoise: 2 });
    t.same(described.table, perturbationTable(5));
  });

  await t.test('cell keys: sums of record keys modulo 256, from SQL text or numbers', async (t) => {
    t.equal(cellKeyOf(null), 0);
    t.equal(cellKeyOf('513'), 1);
    t.equal(cellKeyOf(256 * 1_000_000 + 7), 7);
    t.equal(cellKeyOf(-1), 255, 'a difference of sums wraps round');
    t.equal(cellKeyOf('123456789012345678901'), Number(123456789012345678901n % 256n));
  });

  await t.test('differencing attacks recover the exact small count only in a minority of cases', async (t) => {
    // Independent record sets have independent cell keys, so each attack's error is a sum of independent noises.
    const year = [44, 43, 44].reduce((d, n) => combine(d, distribution(n, 5), -1), distribution(134, 5));
    const area = combine(distribution(22, 5), distribution(19, 5), -1);
    const overlaps = combine(combine(distribution(12, 5), distribution(8, 5), 1), distribution(18, 5), -1);
    // At the threshold, where a count cannot go down: an area of 6 less a service of 5 for the 1 between.
    const edge = combine(distribution(6, 5), distribution(5, 5), -1);
    for (const [name, error] of [
      ['year − three quarters', year],
      ['area − one service', area],
      ['service A + service B − people', overlaps],
      ['6 − 5 at the threshold', edge],
    ] as const) {
      const exact = error.get(0) ?? 0;
      t.ok(exact < 0.3, `${name}: exact ${(exact * 100).toFixed(1)}% of the time`);
      t.ok(Math.max(...error.keys()) >= 2 && Math.min(...error.keys()) <= -2, `${name}: errors from −2 to +2 and beyond`);
    }
  });
});
