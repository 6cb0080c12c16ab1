/**
 * Analytic answers as JSON or as a CSV download: which one a request asks for, the CSV text (a UTF-8
 * byte order mark, RFC 4180 with CRLF, formula-looking cells neutralised) and the headers sent with it.
 */
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';

export type Format = 'json' | 'csv';

/** A value of a CSV cell: empty for null or undefined. */
export type CsvValue = string | number | boolean | null | undefined;

export interface CsvTable {
  columns: readonly string[];
  rows: ReadonlyArray<readonly CsvValue[]>;
}

export interface CsvFile {
  filename: string;
  text: string;
}

/** What an analytic endpoint answers: its JSON body, or the same figures as a CSV file. */
export type Answer<T> = { format: 'json'; body: T } | { format: 'csv'; file: CsvFile };

// Excel reads a UTF-8 CSV as UTF-8 only when it starts with a byte order mark.
const BOM = '\ufeff';

/** `format=csv` wins; otherwise an `Accept` naming `text/csv` (the `format` default is `json`). */
export function chooseFormat(format: string | undefined, accept: string | undefined): Format {
  if (format === 'csv') return 'csv';
  return accept !== undefined && /(^|[,\s])text\/csv\s*(;|,|$)/i.test(accept) ? 'csv' : 'json';
}

/**
 * A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return before
 * one) as a formula: such text gets a leading apostrophe (OWASP's advice). Labels are ours, but
 * service and area names are typed by admins. Numbers are written as numbers, never changed.
 */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function cellOf(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return neutraliseFormula(value);
}

/** The table as RFC 4180 text with CRLF line ends, without the byte order mark (examples show it so). */
export function csvText(table: CsvTable): string {
  return stringify([table.columns.map(cellOf), ...table.rows.map((row) => row.map(cellOf))], { record_delimiter: 'windows' });
}

/** The file's text: the byte order mark, then the table. */
export function formatCsv(table: CsvTable): string {
  return `${BOM}${csvText(table)}`;
}

/** `vawg-<parts joined by ->.csv`, keeping only letters, digits, `.`, `_` and `-` of each part. */
export function csvFilename(...parts: string[]): string {
  const safe = parts.map((p) => p.replace(/[^A-Za-z0-9._-]+/g, '_')).filter((p) => p !== '');
  return `${['vawg', ...safe].join('-')}.csv`;
}

export function csvFile(table: CsvTable, ...nameParts: string[]): CsvFile {
  return { filename: csvFilename(...nameParts), text: formatCsv(table) };
}

/** Sends an answer: the JSON body through the route's serializer, or the CSV as a download. */
export function sendAnswer<T>(reply: FastifyReply, answer: Answer<T>): T | FastifyReply {
  // The representation depends on Accept, so caches must key on it.
  const vary = reply.getHeader('vary');
  if (!vary) reply.header('vary', 'Accept');
  else if (!/\baccept\b/i.test(String(vary))) reply.header('vary', `${String(vary)}, Accept`);
  if (answer.format === 'json') return answer.body;
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${answer.file.filename}"`).send(answer.file.text);
}
