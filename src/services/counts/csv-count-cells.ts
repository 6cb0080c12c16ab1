/**
 * Reads a count file (`measure,area,value` and a column per breakdown dimension, e.g. `sex`) into
 * cells the count checker validates, each at its spreadsheet row (the header is row 1). Count files
 * are small (a few hundred cells), so the body is read as one string.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { forbiddenCharacter } from '../../lib/input-text.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { countBreakdownIds, countCsvFixedColumns } from '../../schema/counts/measures.js';

export interface CsvCountCell {
  row: number;
  cell: Record<string, unknown>;
  problems: FieldProblem[];
}

const INTEGER_TEXT = /^[+-]?[0-9]+$/;
const NUMBER_TEXT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/;

function csvSyntaxError(error: unknown): Error {
  if (error instanceof CsvError) {
    const line = (error as unknown as { lines?: number }).lines;
    const where = typeof line === 'number' ? `row ${line}` : undefined;
    return problem(
      400,
      'badRequest',
      `the body is not valid CSV${where ? ` at ${where}` : ''}`,
      where ? [{ pointer: where, code: 'csv_syntax', detail: 'malformed CSV (check quotes)' }] : undefined,
    );
  }
  return error as Error;
}

/** The cells of a count file; header problems (a missing or unknown column) are problems of the header row. */
export function readCountCsv(text: string): { header: FieldProblem[]; cells: CsvCountCell[] } {
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as never;
  } catch (error) {
    throw csvSyntaxError(error);
  }
  const header: FieldProblem[] = [];
  if (rows.length === 0) {
    header.push({ pointer: 'row 1, column (header)', code: 'required', detail: `a header row is required: ${countCsvFixedColumns.join(',')}` });
    return { header, cells: [] };
  }
  const columns = rows[0]!.record;
  for (const required of countCsvFixedColumns)
    if (!columns.includes(required))
      header.push({ pointer: `row 1, column ${required}`, code: 'missing_header', detail: `the header must name the column ${required}` });
  const seen = new Set<string>();
  columns.forEach((name, index) => {
    const known = (countCsvFixedColumns as readonly string[]).includes(name) || countBreakdownIds.includes(name);
    // A column name is the caller's text: named back only when it is one of ours, else by position.
    if (seen.has(name)) header.push({ pointer: `row 1, column ${known ? name : index + 1}`, code: 'duplicate', detail: 'the column is named twice' });
    else if (!known)
      header.push({
        pointer: 'row 1, column (header)',
        code: 'unknown_field',
        detail: `a column is not one of ${[...countCsvFixedColumns, ...countBreakdownIds].join(', ')}`,
      });
    seen.add(name);
  });
  const cells = rows.slice(1).map(({ record, info }) => {
    const row = info.lines;
    const problems: FieldProblem[] = [];
    if (record.length !== columns.length)
      problems.push({
        pointer: `row ${row}, column (row)`,
        code: 'wrong_cell_count',
        detail: `the row has ${record.length} cells and the header ${columns.length}`,
      });
    const cell: Record<string, unknown> = {};
    const breakdown: Record<string, string> = {};
    columns.forEach((name, i) => {
      const text = record[i] ?? '';
      if (text === '') return;
      const forbidden = forbiddenCharacter(text);
      if (forbidden) {
        problems.push({ pointer: `row ${row}, column ${name}`, code: 'forbidden_character', detail: `the cell ${forbidden}` });
        return;
      }
      if (name === 'value') cell.value = INTEGER_TEXT.test(text) || NUMBER_TEXT.test(text) ? Number(text) : text;
      else if (name === 'measure' || name === 'area') cell[name] = text;
      else if (countBreakdownIds.includes(name)) breakdown[name] = text;
    });
    if (Object.keys(breakdown).length > 0) cell.breakdown = breakdown;
    return { row, cell, problems };
  });
  return { header, cells };
}
