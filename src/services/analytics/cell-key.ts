/**
 * The ONS cell key method: noise that is the same for the same set of records in every query, so
 * that differencing two published totals (a year less three quarters, an area less one service)
 * no longer gives the exact small count between them.
 *
 * Every record draws a record key, uniform on 0–255, when it is stored (the `record_key` column's
 * default). A cell's key is the sum of its records' keys modulo 256: the same records give the same
 * key whatever query they appear in, and a cell differing by even one record gets a key independent
 * of the first. The perturbation table maps (true count, cell key) to the noise added.
 *
 * Pure and deterministic: no database, no I/O.
 */

/** Record keys and cell keys are integers from 0 to KEY_RANGE − 1. */
export const KEY_RANGE = 256;
/** The largest noise added or taken away. */
export const MAX_NOISE = 2;

/**
 * How many of the 256 cell keys give each noise in a full row (−2, −1, 0, +1, +2): the maximum
 * entropy distribution on −2…+2 with mean 0 and variance 1 (p ∝ exp(−λd²), 6e^(−4λ) = 1) in 256ths.
 */
const FULL_ROW: readonly number[] = [16, 63, 98, 63, 16];

export interface PtableRow {
  /** The true counts this row applies to: from `countFrom` to `countTo` (null: no upper bound). */
  countFrom: number;
  countTo: number | null;
  noise: number;
  /** Cell keys from `keyFrom` to `keyTo` inclusive give this noise. */
  keyFrom: number;
  keyTo: number;
  probability: number;
}

/**
 * The noise distribution for a true count n, as [noise, how many keys] in ascending noise. Zero stays
 * zero. From the threshold t up, a noise that would take the count below t is reflected (−d becomes
 * +d), so no count at or above t is published below it. Folding that weight into 0 instead would keep
 * the mean at 0 but leave a count of exactly t unperturbed, and an area of t + 1 less a service of t
 * would give the 1 between them exactly half the time; reflecting costs a small upward bias at t
 * (+0.74) and t + 1 (+0.25) only.
 * Counts from 1 to t − 1 are suppressed before perturbation; their rows are never used and are
 * unperturbed here so that a caller that forgets to suppress cannot move them either.
 */
function rowFor(count: number, threshold: number): Array<[number, number]> {
  if (count < threshold || count <= 0) return [[0, KEY_RANGE]];
  const keysFor = new Map<number, number>();
  FULL_ROW.forEach((keys, i) => {
    const noise = i - MAX_NOISE;
    const allowed = count + noise >= threshold ? noise : -noise;
    keysFor.set(allowed, (keysFor.get(allowed) ?? 0) + keys);
  });
  return [...keysFor].sort(([a], [b]) => a - b);
}

/** The noise the table adds to a true count with this cell key. */
export function noiseFor(count: number, cellKey: number, threshold: number): number {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const key = cellKeyOf(cellKey);
  let upTo = 0;
  for (const [noise, keys] of rowFor(count, threshold)) {
    upTo += keys;
    if (key < upTo) return noise;
  }
  throw new Error('unreachable: a row covers every key');
}

/** The published count: the true count plus its noise. */
export function perturb(count: number, cellKey: number, threshold: number): number {
  return count + noiseFor(count, cellKey, threshold);
}

/** A cell key from a sum of record keys (which SQL returns as text for bigint sums). */
export function cellKeyOf(sum: number | string | bigint | null | undefined): number {
  if (sum === null || sum === undefined) return 0;
  const n = typeof sum === 'bigint' ? sum : BigInt(typeof sum === 'number' ? Math.trunc(sum) : sum);
  const range = BigInt(KEY_RANGE);
  return Number(((n % range) + range) % range);
}

/** The table as published: one row per (count class, noise), with its keys and probability. */
export function perturbationTable(threshold: number): PtableRow[] {
  const classes: Array<[number, number | null]> = [[0, 0]];
  for (let n = threshold; n < threshold + MAX_NOISE; n++) classes.push([n, n]);
  classes.push([threshold + MAX_NOISE, null]);
  return classes.flatMap(([countFrom, countTo]) => {
    let keyFrom = 0;
    return rowFor(countFrom, countFrom === 0 ? 1 : threshold).map(([noise, keys]) => {
      const row = { countFrom, countTo, noise, keyFrom, keyTo: keyFrom + keys - 1, probability: keys / KEY_RANGE };
      keyFrom += keys;
      return row;
    });
  });
}

export interface PerturbationDescription {
  method: string;
  recordKeys: string;
  cellKey: string;
  maxNoise: number;
  variance: number;
  rule: string;
  table: PtableRow[];
}

export function describePerturbation(threshold: number): PerturbationDescription {
  const variance = FULL_ROW.reduce((v, keys, i) => v + (keys / KEY_RANGE) * (i - MAX_NOISE) ** 2, 0);
  return {
    method: 'ONS cell key method',
    recordKeys: `Each record draws a random record key, uniform on 0 to ${KEY_RANGE - 1}, when it is stored.`,
    cellKey:
      `A published count's cell key is the sum of the record keys of the records it counts, modulo ${KEY_RANGE}; a count of people ` +
      "sums one key per person (the key of the person's first record as linkage joined them), a sum such as children in household " +
      "counts each unit with its record's key. The noise for the count is the table's row for the true count at that key.",
    maxNoise: MAX_NOISE,
    variance,
    rule:
      `Analysts' counts carry noise from −${MAX_NOISE} to +${MAX_NOISE} (mean 0 from ${threshold + MAX_NOISE} up), after suppression: zeros stay zero, suppressed ` +
      `counts stay suppressed, and a count of ${threshold} or more is never published below ${threshold} (noise that would take it ` +
      `below is reflected upwards, so ${threshold} and ${threshold + 1} carry a small upward bias). The same records give the same ` +
      'published value in every query; differences of published totals are no longer exact. Rates use the published numerator and ' +
      'denominator. Admins see exact figures.',
    table: perturbationTable(threshold),
  };
}
