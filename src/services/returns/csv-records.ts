/**
 * Reads a CSV return as a stream of records, one row at a time, so a file of any size is checked
 * and stored in bounded memory. The header names fields (see `schema/dataset/csv-columns.ts`);
 * each cell is converted to the type its field declares, and problems are located by row and
 * column as a spreadsheet shows them (the header is row 1).
 */
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { forbiddenCharacter } from '../../lib/input-text.js';
import { excerptOf, problem, type FieldProblem } from '../../lib/problem.js';
import { crosswalkLookup } from '../../schema/dataset/crosswalks.js';
import { CSV_LIST_SEPARATOR, resolveColumn, type CsvColumn } from '../../schema/dataset/csv-columns.js';
import { recordFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import { addedLaterText, ProblemList, type Locate } from './validate-return.js';

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
    case 'integer': {
      if (/^-?\d+$/.test(text)) return { value: Number(text) };
      const range = field.minimum !== undefined && field.maximum !== undefined ? ` from ${field.minimum} to ${field.maximum}` : '';
      return { value: text, problem: `must be a whole number${range}${field.nullable ? ' (leave empty when not known)' : ''}` };
    }
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

/**
 * A cell of an updates CSV (`?kind=updates`), which is a patch: an empty cell leaves the field as
 * it is (a spreadsheet cannot tell "unchanged" from "not known"), and `null` sets a nullable field to null.
 */
function convertPatchCell(column: CsvColumn, text: string): Converted {
  if (text === '') return undefined;
  if (column.field.nullable && text.toLowerCase() === 'null') return { value: null };
  return convertCell(column, text);
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
      // The victim of a perpetrator's referral is optional: its empty cells are no victim.
      const required = field.required && !(field.optionalWhen && value[field.optionalWhen.field] === field.optionalWhen.equals);
      if (current !== undefined && !required && isBlank(current)) delete value[field.name];
      else if (current === undefined && required) value[field.name] = {};
      if (value[field.name] !== undefined) tidy(value[field.name] as Record<string, unknown>, field.fields ?? []);
    } else if (field.type === 'objects') {
      const items = ((current as Array<Record<string, unknown> | undefined> | undefined) ?? []).filter((item) => item !== undefined && !isBlank(item));
      items.forEach((item) => tidy(item as Record<string, unknown>, field.fields ?? []));
      if (items.length > 0 || field.required) value[field.name] = items;
      else delete value[field.name];
    }
  }
}

/**
 * Fields every record must have, whatever its other answers: their columns must be in the header.
 * A group optional in some records (victim, in a perpetrator's referral) is all or nothing: a file
 * with any of its columns needs every required one (a victim.religion column left out is a header
 * problem), and a file with none of them (a perpetrator programme's) leaves it to each record.
 */
function requiredColumns(fields: readonly FieldDefinition[], header: ReadonlySet<string>, prefix = ''): string[] {
  return fields.flatMap((field) => {
    if (!field.required || field.type === 'objects') return [];
    const name = prefix ? `${prefix}.${field.name}` : field.name;
    if (field.optionalWhen && ![...header].some((column) => column.startsWith(`${name}.`))) return [];
    return field.type === 'object' ? requiredColumns(field.fields ?? [], header, name) : [name];
  });
}

/**
 * Any character `forbiddenCharacter` could refuse: one test per cell, with no look-around, and the
 * full check (which names the character) only for a cell that has one.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const MAYBE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF]/;

/** The longest row read (header included), in characters: far beyond any real return, and it bounds memory per row. */
export const MAX_CSV_ROW_CHARS = 1024 * 1024;

/** Edit distance, for telling a misspelt field name from a value; strings here are short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * A header cell may be data (a file exported without its header row has a record there, SLK
 * included), and header problems are stored with idempotent replays and job results. So an
 * unknown header cell is named only when it reads as a (misspelt) dataset path: dotted names whose
 * first part is a field of the record or within two edits of one (`referralSorce`,
 * `victim.ethnicty`); anything else is named by its position.
 */
function looksLikeDatasetPath(name: string, recordTree: readonly FieldDefinition[]): boolean {
  const topLevelNames = recordTree.map((field) => field.name);
  if (name.length > 100 || !/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+){0,4}$/.test(name)) return false;
  const first = name.split('.')[0]!;
  return topLevelNames.some((known) => known === first || (first.length >= 5 && Math.abs(known.length - first.length) <= 2 && editDistance(known, first) <= 2));
}

/** The field a header names in the latest version when the return declares an earlier one (a dataset path, so not data). */
function laterField(name: string, recordTree: readonly FieldDefinition[]): FieldDefinition | undefined {
  if (recordTree === recordFields) return undefined;
  const latest = resolveColumn(name);
  return 'error' in latest ? undefined : latest.field;
}

const headerPosition = (index: number) => locateCell(1, String(index + 1));

/** `patch`: the header of an updates CSV, whose columns are those `recordTree` (the update's fields) has. */
function checkHeader(header: string[], recordTree: readonly FieldDefinition[], patch = false): CsvColumn[] {
  const problems = new ProblemList();
  const columns: CsvColumn[] = [];
  const firstAt = new Map<string, number>();
  const resolvedCells = header.map((name) => resolveColumn(name, recordTree));
  if (header.length > 0 && resolvedCells.every((resolved) => 'error' in resolved))
    problems.add([
      {
        pointer: locateCell(1, '(header)'),
        code: 'missing_header',
        detail: 'no cell of the first row names a column: is the header row missing? The first row must name the columns',
      },
    ]);
  header.forEach((name, index) => {
    const resolved = resolvedCells[index]!;
    if (!('error' in resolved)) {
      const first = firstAt.get(name);
      if (first !== undefined)
        problems.add([
          { pointer: locateCell(1, name), code: 'duplicate', detail: `the column appears twice in the header (columns ${first + 1} and ${index + 1})` },
        ]);
      else firstAt.set(name, index);
      columns.push(resolved);
    } else if (patch && !('error' in resolveColumn(name))) {
      // A column of the records CSV (a dataset path, so not data) that an update cannot change.
      problems.add([
        {
          pointer: locateCell(1, name),
          code: 'unknown_field',
          detail:
            'the column is a field of the record that an update does not change: an updates CSV has referralId, referralPeriod and the status, closure and module columns',
        },
      ]);
    } else if (!patch && laterField(name, recordTree)?.since) {
      problems.add([{ pointer: locateCell(1, name), code: 'unknown_field', detail: `the column ${addedLaterText(laterField(name, recordTree)!.since!)}` }]);
    } else if (looksLikeDatasetPath(name, recordTree)) {
      problems.add([{ pointer: locateCell(1, name), code: 'unknown_field', detail: resolved.error }]);
    } else {
      problems.add([
        {
          pointer: headerPosition(index),
          code: 'unknown_field',
          detail:
            name === ''
              ? `header cell ${index + 1} is empty; every column needs a name`
              : `header cell ${index + 1} does not name a column of the dataset (its text is not shown); GET /v1/dataset/template.csv has every column`,
        },
      ]);
    }
  });
  for (const name of requiredColumns(recordTree, new Set(firstAt.keys()))) {
    if (!firstAt.has(name))
      problems.add([{ pointer: locateCell(1, name), code: 'required', detail: 'the column is required; GET /v1/dataset/template.csv has every column' }]);
  }
  if (problems.count > 0) {
    const more = problems.count > problems.problems.length ? ` (the first ${problems.problems.length} are listed)` : '';
    throw problem(
      422,
      'validation',
      `the header row has ${problems.count} problem${problems.count === 1 ? '' : 's'}${more}; no rows were read and nothing was stored`,
      problems.problems,
      problems.count,
    );
  }
  return columns;
}

/** What a csv-parse error means for the person fixing the file; never its message, which quotes the cell. */
const csvErrorMeaning: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted cell is never closed',
  INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted cell; quote the whole cell and double the quote inside it',
  CSV_INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted cell; quote the whole cell and double the quote inside it',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters; double a quote inside a quoted cell',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters; double a quote inside a quoted cell',
  CSV_MAX_RECORD_SIZE: `a row is longer than ${MAX_CSV_ROW_CHARS} characters`,
};

/**
 * Every csv-parse error becomes a 400 located from the error's own fields (its line, and the cell's
 * index in the row); any other failure of the reader leaves without its message, which could carry
 * content, so that nothing of the file reaches a log.
 */
function readerError(error: unknown): Error {
  if (error instanceof CsvError) {
    const fields = error as unknown as { lines?: unknown; column?: unknown; index?: unknown };
    const row = typeof fields.lines === 'number' ? fields.lines : undefined;
    const cell = typeof fields.column === 'number' ? fields.column : typeof fields.index === 'number' ? fields.index : undefined;
    const where = row === undefined ? undefined : cell === undefined ? `row ${row}` : locateCell(row, String(cell + 1));
    const meaning = csvErrorMeaning[error.code] ?? 'the text cannot be read as CSV';
    return problem(
      400,
      'badRequest',
      `the body is not valid CSV${where ? ` at ${where}` : ''}: ${meaning}`,
      where ? [{ pointer: where, code: 'csv_syntax', detail: meaning }] : undefined,
    );
  }
  const { code, name } = error as { code?: unknown; name?: unknown };
  return new Error(`reading the CSV body failed (${typeof code === 'string' ? code : typeof name === 'string' ? name : 'unknown error'})`);
}

/** A CSV file's header, checked: the columns its cells fall in, by position. */
export interface CsvSheet {
  /** The header row's cells as read: a worker thread resolves the same columns from them (`csvSheet`). */
  header: string[];
  columns: CsvColumn[];
  width: number;
}

/** Checks a header row (a 422 listing its problems) and resolves its columns. */
export function csvSheet(header: string[], recordTree: readonly FieldDefinition[] = recordFields, patch = false): CsvSheet {
  return { header, columns: checkHeader(header, recordTree, patch), width: header.length };
}

/** A data row of a CSV file as read, before its cells are converted. */
export interface CsvRow {
  /** The spreadsheet row (the header is row 1). */
  row: number;
  cells: string[];
  sheet: CsvSheet;
}

/**
 * Converts one data row's cells to a record. A row with a different number of cells than the
 * header is a problem of that row; so is a cell that cannot be converted to its field's type.
 */
export function convertCsvRow(
  { columns, width }: CsvSheet,
  cells: readonly string[],
  row: number,
  recordTree: readonly FieldDefinition[] = recordFields,
  patch = false,
): CsvRecord {
  const problems: FieldProblem[] = [];
  if (cells.length !== width)
    problems.push({
      pointer: locateCell(row, '(row)'),
      code: 'wrong_cell_count',
      detail: `the row has ${cells.length} cells and the header ${width}; check for an unquoted separator`,
    });
  const record: Record<string, unknown> = {};
  let crosswalked = 0;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const text = cells[i] ?? '';
    const forbidden = MAYBE_FORBIDDEN.test(text) ? forbiddenCharacter(text) : undefined;
    if (forbidden) {
      problems.push({ pointer: locateCell(row, column.name), code: 'forbidden_character', detail: `the cell ${forbidden}` });
      continue;
    }
    const converted = patch ? convertPatchCell(column, text) : convertCell(column, text);
    if (converted === undefined) continue;
    setPath(record, column.path, converted.value);
    if (converted.problem) {
      // Only number and yes/no cells fail conversion: values that may be shown back, in an answer that is not kept.
      const excerpt = column.field.linkageKey ? undefined : excerptOf(text);
      problems.push({
        pointer: locateCell(row, column.name),
        code: 'wrong_type',
        detail: converted.problem,
        ...(excerpt ? { valueEcho: `you sent ${excerpt}` } : {}),
      });
    }
    if (converted.crosswalked) crosswalked++;
  }
  tidy(record, recordTree);
  return { row, record, problems, crosswalked };
}

/**
 * Yields each data row as its cells, with the checked header. Malformed CSV (an unclosed quote) is
 * a 400; a header with problems, or none, a 422. The columns are those of the dataset version the
 * return declares (`recordTree`; the latest by default).
 */
export async function* readCsvRows(
  input: Readable,
  recordTree: readonly FieldDefinition[] = recordFields,
  options: { patch?: boolean } = {},
): AsyncGenerator<CsvRow> {
  const parser = input.pipe(parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: MAX_CSV_ROW_CHARS }));
  // A read error of the file behind the stream is not passed on by pipe(): end the parse with it.
  input.once('error', (error) => parser.destroy(error));
  let sheet: CsvSheet | null = null;
  const rows = (parser as AsyncIterable<{ record: string[]; info: { lines: number } }>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<{ record: string[]; info: { lines: number } }>;
      try {
        next = await rows.next();
      } catch (error) {
        throw readerError(error);
      }
      if (next.done) break;
      const { record: cells, info } = next.value;
      if (sheet === null) sheet = csvSheet(cells, recordTree, options.patch);
      else yield { row: info.lines, cells, sheet };
    }
  } finally {
    // Stops the parser (and the file under it) when the header is refused or the reader stops early.
    await rows.return?.();
  }
  if (sheet === null)
    throw problem(422, 'validation', 'the CSV is empty: the first row must name the columns', [
      { pointer: locateCell(1, '(header)'), code: 'required', detail: 'a header row is required' },
    ]);
}

/** Yields each data row as a record (`readCsvRows`, each row converted as it is read). */
export async function* readCsvRecords(
  input: Readable,
  recordTree: readonly FieldDefinition[] = recordFields,
  options: { patch?: boolean } = {},
): AsyncGenerator<CsvRecord> {
  for await (const { row, cells, sheet } of readCsvRows(input, recordTree, options)) yield convertCsvRow(sheet, cells, row, recordTree, options.patch);
}
