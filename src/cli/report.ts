/**
 * The validation report `vawg validate` and `vawg submit` print: the same problems, located the
 * same way (`row 13, column victim.ethnicity` for CSV, `/records/12/victim/ethnicity` for JSON),
 * whether they were found offline or came back from the server in a 422 problem document.
 *
 * A tally is built one batch of problems at a time, so a file with a problem in every one of its
 * 100,000 rows costs no more memory than one with three: it keeps the first problems (as the
 * server does, `ProblemList`), a count of the rest, and a per-column summary.
 */
import type { FieldProblem } from '../lib/problem.js';
import { columnOfPointer } from '../services/returns/csv-records.js';
import { ProblemList } from '../services/returns/validate-return.js';

/** Problems printed one per line; the rest are counted, and summarised per column. */
export const PRINTED_PROBLEMS = 50;
/** Columns listed in the summary (a wrong header can give one per column). */
const SUMMARY_COLUMNS = 30;

export type ReturnFormat = 'csv' | 'json';

export interface ColumnSummary {
  column: string;
  code: string;
  /** Rows (CSV) or records (JSON) with this problem in this column. */
  rows: number;
  /** The first problem's detail, as an example. */
  detail: string;
}

/** The machine-readable report (`--json`). */
export interface ProblemReport {
  valid: boolean;
  format: ReturnFormat;
  /** Records read, when the file could be read to the end. */
  recordCount: number | null;
  problemCount: number;
  /** Rows (CSV) or records (JSON) with at least one problem; header problems count as row 1. */
  rowsWithProblems: number;
  /** False when the count comes from a list the server cut short, so it is a lower bound. */
  rowsExact: boolean;
  /** The first problems (at most 1,000, as the server lists). */
  problems: FieldProblem[];
  byColumn: ColumnSummary[];
  warnings: FieldProblem[];
  /** What was not checked, and why. */
  notes: string[];
}

const CSV_LOCATION = /^row (\d+), column (.*)$/;
const JSON_LOCATION = /^\/records\/(\d+)(\/.*)?$/;

/** The row (CSV) or record index (JSON) a problem is in, and its column. */
export function locationOf(problem: FieldProblem): { unit: number | undefined; column: string } {
  if (problem.pointer === undefined) return { unit: undefined, column: problem.parameter ? `parameter ${problem.parameter}` : '(return)' };
  const csv = CSV_LOCATION.exec(problem.pointer);
  if (csv) return { unit: Number(csv[1]), column: csv[2]! };
  if (problem.pointer.startsWith('column ')) return { unit: undefined, column: problem.pointer.slice('column '.length) };
  const json = JSON_LOCATION.exec(problem.pointer);
  if (json) return { unit: Number(json[1]), column: json[2] ? columnOfPointer(json[2]) : '(record)' };
  // `/service`, `/period`, `/records`: the envelope of a JSON return.
  return { unit: undefined, column: problem.pointer.replace(/^\//, '') || '(return)' };
}

/** `row 13, column victim.ethnicity: must be one of: …` */
export function formatProblem(problem: FieldProblem): string {
  const where = problem.pointer ?? (problem.parameter ? `parameter ${problem.parameter}` : undefined);
  return where === undefined ? problem.detail : `${where}: ${problem.detail}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-GB');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export class ProblemTally {
  readonly list = new ProblemList();
  rowsWithProblems = 0;
  rowsExact = true;
  private lastUnit: number | undefined;
  private readonly columns = new Map<string, ColumnSummary & { lastUnit: number | undefined }>();

  /** Adds problems in the order they were found (rows in increasing order). */
  add(problems: readonly FieldProblem[]): void {
    this.list.add(problems);
    for (const problem of problems) {
      const { unit, column } = locationOf(problem);
      if (unit !== undefined && unit !== this.lastUnit) {
        this.rowsWithProblems++;
        this.lastUnit = unit;
      }
      const key = `${column}\u0000${problem.code}`;
      const summary = this.columns.get(key);
      if (!summary) this.columns.set(key, { column, code: problem.code, rows: 1, detail: problem.detail, lastUnit: unit });
      else if (unit === undefined || unit !== summary.lastUnit) {
        summary.rows++;
        summary.lastUnit = unit;
      }
    }
  }

  get count(): number {
    return this.list.count;
  }

  byColumn(): ColumnSummary[] {
    return [...this.columns.values()].map(({ column, code, rows, detail }) => ({ column, code, rows, detail })).sort((a, b) => b.rows - a.rows);
  }

  report(params: { format: ReturnFormat; recordCount: number | null; warnings?: FieldProblem[]; notes?: string[] }): ProblemReport {
    return {
      valid: this.count === 0,
      format: params.format,
      recordCount: params.recordCount,
      problemCount: this.count,
      rowsWithProblems: this.rowsWithProblems,
      rowsExact: this.rowsExact,
      problems: this.list.problems,
      byColumn: this.byColumn(),
      warnings: params.warnings ?? [],
      notes: params.notes ?? [],
    };
  }
}

/**
 * The tally of a 422 problem document from the server. The server lists at most 1,000 problems;
 * `problemCount` says how many there were in all.
 */
export function tallyOfProblemDocument(document: { detail?: string; errors?: FieldProblem[]; problemCount?: number }): ProblemTally {
  const tally = new ProblemTally();
  const errors = document.errors ?? [];
  tally.add(errors);
  const total = document.problemCount ?? errors.length;
  if (total > errors.length) {
    tally.list.count = total;
    tally.rowsExact = false;
  }
  return tally;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function formatWarnings(warnings: readonly FieldProblem[]): string {
  return warnings.map((w) => `warning: ${formatProblem(w)}\n`).join('');
}

/**
 * The readable report: the first problems one per line, a count of the rest, a summary per column
 * when problems repeat, warnings, notes, and a final verdict line.
 */
export function formatReport(report: ProblemReport, options: { verdict?: string } = {}): string {
  const lines: string[] = [];
  const unit = report.format === 'csv' ? 'row' : 'record';
  if (report.problemCount > 0) {
    for (const problem of report.problems.slice(0, PRINTED_PROBLEMS)) lines.push(formatProblem(problem));
    const unprinted = report.problemCount - Math.min(report.problems.length, PRINTED_PROBLEMS);
    if (unprinted > 0) lines.push(`… and ${plural(unprinted, 'more problem')}`);
    const summary = report.byColumn;
    const repeats = summary.some((s) => s.rows > 1) || unprinted > 0;
    if (repeats) {
      lines.push('', `Problems by column (${unit}s with the problem${report.rowsExact ? '' : ', among those listed'}):`);
      const width = Math.min(Math.max(...summary.map((s) => s.column.length)), 40);
      for (const s of summary.slice(0, SUMMARY_COLUMNS))
        lines.push(`  ${s.column.padEnd(width)}  ${plural(s.rows, unit).padStart(12)}  ${s.code}: ${truncate(s.detail, 80)}`);
      if (summary.length > SUMMARY_COLUMNS) lines.push(`  … and ${plural(summary.length - SUMMARY_COLUMNS, 'more column')}`);
    }
    lines.push('');
  }
  for (const warning of report.warnings) lines.push(`warning: ${formatProblem(warning)}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  if (options.verdict !== undefined) lines.push(options.verdict);
  else if (report.valid) lines.push(`valid: ${plural(report.recordCount ?? 0, 'record')}`);
  else {
    const where = report.rowsWithProblems > 0 ? ` in ${report.rowsExact ? '' : 'at least '}${plural(report.rowsWithProblems, unit)}` : '';
    lines.push(`invalid: ${plural(report.problemCount, 'problem')}${where}`);
  }
  return `${lines.join('\n')}\n`;
}
