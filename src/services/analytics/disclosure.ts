/**
 * Statistical disclosure control for aggregate tables: small counts are never published, and no
 * suppressed value may be recovered by subtraction from the cells, margins and total published beside it.
 *
 * Pure and deterministic: no database, no I/O. Margins of multi-valued dimensions or de-duplicated
 * people counts need not equal the sum of their cells, but an attacker may still assume they do, so
 * every margin is treated as the sum of its cells (the usual linear model).
 */

import { perturb } from './cell-key.js';

export interface CellInput {
  key: Record<string, string>;
  value: number;
}

export interface PublishedValue {
  key: Record<string, string>;
  value: number | null;
  status: 'ok' | 'suppressed';
  /**
   * On suppressed values: `primary` when the value itself is small, `complementary` when it is
   * withheld so that a small value cannot be recovered by subtraction. Beside `status`, whose
   * values stay as published.
   */
  suppression?: 'primary' | 'complementary';
}

export interface SuppressionInput {
  dimensions: string[];
  cells: CellInput[];
  /** Per dimension: totals by that dimension alone. Omit or leave empty for one dimension, where the cells are the margin. */
  margins: Record<string, CellInput[]>;
  total: number;
  /** Counts from 1 to threshold - 1 are suppressed. */
  threshold: number;
}

export interface SuppressionResult {
  cells: PublishedValue[];
  margins: Record<string, PublishedValue[]>;
  total: PublishedValue;
  primary: number;
  secondary: number;
}

type Where = 'cell' | 'margin' | 'total';

/** aggregate = sum of summands, in the linear model. Lines (cells along one dimension) have no published aggregate. */
interface Group {
  summands: number[];
  aggregate?: number;
}

/** Every published value gets one flat index: cells, then each dimension's margins, then the total. */
interface TableModel {
  values: number[];
  where: Where[];
  keys: Record<string, string>[];
  equations: Group[];
  lines: Group[];
}

const OK = 0;
const PRIMARY = 1;
const SECONDARY = 2;

/** 1 <= value < threshold; zero is published because an empty cell reveals nobody. */
export function isSmall(value: number, threshold: number): boolean {
  return value >= 1 && value < threshold;
}

/**
 * The ONS cell key noise on a value suppression left published (cell-key.ts). Suppression always
 * decides first, on the true count, and the table never moves a count at or above the threshold
 * below it, so the published value is never small either.
 */
export function perturbPublished<T extends { value: number | null; status: string }>(published: T, cellKey: number, threshold: number): T {
  if (published.status !== 'ok' || published.value === null) return published;
  return { ...published, value: perturb(published.value, cellKey, threshold) };
}

export function suppressRate(numerator: { value: number | null; status: string }, denominator: { value: number | null; status: string }): 'ok' | 'suppressed' {
  const hidden = (v: { value: number | null; status: string }) => v.status === 'suppressed' || v.value === null;
  return hidden(numerator) || hidden(denominator) ? 'suppressed' : 'ok';
}

export function describeDisclosureRule(threshold: number): { rule: string; threshold: number; primary: string; secondary: string; rates: string } {
  return {
    rule: `Counts of 1 or more but below ${threshold} are never published, nor can they be derived from the values that are.`,
    threshold,
    primary: `Every cell, margin and total from 1 to ${threshold - 1} is replaced by null with status "suppressed"; zeros are published.`,
    secondary:
      `Further values are suppressed so that no row, column, margin or grand total relation leaves a single suppressed value, ` +
      `and the suppressed values in any published total add up to at least ${threshold}; an exact linear audit then confirms ` +
      `that no suppressed value can be recovered by subtraction.`,
    rates: 'A rate is suppressed when its numerator or its denominator is suppressed.',
  };
}

export function applyDisclosureControl(input: SuppressionInput): SuppressionResult {
  const { threshold } = input;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`threshold must be a positive integer, got ${threshold}`);
  // No dimensions (an aggregate without groupBy): every cell is the grand total, so there is nothing to derive
  // it from and primary suppression is the whole rule.
  if (input.dimensions.length === 0) {
    const hide = isSmall(input.total, threshold);
    const publish = (key: Record<string, string>, value: number): PublishedValue =>
      hide ? { key, value: null, status: 'suppressed', suppression: 'primary' } : { key, value, status: 'ok' };
    return {
      cells: input.cells.map((cell) => publish(cell.key, cell.value)),
      margins: {},
      total: publish({}, input.total),
      primary: hide ? input.cells.length + 1 : 0,
      secondary: 0,
    };
  }
  const model = buildModel(input);
  const status = new Uint8Array(model.values.length);
  model.values.forEach((v, i) => {
    if (isSmall(v, threshold)) status[i] = PRIMARY;
  });

  const suppress = (index: number) => {
    status[index] = SECONDARY;
  };
  const suppressed = (index: number) => status[index] !== OK;

  // Lines first so that complements stay local (the hypercube pattern); the grand total equations come last
  // because, being the widest, they would otherwise pick a complement far from the suppressed value.
  const groups = [...model.lines, ...model.equations];
  const propagate = () => {
    for (let changed = true; changed;) {
      changed = false;
      for (const group of groups) changed = protectLone(group) || changed;
      for (const equation of model.equations) changed = protectSum(equation) || changed;
    }
  };

  // A single suppressed member is the group's total minus the others.
  const protectLone = (group: Group): boolean => {
    if (members(group).filter(suppressed).length !== 1) return false;
    const complement = pickComplement(model, group, suppressed);
    if (complement === undefined) return false;
    suppress(complement);
    return true;
  };

  // With the aggregate published, the sum of the suppressed summands is derivable: it must not itself be small,
  // nor zero (non-negative unknowns summing to zero would all be revealed as zero).
  const protectSum = (equation: Group): boolean => {
    if (equation.aggregate === undefined || suppressed(equation.aggregate)) return false;
    const hidden = equation.summands.filter(suppressed);
    if (hidden.length === 0) return false;
    let sum = hidden.reduce((s, i) => s + model.values[i]!, 0);
    let changed = false;
    while (sum < threshold) {
      const complement = pickComplement(model, equation, suppressed);
      if (complement === undefined) break;
      suppress(complement);
      changed = true;
      if (complement === equation.aggregate) break;
      sum += model.values[complement]!;
    }
    return changed;
  };

  const equationsOf: Group[][] = model.values.map(() => []);
  for (const equation of model.equations) for (const i of members(equation)) equationsOf[i]!.push(equation);

  // The heuristics above are local; the audit catches combinations of equations that still pin a value down.
  for (;;) {
    propagate();
    const recoverable = findRecoverableIndices(model, suppressed);
    if (recoverable.length === 0) break;
    const touched = new Set<Group>();
    let added = false;
    for (const index of recoverable) {
      const own = equationsOf[index]!;
      if (own.some((e) => touched.has(e))) continue;
      const nearby = own.flatMap((e) => members(e)).filter((i) => !suppressed(i));
      // Nothing left beside it: widen to the whole table rather than publish a recoverable value.
      const complement = pickPreferred(model, nearby.length > 0 ? nearby : model.values.map((_, i) => i).filter((i) => !suppressed(i)));
      if (complement === undefined) continue;
      suppress(complement);
      for (const e of equationsOf[complement]!) touched.add(e);
      added = true;
    }
    if (!added) break;
  }

  const publish = (i: number): PublishedValue =>
    suppressed(i)
      ? { key: model.keys[i]!, value: null, status: 'suppressed', suppression: status[i] === PRIMARY ? 'primary' : 'complementary' }
      : { key: model.keys[i]!, value: model.values[i]!, status: 'ok' };
  let next = 0;
  const cells = input.cells.map(() => publish(next++));
  const margins: Record<string, PublishedValue[]> = {};
  for (const d of input.dimensions) {
    const given = input.margins?.[d];
    if (given) margins[d] = given.map(() => publish(next++));
  }
  return {
    cells,
    margins,
    total: publish(next),
    primary: status.filter((s) => s === PRIMARY).length,
    secondary: status.filter((s) => s === SECONDARY).length,
  };
}

/** Test aid and safety net: the suppressed values that the published linear system determines uniquely. */
export function findRecoverableValues(
  input: SuppressionInput,
  result: SuppressionResult,
): Array<{ where: 'cell' | 'margin' | 'total'; key: Record<string, string> }> {
  const model = buildModel(input);
  const hidden = [...result.cells, ...input.dimensions.flatMap((d) => (input.margins?.[d] ? (result.margins[d] ?? []) : [])), result.total].map(
    (v) => v.status === 'suppressed',
  );
  if (hidden.length !== model.values.length) throw new RangeError('result does not match input');
  return findRecoverableIndices(model, (i) => hidden[i]!).map((i) => ({ where: model.where[i]!, key: model.keys[i]! }));
}

function buildModel(input: SuppressionInput): TableModel {
  const { dimensions, cells } = input;
  if (dimensions.length === 0) throw new RangeError('at least one dimension is required');
  const model: TableModel = { values: [], where: [], keys: [], equations: [], lines: [] };
  const push = (where: Where, key: Record<string, string>, value: number) => {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`counts must be non-negative, got ${value} at ${JSON.stringify(key)}`);
    model.values.push(value);
    model.where.push(where);
    model.keys.push(key);
    return model.values.length - 1;
  };

  cells.forEach((cell) => {
    for (const d of dimensions) if (cell.key[d] === undefined) throw new RangeError(`cell ${JSON.stringify(cell.key)} has no ${d}`);
    push('cell', cell.key, cell.value);
  });

  const marginLists: number[][] = [];
  for (const d of dimensions) {
    const byCode = groupIndices(cells, (cell) => cell.key[d]!);
    const indices = (input.margins?.[d] ?? []).map((margin) => {
      const code = margin.key[d];
      if (code === undefined) throw new RangeError(`margin ${JSON.stringify(margin.key)} has no ${d}`);
      const aggregate = push('margin', margin.key, margin.value);
      model.equations.push({ aggregate, summands: byCode.get(code) ?? [] });
      return aggregate;
    });
    if (indices.length > 0) marginLists.push(indices);
  }

  const total = push('total', {}, input.total);
  for (const summands of marginLists) model.equations.push({ aggregate: total, summands });
  // Implied by the margin equations when all are given, but it is the only one for a single dimension, and its sum rule matters.
  model.equations.push({ aggregate: total, summands: cells.map((_, i) => i) });

  if (dimensions.length >= 2) {
    for (const d of dimensions) {
      const others = dimensions.filter((o) => o !== d);
      const lines = groupIndices(cells, (cell) => JSON.stringify(others.map((o) => cell.key[o])));
      for (const summands of lines.values()) if (summands.length > 1) model.lines.push({ summands });
    }
  }
  return model;
}

function groupIndices(cells: CellInput[], keyOf: (cell: CellInput) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  cells.forEach((cell, i) => {
    const key = keyOf(cell);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

function members(group: Group): number[] {
  return group.aggregate === undefined ? group.summands : [...group.summands, group.aggregate];
}

/** Smallest non-zero unsuppressed summand; a zero only when no non-zero is left; the aggregate last. */
function pickComplement(model: TableModel, group: Group, suppressed: (i: number) => boolean): number | undefined {
  const summand = pickPreferred(
    model,
    group.summands.filter((i) => !suppressed(i)),
  );
  if (summand !== undefined) return summand;
  return group.aggregate !== undefined && !suppressed(group.aggregate) ? group.aggregate : undefined;
}

/** Cells before margins before the total (detail is cheaper to lose than totals), then non-zero before zero, then smallest, then first. */
function pickPreferred(model: TableModel, candidates: number[]): number | undefined {
  const rank = { cell: 0, margin: 1, total: 2 };
  const order = (i: number) => [rank[model.where[i]!], model.values[i] === 0 ? 1 : 0, model.values[i]!, i];
  let best: number | undefined;
  for (const i of candidates) {
    if (best === undefined) best = i;
    else {
      const a = order(i);
      const b = order(best);
      const k = a.findIndex((x, j) => x !== b[j]);
      if (k >= 0 && a[k]! < b[k]!) best = i;
    }
  }
  return best;
}

/**
 * Gauss-Jordan elimination, in exact integers, of the equations restricted to the suppressed unknowns
 * (published values move to the right-hand side). A unknown is determined iff its unit vector lies in
 * the row space, which in reduced row echelon form means it is a pivot whose row has no other entry.
 */
function findRecoverableIndices(model: TableModel, suppressed: (i: number) => boolean): number[] {
  if (!model.values.some((_, i) => suppressed(i))) return [];
  const basis = new Map<number, Map<number, bigint>>(); // pivot column -> row
  for (const equation of model.equations) {
    const row = new Map<number, bigint>();
    if (equation.aggregate !== undefined && suppressed(equation.aggregate)) row.set(equation.aggregate, 1n);
    for (const i of equation.summands) if (suppressed(i)) row.set(i, -1n);
    for (const column of [...row.keys()]) {
      const pivotRow = basis.get(column);
      if (pivotRow && row.has(column)) eliminate(row, pivotRow, column);
    }
    if (row.size === 0) continue;
    const pivot = Math.min(...row.keys());
    for (const other of basis.values()) if (other.has(pivot)) eliminate(other, row, pivot);
    basis.set(pivot, row);
  }
  return [...basis.entries()]
    .filter(([, row]) => row.size === 1)
    .map(([pivot]) => pivot)
    .sort((a, b) => a - b);
}

/** target := a * target - b * source, which clears column; then divide by the content to keep integers small. */
function eliminate(target: Map<number, bigint>, source: Map<number, bigint>, column: number): void {
  const a = source.get(column)!;
  const b = target.get(column)!;
  for (const [k, v] of target) target.set(k, v * a);
  for (const [k, v] of source) {
    const next = (target.get(k) ?? 0n) - b * v;
    if (next === 0n) target.delete(k);
    else target.set(k, next);
  }
  let g = 0n;
  for (const v of target.values()) g = gcd(g, v < 0n ? -v : v);
  if (g > 1n) for (const [k, v] of target) target.set(k, v / g);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
