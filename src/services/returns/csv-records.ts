/**
 * Reads a CSV return as a stream of records, one row at a time, so a file of any size is checked
 * and stored in bounded memory. The header names fields (see `schema/dataset/csv-columns.ts`);
 * each cell is converted to the type its field declares, and problems are located by row and
 * column as a spreadsheet shows them (the header is row 1).
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { crosswalkLookup } from '../../schema/dataset/crosswalks.js';
import { CSV_LIST_SEPARATOR, resolveColumn, type CsvColumn } from '../../schema/dataset/csv-columns.js';
import { recordFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import type { Locate } from './validate-return.js';

export interface CsvRecord {
  /** The spreadsheet row (the header is row 1). */
  row: number;
  record: Record<string, unknown>;
  /** Cells that could not be converted to their field's type. */
  problems: FieldProblem[];
  /** How many cells were translated through a published crosswalk (e.g. NHS 2001 ethnic letters). */
  crosswalked: number;
}

export function locateCell(row: number | '*', column: string): string {
  return row === '*' ? `column ${column}` : `row ${row}, column ${column}`;
}

/** The CSV column a JSON pointer inside a record falls in: `/perpetrators/0/sex` → `perpetrators.1.sex`. */
export function columnOfPointer(pointer: string): string {
  const parts = pointer.split('/').slice(1);
  const names: string[] = [];
  let fields: readonly FieldDefinition[] = recordFields;
  for (let i = 0; i < parts.length; i++) {
    const field = fields.find((f) => f.name === parts[i]);
    if (!field) {
      names.push(parts[i]!);
      break;
    }
    names.push(field.name);
    if (field.type === 'objects') {
      const index = Number(parts[i + 1]);
      if (!Number.isInteger(index)) break;
      names.push(String(index + 1));
      i++;
    } else if (field.type !== 'object') break;
    fields = field.fields ?? [];
  }
  return names.join('.') || '(record)';
}

export const locateInCsv: Locate = (at, pointer) => locateCell(at, columnOfPointer(pointer));

/** The warning an accepted CSV return carries when cells were translated through a crosswalk. */
export function describeCrosswalkUse(crosswalked: number, locate: Locate): FieldProblem {
  return {
    pointer: locate('*', '/victim/ethnicity'),
    code: 'crosswalk_applied',
    detail: `${crosswalked} cell${crosswalked === 1 ? '' : 's'} in NHS 2001 ethnic category letters were translated to GSS 2021 codes (GET /v1/dataset/code-lists shows the crosswalk)`,
  };
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

type Converted = { value: unknown; problem?: string; crosswalked?: boolean } | undefined;

/** A cell's value for its field; undefined leaves the field out (an empty cell). */
function convertCell(column: CsvColumn, text: string): Converted {
  const { field } = column;
  if (text === '') {
    if (field.type === 'codes') return field.required ? { value: [] } : undefined;
    return field.nullable ? { value: null } : undefined;
  }
  switch (field.type) {
    case 'integer':
      return /^-?\d+$/.test(text) ? { value: Number(text) } : { value: text, problem: 'must be a whole number' };
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return { value: true };
      if (FALSE.has(lower)) return { value: false };
      return { value: text, problem: `must be true or false (yes/no and 1/0 are accepted${field.nullable ? '; leave empty when not known' : ''})` };
    }
    case 'codes':
      return {
        value: text
          .split(CSV_LIST_SEPARATOR)
          .map((code) => code.trim())
          .filter((code) => code !== ''),
      };
    case 'code': {
      const mapped = field.codeList ? crosswalkLookup.get(field.codeList.id)?.get(text.toUpperCase()) : undefined;
      return mapped ? { value: mapped, crosswalked: true } : { value: text };
    }
    default:
      return { value: text };
  }
}

function setPath(target: Record<string, unknown>, path: ReadonlyArray<string | number>, value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    if (node[key] === undefined) node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** A group holding only nulls and empty lists: every cell was empty (nullable fields read empty cells as null). */
function isBlank(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.every(isBlank);
  if (typeof value === 'object') return Object.values(value).every(isBlank);
  return false;
}

/**
 * Empty groups are left out (an optional `closure` with no cells filled, `perpetrators.2` unused);
 * lists of objects are compacted; required groups and lists are always present, so a missing
 * value is reported as missing rather than its group.
 */
function tidy(value: Record<string, unknown>, fields: readonly FieldDefinition[]): void {
  for (const field of fields) {
    const current = value[field.name];
    if (field.type === 'object') {
      if (current !== undefined && !field.required && isBlank(current)) delete value[field.name];
      else if (current === undefined && field.required) value[field.name] = {};
      if (value[field.name] !== undefined) tidy(value[field.name] as Record<string, unknown>, field.fields ?? []);
    } else if (field.type === 'objects') {
      const items = ((current as Array<Record<string, unknown> | undefined> | undefined) ?? []).filter((item) => item !== undefined && !isBlank(item));
      items.forEach((item) => tidy(item as Record<string, unknown>, field.fields ?? []));
      if (items.length > 0 || field.required) value[field.name] = items;
      else delete value[field.name];
    }
  }
}

/** Fields every record must have, whatever its other answers: their columns must be in the header. */
function requiredColumns(fields: readonly FieldDefinition[], prefix = ''): string[] {
  return fields.flatMap((field) => {
    if (!field.required || field.type === 'objects') return [];
    const name = prefix ? `${prefix}.${field.name}` : field.name;
    return field.type === 'object' ? requiredColumns(field.fields ?? [], name) : [name];
  });
}

function checkHeader(header: string[]): CsvColumn[] {
  const problems: FieldProblem[] = [];
  const columns: CsvColumn[] = [];
  const seen = new Set<string>();
  header.forEach((name) => {
    if (seen.has(name)) problems.push({ pointer: locateCell(1, name), code: 'duplicate', detail: 'the column appears twice in the header' });
    seen.add(name);
    const resolved = resolveColumn(name);
    if ('error' in resolved) problems.push({ pointer: locateCell(1, name || '(empty)'), code: 'unknown_field', detail: resolved.error });
    else columns.push(resolved);
  });
  for (const name of requiredColumns(recordFields)) {
    if (!seen.has(name))
      problems.push({ pointer: locateCell(1, name), code: 'required', detail: 'the column is required; GET /v1/dataset/template.csv has every column' });
  }
  if (problems.length > 0)
    throw problem(
      422,
      'validation',
      `the header row has ${problems.length} problem${problems.length === 1 ? '' : 's'}; no rows were read and nothing was stored`,
      problems,
    );
  return columns;
}

function csvSyntaxError(error: unknown): never {
  const lines = (error as { lines?: number }).lines;
  const where = lines ? ` (near line ${lines})` : '';
  throw problem(400, 'badRequest', `the body is not valid CSV${where}: ${(error as Error).message}`);
}

/**
 * Yields each data row as a record. Rows with a different number of cells than the header are
 * reported as a problem of that row; malformed CSV (an unclosed quote) is a 400.
 */
export async function* readCsvRecords(input: Readable): AsyncGenerator<CsvRecord> {
  const parser = input.pipe(parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }));
  let columns: CsvColumn[] | null = null;
  let width = 0;
  try {
    for await (const { record: cells, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (columns === null) {
        columns = checkHeader(cells);
        width = cells.length;
        continue;
      }
      const row = info.lines;
      const problems: FieldProblem[] = [];
      if (cells.length !== width)
        problems.push({
          pointer: locateCell(row, '(row)'),
          code: 'wrong_cell_count',
          detail: `the row has ${cells.length} cells and the header ${width}; check for an unquoted separator`,
        });
      const record: Record<string, unknown> = {};
      let crosswalked = 0;
      columns.forEach((column, i) => {
        const converted = convertCell(column, cells[i] ?? '');
        if (converted === undefined) return;
        setPath(record, column.path, converted.value);
        if (converted.problem) problems.push({ pointer: locateCell(row, column.name), code: 'wrong_type', detail: converted.problem });
        if (converted.crosswalked) crosswalked++;
      });
      tidy(record, recordFields);
      yield { row, record, problems, crosswalked };
    }
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('CSV_')) csvSyntaxError(error);
    throw error;
  }
  if (columns === null)
    throw problem(422, 'validation', 'the CSV is empty: the first row must name the columns', [
      { pointer: locateCell(1, '(header)'), code: 'required', detail: 'a header row is required' },
    ]);
}
