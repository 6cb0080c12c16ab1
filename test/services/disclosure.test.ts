import t, { type Test } from 'tap';
import {
  applyDisclosureControl,
  describeDisclosureRule,
  findRecoverableValues,
  isSmall,
  suppressRate,
  type CellInput,
  type PublishedValue,
  type SuppressionInput,
  type SuppressionResult,
} from '../../src/services/analytics/disclosure.js';

/** A full cross-tab over the given code lists, with linear margins and total, as the aggregate queries produce. */
function buildTable(codes: Record<string, string[]>, valueOf: (index: number) => number, threshold = 5): SuppressionInput {
  const dimensions = Object.keys(codes);
  let keys: Record<string, string>[] = [{}];
  for (const d of dimensions) keys = keys.flatMap((k) => codes[d]!.map((c) => ({ ...k, [d]: c })));
  const cells: CellInput[] = keys.map((key, i) => ({ key, value: valueOf(i) }));
  const margins: Record<string, CellInput[]> = {};
  if (dimensions.length > 1) {
    for (const d of dimensions) {
      margins[d] = codes[d]!.map((c) => ({ key: { [d]: c }, value: cells.filter((cell) => cell.key[d] === c).reduce((s, cell) => s + cell.value, 0) }));
    }
  }
  return { dimensions, cells, margins, total: cells.reduce((s, c) => s + c.value, 0), threshold };
}

function matrix(rows: number[][], threshold = 5): SuppressionInput {
  const width = rows[0]!.length;
  const codes = { row: rows.map((_, i) => `r${i}`), col: Array.from({ length: width }, (_, j) => `c${j}`) };
  return buildTable(codes, (i) => rows[Math.floor(i / width)]![i % width]!, threshold);
}

function allPublished(result: SuppressionResult): PublishedValue[] {
  return [...result.cells, ...Object.values(result.margins).flat(), result.total];
}

/** Cells of the result grouped into lines along one dimension (rows and columns in 2-D). */
function linesOf(input: SuppressionInput, result: SuppressionResult): PublishedValue[][] {
  const lines: PublishedValue[][] = [];
  for (const d of input.dimensions) {
    const groups = new Map<string, PublishedValue[]>();
    input.cells.forEach((cell, i) => {
      const key = JSON.stringify(input.dimensions.filter((o) => o !== d).map((o) => cell.key[o]));
      groups.set(key, [...(groups.get(key) ?? []), result.cells[i]!]);
    });
    lines.push(...groups.values());
  }
  return lines;
}

const hidden = (values: PublishedValue[]) => values.filter((v) => v.status === 'suppressed').length;

/** Invariants every result must satisfy, whatever the table. */
function checkSafe(t: Test, input: SuppressionInput, result: SuppressionResult): void {
  const truth = [...input.cells, ...input.dimensions.flatMap((d) => input.margins[d] ?? []), { key: {}, value: input.total }];
  const published = allPublished(result);
  t.equal(published.length, truth.length, 'one published value per input value');
  const leaks = published.filter((v, i) => v.status === 'ok' && (v.value !== truth[i]!.value || isSmall(truth[i]!.value, input.threshold)));
  t.same(leaks, [], 'published values are the true values, never small');
  t.ok(
    published.every((v) => (v.status === 'suppressed') === (v.value === null)),
    'null exactly when suppressed',
  );
  t.same(
    published.map(
      (v, i) =>
        (v.status === 'suppressed' ? v.suppression : 'ok') ===
        (v.status !== 'suppressed' ? 'ok' : isSmall(truth[i]!.value, input.threshold) ? 'primary' : 'complementary'),
    ),
    published.map(() => true),
    'every suppressed value says whether it is small (primary) or a complement; published ones say nothing',
  );
  t.same(findRecoverableValues(input, result), [], 'audit is clean');
  if (input.dimensions.length > 1) {
    t.ok(
      linesOf(input, result).every((line) => line.length < 2 || hidden(line) !== 1),
      'no line has exactly one suppressed cell',
    );
  }
}

t.test('isSmall and suppressRate', async (t) => {
  t.same(
    [0, 1, 4, 5, 12].map((v) => isSmall(v, 5)),
    [false, true, true, false, false],
  );
  t.equal(suppressRate({ value: 10, status: 'ok' }, { value: 200, status: 'ok' }), 'ok');
  t.equal(suppressRate({ value: null, status: 'suppressed' }, { value: 200, status: 'ok' }), 'suppressed');
  t.equal(suppressRate({ value: 10, status: 'ok' }, { value: null, status: 'suppressed' }), 'suppressed');
});

t.test('1-D: the small count and the smallest non-zero other are suppressed', async (t) => {
  const input = buildTable({ ethnicityGroup: ['a', 'b', 'c', 'd'] }, (i) => [10, 3, 0, 12][i]!);
  const result = applyDisclosureControl(input);
  t.same(
    result.cells.map((c) => c.value),
    [null, null, 0, 12],
  );
  t.same(
    result.cells.map((c) => c.status),
    ['suppressed', 'suppressed', 'ok', 'ok'],
  );
  t.same(
    result.cells.map((c) => c.suppression),
    ['complementary', 'primary', undefined, undefined],
    'the 3 is small; the 10 is its complement',
  );
  t.same(result.total, { key: {}, value: 25, status: 'ok' });
  t.same(result.margins, {});
  t.equal(result.primary, 1);
  t.equal(result.secondary, 1);
  checkSafe(t, input, result);
});

t.test('2-D: one small cell is protected within its row and column', async (t) => {
  const rows = [
    [20, 2, 15],
    [12, 30, 9],
    [8, 14, 25],
  ];
  const input = matrix(rows);
  const result = applyDisclosureControl(input);
  t.equal(result.primary, 1);
  t.ok(result.secondary >= 3, 'at least a rectangle of complements');
  t.ok(
    [...result.margins.row!, ...result.margins.col!, result.total].every((v) => v.status === 'ok'),
    'margins and total published',
  );
  checkSafe(t, input, result);

  // The attacker's subtraction: row total minus the published cells of that row.
  const row0 = result.cells.slice(0, 3);
  const published = row0.reduce((s, c) => s + (c.value ?? 0), 0);
  const derived = result.margins.row![0]!.value! - published;
  t.not(derived, 2, 'the row total minus the published cells is not the small value');
  t.ok(derived >= input.threshold, 'what subtraction gives is the sum of suppressed cells, itself not small');
  for (let j = 0; j < 3; j++) {
    const column = [0, 1, 2].map((i) => result.cells[i * 3 + j]!);
    const rest = result.margins.col![j]!.value! - column.reduce((s, c) => s + (c.value ?? 0), 0);
    if (hidden(column) > 0) t.ok(rest >= input.threshold, `column ${j} leaves at least the threshold hidden`);
  }
});

t.test('small margins are suppressed and protected by another margin', async (t) => {
  const input = matrix([
    [1, 2, 0],
    [20, 14, 9],
    [11, 30, 16],
  ]);
  const result = applyDisclosureControl(input);
  const rowMargins = result.margins.row!;
  t.equal(input.margins.row![0]!.value, 3);
  t.equal(rowMargins[0]!.status, 'suppressed', 'the margin of 3 is suppressed');
  t.ok(hidden(rowMargins) >= 2, 'another row margin is suppressed with it');
  t.equal(result.total.status, 'ok', 'the total stays published');
  t.equal(result.primary, 3, 'the 1, the 2 and the margin of 3');
  checkSafe(t, input, result);
});

t.test('two small ones in a line: the sum rule forces a third suppression', async (t) => {
  const input = buildTable({ period: ['q1', 'q2', 'q3', 'q4'] }, (i) => [1, 1, 40, 50][i]!);
  const result = applyDisclosureControl(input);
  t.same(
    result.cells.map((c) => c.value),
    [null, null, null, 50],
    'the 1s sum to 2, derivable from the total, so the 40 goes too',
  );
  t.equal(result.primary, 2);
  t.equal(result.secondary, 1);
  checkSafe(t, input, result);

  const twoD = matrix([
    [1, 1, 40, 50],
    [30, 25, 60, 45],
  ]);
  const twoDResult = applyDisclosureControl(twoD);
  const row0 = twoDResult.cells.slice(0, 4);
  t.ok(hidden(row0) >= 3, 'in 2-D too');
  checkSafe(t, twoD, twoDResult);
});

t.test('zeros are published, and a complement is never a zero when a non-zero exists', async (t) => {
  const input = buildTable({ vawgType: ['a', 'b', 'c', 'd', 'e'] }, (i) => [0, 4, 0, 0, 9][i]!);
  const result = applyDisclosureControl(input);
  t.same(
    result.cells.map((c) => c.value),
    [0, null, 0, 0, null],
  );
  checkSafe(t, input, result);
});

t.test('nothing to suppress', async (t) => {
  const zeros = matrix([
    [0, 0],
    [0, 0],
  ]);
  const zeroResult = applyDisclosureControl(zeros);
  t.equal(zeroResult.primary + zeroResult.secondary, 0);
  t.ok(
    allPublished(zeroResult).every((v) => v.status === 'ok' && v.value === 0),
    'all zero, all published',
  );

  const large = buildTable({ a: ['x', 'y', 'z'], b: ['p', 'q'], c: ['m', 'n'] }, (i) => 5 + i);
  const largeResult = applyDisclosureControl(large);
  t.equal(largeResult.primary + largeResult.secondary, 0);
  checkSafe(t, large, largeResult);
});

t.test('a suppressed total is never recoverable from the margins', async (t) => {
  const input = matrix([
    [1, 0],
    [0, 2],
  ]);
  const result = applyDisclosureControl(input);
  t.equal(result.total.status, 'suppressed');
  checkSafe(t, input, result);
});

t.test('the audit repairs what the row and column rules miss', async (t) => {
  // Found by random search: the local rules leave a suppressed cell that rows and columns together pin down
  // (a bridge between two suppression cycles), so the exact audit has to add complements.
  const values = [15, 58, 14, 13, 47, 41, 39, 23, 0, 0, 0, 0, 58, 5, 4, 26, 3, 16, 20, 45, 2, 19, 6, 0, 47, 0, 36, 58, 49, 16, 14, 0, 11, 4, 23];
  const input = buildTable({ a: ['1', '2', '3', '4', '5'], b: ['1', '2', '3', '4', '5', '6', '7'] }, (i) => values[i]!);
  const result = applyDisclosureControl(input);
  checkSafe(t, input, result);
});

t.test('deterministic', async (t) => {
  const input = buildTable({ a: ['1', '2', '3', '4'], b: ['1', '2', '3'] }, (i) => [3, 0, 7, 1, 12, 2, 0, 9, 30, 4, 4, 8][i]!);
  t.same(applyDisclosureControl(input), applyDisclosureControl(structuredClone(input)));
});

t.test('the audit finds a value left recoverable', async (t) => {
  const input = buildTable({ period: ['q1', 'q2', 'q3'] }, (i) => [3, 10, 12][i]!);
  const result = applyDisclosureControl(input);
  const naive: SuppressionResult = { ...result, cells: result.cells.map((c, i) => (i === 0 ? c : { ...c, value: input.cells[i]!.value, status: 'ok' })) };
  t.same(findRecoverableValues(input, naive), [{ where: 'cell', key: { period: 'q1' } }]);
});

t.test('invalid input is rejected', async (t) => {
  t.throws(() => applyDisclosureControl({ ...matrix([[1]]), threshold: 0 }), RangeError);
  t.throws(() => applyDisclosureControl({ dimensions: ['a'], cells: [{ key: {}, value: 3 }], margins: {}, total: 3, threshold: 5 }), RangeError);
  t.throws(() => applyDisclosureControl({ dimensions: ['a'], cells: [{ key: { a: 'x' }, value: -1 }], margins: {}, total: 3, threshold: 5 }), RangeError);
});

t.test('randomised tables with small counts', async (t) => {
  const random = mulberry32(20240607);
  const pick = (n: number) => Math.floor(random() * n);
  let suppressedTotal = 0;
  for (let run = 0; run < 200; run++) {
    const threshold = [3, 5, 5, 10][pick(4)]!;
    const sizes = run % 2 === 0 ? [2 + pick(5), 2 + pick(5)] : [2 + pick(4), 2 + pick(3), 2 + pick(3)];
    const codes = Object.fromEntries(sizes.map((n, d) => [`d${d}`, Array.from({ length: n }, (_, c) => `c${c}`)]));
    // Mostly small counts and zeros, with the odd large one, so suppression patterns interlock.
    const valueOf = () => (random() < 0.3 ? 0 : random() < 0.6 ? 1 + pick(threshold) : pick(40));
    const input = buildTable(codes, valueOf, threshold);
    const result = applyDisclosureControl(input);
    suppressedTotal += result.primary + result.secondary;
    // Failures are collected so 200 runs report as one line each only when something is wrong.
    const published = allPublished(result);
    const truth = [...input.cells, ...input.dimensions.flatMap((d) => input.margins[d] ?? []), { key: {}, value: input.total }];
    const problems = [
      ...published.flatMap((v, i) => (v.status === 'ok' && isSmall(truth[i]!.value, threshold) ? [`small value published at ${i}`] : [])),
      ...published.flatMap((v, i) => (v.status === 'ok' && v.value !== truth[i]!.value ? [`value changed at ${i}`] : [])),
      ...findRecoverableValues(input, result).map((r) => `recoverable ${r.where} ${JSON.stringify(r.key)}`),
      ...(linesOf(input, result).some((line) => line.length > 1 && hidden(line) === 1) ? ['a line with one suppressed cell'] : []),
    ];
    if (problems.length > 0) t.fail(`run ${run} (${sizes.join('x')}, threshold ${threshold}): ${problems.join('; ')}`);
  }
  t.ok(suppressedTotal > 0, 'the random tables did exercise suppression');
  t.pass('200 random 2-D and 3-D tables checked');
});

t.test('a 25 x 25 x 4 table stays fast', async (t) => {
  const random = mulberry32(7);
  const codes = { a: Array.from({ length: 25 }, (_, i) => `a${i}`), b: Array.from({ length: 25 }, (_, i) => `b${i}`), c: ['1', '2', '3', '4'] };
  const input = buildTable(codes, () => (random() < 0.4 ? 0 : Math.floor(random() * 12)));
  const started = performance.now();
  const result = applyDisclosureControl(input);
  const elapsed = performance.now() - started;
  t.ok(result.primary > 100, 'many small values');
  t.ok(elapsed < 5000, `took ${Math.round(elapsed)} ms`);
  t.same(findRecoverableValues(input, result), []);
});

t.test('describeDisclosureRule mentions the threshold', async (t) => {
  const rule = describeDisclosureRule(7);
  t.equal(rule.threshold, 7);
  t.match(rule.rule, /7/);
  t.match(rule.primary, /1 to 6/);
  t.match(rule.secondary, /7/);
  t.match(rule.rates, /numerator or its denominator/);
});

/** Small seeded PRNG so the property test is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
