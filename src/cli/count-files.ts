/**
 * Count files (contract 1.1 §5) for `vawg validate`: telling a count file from a record return,
 * and checking it offline with the server's own reader and checker, so the problems and their
 * pointers (`/counts/3/value`, `row 4, column value`) are the ones `POST /v1/count-returns` gives.
 */
import { readFile } from 'node:fs/promises';
import { presentProblems, type FieldProblem } from '../lib/problem.js';
import { readCountCsv } from '../services/counts/csv-count-cells.js';
import {
  countCellWarnings,
  createCountCellChecker,
  locateCountInCsv,
  type CountCellInput,
  periodProblems,
  validateCountReturn,
} from '../services/counts/validate-count-return.js';
import { plural, ProblemTally, type ProblemReport, type ReturnFormat } from './report.js';
import { addCsvReadError, readJsonFile } from './validate-command.js';
import { UsageError } from './command-line.js';

export type FileKind = 'records' | 'counts';

/** Offline, the file is the provider's own: what was sent may be shown back, as validate-command does. */
const ECHO_OFFLINE = true;

const NOT_CHECKED_OFFLINE =
  'not checked offline: that the service is registered and your key may submit for it, and that the period is not locked (vawg submit --dry-run checks these)';

export function checkKind(kind: string | undefined): FileKind | undefined {
  if (kind !== undefined && kind !== 'records' && kind !== 'counts') throw new UsageError(`--kind must be records or counts, not ${JSON.stringify(kind)}`);
  return kind;
}

/**
 * A JSON file with a top-level `counts` array and no `records`, or a CSV file whose header names
 * `measure` and `value`, is a count file; anything else (an unreadable file too) is left to the
 * record-return path, which reports what is wrong with it.
 */
export async function detectFileKind(file: string, format: ReturnFormat): Promise<FileKind> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return 'records';
  }
  if (format === 'json') {
    try {
      const body = JSON.parse(text) as unknown;
      if (typeof body === 'object' && body !== null && Array.isArray((body as { counts?: unknown }).counts) && !('records' in body)) return 'counts';
    } catch {
      // Not JSON: the record path says so.
    }
    return 'records';
  }
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const columns = firstLine.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  return columns.includes('measure') && columns.includes('value') ? 'counts' : 'records';
}

function verdict(tally: ProblemTally, cellCount: number | null, unit: string): string {
  if (tally.count === 0) return `valid: ${plural(cellCount ?? 0, 'cell')}`;
  const where = tally.rowsWithProblems > 0 ? ` in ${plural(tally.rowsWithProblems, unit)}` : '';
  return `invalid: ${plural(tally.count, 'problem')}${where}`;
}

export interface CountFileReport {
  report: ProblemReport;
  verdict: string;
}

/** Checks a JSON count return exactly as `POST /v1/count-returns` does (bar the database). */
export async function validateCountJsonFile(file: string): Promise<CountFileReport> {
  const tally = new ProblemTally();
  const { body, readable } = await readJsonFile(file, tally);
  if (!readable) return { report: tally.report({ format: 'json', recordCount: null }), verdict: verdict(tally, null, 'cell') };
  const result = validateCountReturn(body);
  tally.add(presentProblems(result.problems, ECHO_OFFLINE));
  if (result.problemCount > result.problems.length) {
    tally.list.count = result.problemCount;
    tally.rowsExact = false;
  }
  const report = tally.report({ format: 'json', recordCount: result.cellCount, warnings: result.warnings, notes: [NOT_CHECKED_OFFLINE] });
  return { report, verdict: verdict(tally, result.cellCount, 'cell') };
}

/** Checks a CSV count file exactly as `POST /v1/count-returns?service=&period=` with `text/csv` does. */
export async function validateCountCsvFile(file: string, flags: { service?: string | undefined; period?: string | undefined }): Promise<CountFileReport> {
  const tally = new ProblemTally();
  let cellCount: number | null = null;
  let warnings: FieldProblem[] = [];
  try {
    const { header, cells } = readCountCsv(await readFile(file, 'utf8'));
    if (flags.period !== undefined) tally.add(periodProblems(flags.period, () => ({ parameter: 'period' })));
    tally.add(header);
    // As the server does: with the header wrong the rows cannot be read reliably.
    if (header.length === 0) {
      const checker = createCountCellChecker(locateCountInCsv);
      for (const { row, cell, problems } of cells) {
        const readAt = new Set(problems.map((p) => p.pointer));
        tally.add(presentProblems([...problems, ...checker.check(cell, row).filter((p) => !readAt.has(p.pointer))], ECHO_OFFLINE));
      }
      cellCount = cells.length;
      if (tally.count === 0)
        warnings = countCellWarnings(
          cells.map(({ row, cell }) => ({ at: row, cell: cell as unknown as CountCellInput })),
          locateCountInCsv,
        );
    }
  } catch (error) {
    addCsvReadError(tally, error);
  }
  const notes: string[] = [];
  if (flags.service === undefined || flags.period === undefined)
    notes.push('a CSV count file is submitted with --service and --period (vawg submit needs both)');
  notes.push(NOT_CHECKED_OFFLINE);
  return { report: tally.report({ format: 'csv', recordCount: cellCount, warnings, notes }), verdict: verdict(tally, cellCount, 'row') };
}
