/**
 * Whole-return validation of a count return: every problem of every cell is found and located
 * (`/counts/3/value` in JSON, `row 4, column value` in CSV), and none quotes a cell back. The
 * catalogue (`schema/counts/measures.ts`) is the only source of measures, breakdowns and codes.
 * Used by the server and, offline, by `vawg validate`.
 */
import { parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import type { FieldProblem } from '../../lib/problem.js';
import { countAreaPattern, countAreaPatternText, countMeasuresById } from '../../schema/counts/measures.js';
import { ProblemList } from '../returns/validate-return.js';

/** One count as sent, before validation. */
export interface CountCellInput {
  measure: string;
  area: string;
  value: number;
  breakdown?: Record<string, string>;
}

/** Where a problem is: `at` is a cell's position (its index in JSON, its row in CSV), `field` a cell's field or `breakdown/sex`. */
export type LocateCount = (at: number, field: string) => string;

export const locateCountInJson: LocateCount = (at, field) => `/counts/${at}/${field}`;

/** A CSV file has a column per breakdown dimension, named by the dimension (`sex`). */
export const locateCountInCsv: LocateCount = (at, field) => `row ${at}, column ${field.startsWith('breakdown/') ? field.slice('breakdown/'.length) : field}`;

const CELL_FIELDS = ['measure', 'area', 'value', 'breakdown'];
const AREA = new RegExp(countAreaPattern);
/** Counts are stored as PostgreSQL integers. */
const MAX_VALUE = 2_147_483_647;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The identity of a cell for the duplicate rule: measure, area and breakdown (its dimensions in order). */
function cellIdentity(cell: CountCellInput): string {
  const breakdown = Object.entries(cell.breakdown ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([cell.measure, cell.area, breakdown]);
}

export interface CountCellChecker {
  /** The problems of one cell; a valid cell is remembered for the duplicate rule. */
  check(cell: unknown, at: number): FieldProblem[];
}

export function createCountCellChecker(locate: LocateCount): CountCellChecker {
  const seen = new Map<string, number>();
  return {
    check(cell, at) {
      if (!isObject(cell))
        return [{ pointer: locate(at, '').replace(/\/$/, ''), code: 'wrong_type', detail: 'a count must be an object with measure, area and value' }];
      const problems: FieldProblem[] = [];
      for (const key of Object.keys(cell))
        if (!CELL_FIELDS.includes(key))
          problems.push({ pointer: locate(at, key), code: 'unknown_field', detail: 'is not a field of a count (measure, area, value, breakdown)' });
      const measure = typeof cell.measure === 'string' ? countMeasuresById.get(cell.measure) : undefined;
      if (cell.measure === undefined)
        problems.push({ pointer: locate(at, 'measure'), code: 'required', detail: 'the measure (GET /v1/count-measures) is required' });
      else if (!measure)
        problems.push({
          pointer: locate(at, 'measure'),
          code: 'unknown_measure',
          detail: 'is not a measure of the catalogue (GET /v1/count-measures lists them)',
        });
      if (cell.area === undefined) problems.push({ pointer: locate(at, 'area'), code: 'required', detail: `the area is required: it ${countAreaPatternText}` });
      else if (typeof cell.area !== 'string' || !AREA.test(cell.area))
        problems.push({ pointer: locate(at, 'area'), code: 'invalid_format', detail: countAreaPatternText });
      if (cell.value === undefined) problems.push({ pointer: locate(at, 'value'), code: 'required', detail: 'the count is required (0 when there were none)' });
      else if (typeof cell.value !== 'number' || !Number.isInteger(cell.value))
        problems.push({ pointer: locate(at, 'value'), code: 'wrong_type', detail: 'must be a whole number (a count, not a rate or percentage)' });
      else if (cell.value < 0) problems.push({ pointer: locate(at, 'value'), code: 'negative_value', detail: 'a count cannot be negative' });
      else if (cell.value > MAX_VALUE) problems.push({ pointer: locate(at, 'value'), code: 'too_large', detail: `must be at most ${MAX_VALUE}` });
      if (cell.breakdown !== undefined && cell.breakdown !== null) {
        if (!isObject(cell.breakdown))
          problems.push({
            pointer: locate(at, 'breakdown'),
            code: 'wrong_type',
            detail: 'must be an object naming a code per dimension, e.g. {"sex": "female"}',
          });
        else
          for (const [dimension, code] of Object.entries(cell.breakdown)) {
            const allowed = measure?.breakdowns.find((b) => b.id === dimension);
            if (measure && !allowed)
              problems.push({
                pointer: locate(at, `breakdown/${dimension}`),
                code: 'unknown_breakdown',
                detail: measure.breakdowns.length
                  ? `this measure is broken down only by ${measure.breakdowns.map((b) => b.id).join(', ')}`
                  : 'this measure has no breakdowns: send its total only',
              });
            else if (allowed && (typeof code !== 'string' || !allowed.codes.some((c) => c.code === code)))
              problems.push({
                pointer: locate(at, `breakdown/${dimension}`),
                code: 'unknown_code',
                detail: `must be one of ${allowed.codes.map((c) => c.code).join(', ')}`,
              });
          }
      }
      if (problems.length === 0) {
        const identity = cellIdentity(cell as unknown as CountCellInput);
        const first = seen.get(identity);
        if (first !== undefined)
          problems.push({
            pointer: locate(at, 'measure'),
            code: 'duplicate',
            detail: `the same measure, area and breakdown as the count at ${locate(first, '').replace(/(\/|, column )$/, '')}: send each count once`,
          });
        else seen.set(identity, at);
      }
      return problems;
    },
  };
}

/**
 * Data-quality warnings over a return's valid cells (the return is still accepted): a breakdown
 * summing to more than its total, and a breakdown sent without its total (a breakdown need not sum
 * to the total, so the total cannot be derived from it). Positions only, never a value.
 */
export function countCellWarnings(cells: ReadonlyArray<{ at: number; cell: CountCellInput }>, locate: LocateCount): FieldProblem[] {
  const totals = new Map<string, { at: number; value: number }>();
  const breakdowns = new Map<string, { at: number; total: string; dimension: string; sum: number }>();
  for (const { at, cell } of cells) {
    const total = JSON.stringify([cell.measure, cell.area]);
    const dimensions = Object.keys(cell.breakdown ?? {});
    if (dimensions.length === 0) totals.set(total, { at, value: cell.value });
    else if (dimensions.length === 1) {
      const key = JSON.stringify([cell.measure, cell.area, dimensions[0]]);
      const group = breakdowns.get(key) ?? { at, total, dimension: dimensions[0]!, sum: 0 };
      group.sum += cell.value;
      breakdowns.set(key, group);
    }
  }
  const warnings: FieldProblem[] = [];
  const missingTotalFor = new Set<string>();
  for (const group of breakdowns.values()) {
    const total = totals.get(group.total);
    if (!total) {
      if (missingTotalFor.has(group.total)) continue;
      missingTotalFor.add(group.total);
      warnings.push({
        pointer: locate(group.at, `breakdown/${group.dimension}`),
        code: 'total_missing',
        detail:
          'a breakdown is sent without the total for its measure and area: send the total too (a breakdown need not add up to it, so it cannot be derived)',
      });
    } else if (group.sum > total.value)
      warnings.push({
        pointer: locate(total.at, 'value'),
        code: 'breakdown_exceeds_total',
        detail: `the ${group.dimension} breakdown of this measure and area adds up to more than this total: check the total, or whether a breakdown cell counts something else`,
      });
  }
  return warnings;
}

/** The envelope (`service`, `period`, `counts`) of a JSON count return. */
export function validateCountEnvelope(body: unknown): FieldProblem[] {
  if (!isObject(body)) return [{ pointer: '/', code: 'wrong_type', detail: 'the body must be an object with service, period and counts' }];
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(body))
    if (!['service', 'period', 'counts'].includes(key))
      problems.push({ pointer: `/${key}`, code: 'unknown_field', detail: 'is not a field of a count return (service, period, counts)' });
  if (typeof body.service !== 'string')
    problems.push({
      pointer: '/service',
      code: body.service === undefined ? 'required' : 'wrong_type',
      detail: 'the service id (a slug such as met-police-ce) is required',
    });
  problems.push(...periodProblems(body.period, (field) => ({ pointer: `/${field}` })));
  if (!Array.isArray(body.counts))
    problems.push({ pointer: '/counts', code: body.counts === undefined ? 'required' : 'wrong_type', detail: 'must be an array of counts' });
  return problems;
}

export function periodProblems(period: unknown, where: (field: 'period') => Pick<FieldProblem, 'pointer' | 'parameter'>): FieldProblem[] {
  if (typeof period === 'string' && new RegExp(QUARTER_PATTERN).test(period) && parseQuarter(period)) return [];
  return [{ ...where('period'), code: period === undefined ? 'required' : 'invalid_format', detail: 'must be a UK financial quarter such as 2022-23-Q1' }];
}

export interface CountValidationReport {
  problems: FieldProblem[];
  problemCount: number;
  cellCount: number;
  /** Data-quality warnings: the return is still accepted (see `countCellWarnings`). */
  warnings: FieldProblem[];
}

/** Validates a whole JSON count return held in memory (the offline `vawg validate` uses this too). */
export function validateCountReturn(body: unknown): CountValidationReport {
  const list = new ProblemList();
  list.add(validateCountEnvelope(body));
  const cells = isObject(body) && Array.isArray(body.counts) ? (body.counts as unknown[]) : [];
  const checker = createCountCellChecker(locateCountInJson);
  cells.forEach((cell, i) => list.add(checker.check(cell, i)));
  // As the server does: warnings only for a return that would be accepted.
  const warnings =
    list.count === 0
      ? countCellWarnings(
          cells.map((cell, at) => ({ at, cell: cell as CountCellInput })),
          locateCountInJson,
        )
      : [];
  return { problems: list.problems, problemCount: list.count, cellCount: cells.length, warnings };
}
