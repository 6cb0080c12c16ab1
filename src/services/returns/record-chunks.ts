/**
 * The per-record work of a return, one chunk of records at a time: a CSV row's cells to a record,
 * the record's own checks (the schema, the rules across its fields) and its row with its linkage
 * tokens. The same function runs on the main thread (a small return, or no workers) and in a
 * worker thread (record-worker.ts), so what a return stores and the problems it gets do not depend
 * on where it ran. What needs other records (a referralId used twice, the period hint, the
 * warnings), the order and the writes stay with submit-return.ts.
 */
import { encodeCopy, type EncodedCopy } from '../../db/copy-insert.js';
import { records } from '../../db/tables.js';
import type { FieldProblem } from '../../lib/problem.js';
import { moduleFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import { datasetVersionDefinition } from '../../schema/dataset/index.js';
import type { PerpetratorKeyEntry } from '../linkage/perpetrator-keys.js';
import { convertCsvRow, csvSheet, locateInCsv, type CsvSheet } from './csv-records.js';
import { perpetratorTokensOf, recordToRow, type DeriveTokens, type NewRecordRow, type RecordInput } from './record-rows.js';
import { createRecordValidator, locateInJson, type Locate, type RecordDigest, type RecordValidator } from './validate-return.js';

/** A record as it arrived (JSON, or a CSV row already converted), or a CSV row's cells still to convert. */
export interface ChunkItem {
  at: number;
  record?: unknown;
  cells?: string[];
  /** Problems found before validation (a CSV cell that is not a number). */
  problems?: FieldProblem[];
  crosswalked?: number;
}

/** What a worker is sent: plain data only (no functions), so it crosses threads by structured clone. */
export interface ChunkTask {
  format: 'json' | 'csv';
  period: string;
  datasetVersion: string;
  /** The header row the items' cells fall under (CSV rows not yet converted). */
  header?: string[];
  items: ChunkItem[];
  /** The position, among the return's records, of the chunk's first record. */
  start: number;
  /** Rows to make for the return `returnId`, encoded for COPY (`copy`) or as row objects; absent for a dry run or a return already refused. */
  rows?: { returnId: string; copy: boolean };
}

/** One record's findings; arrays are left out when empty, so little crosses back. */
export interface CheckedRecord {
  at: number;
  /** Problems found before validation (a CSV cell that is not a number). */
  converted?: FieldProblem[];
  /** The schema's problems, then the rules across the record's fields, neither at a cell that did not convert. */
  schema?: FieldProblem[];
  rules?: FieldProblem[];
  digest: RecordDigest | null;
  /** Onward referrals naming a service, as [index, service id]: the caller knows which services are registered. */
  onwardServices?: Array<[number, string]>;
  /** The record's modules and nothing else (`{ refuge: {…} }`), as the module counter reads a record. */
  modules?: Record<string, unknown>;
  crosswalked?: number;
}

export interface ChunkRows {
  /** On PostgreSQL: the chunk's rows already in COPY text. */
  copy?: EncodedCopy;
  /** Elsewhere (PGlite): the rows themselves. */
  objects?: NewRecordRow[];
  perpetratorKeys: PerpetratorKeyEntry[];
}

export interface ChunkResult {
  checked: CheckedRecord[];
  /** When rows were asked for and no record of the chunk has a problem of its own. */
  rows?: ChunkRows;
}

/** What checking a chunk needs besides the chunk: built once per return (or, in a worker, once per kind of chunk). */
export interface ChunkContext {
  validate: RecordValidator;
  recordTree: readonly FieldDefinition[];
  deriveTokens: DeriveTokens;
  locate: Locate;
  /** The checked header, for items given as cells. */
  sheet?: CsvSheet;
}

/** The locate function of a return's format: a worker is told the format, not sent a function. */
export function locateOf(format: ChunkTask['format']): Locate {
  return format === 'csv' ? locateInCsv : locateInJson;
}

/**
 * A chunk's context from the chunk alone, as a worker builds it (the header was checked on the
 * main thread: it passes again here), but for the token deriver: the worker keeps this for the
 * next chunks of any return, and a deriver holds its return's components in the clear.
 */
export function contextOf(task: ChunkTask): Omit<ChunkContext, 'deriveTokens'> {
  const recordTree = datasetVersionDefinition(task.datasetVersion)!.fields;
  const locate = locateOf(task.format);
  return {
    validate: createRecordValidator(task.period, locate, task.datasetVersion),
    recordTree,
    locate,
    ...(task.header ? { sheet: csvSheet(task.header, recordTree) } : {}),
  };
}

function modulesOf(record: Record<string, unknown>): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  for (const { name } of moduleFields) {
    const value = record[name];
    // The counter asks only whether a module is there: its content stays behind.
    if (typeof value === 'object' && value !== null) (found ??= {})[name] = {};
  }
  return found;
}

export function checkChunk(task: ChunkTask, context: ChunkContext): ChunkResult {
  const { validate, recordTree, deriveTokens, sheet } = context;
  const checked: CheckedRecord[] = new Array<CheckedRecord>(task.items.length);
  // Rows are made while every record so far is clean: the first problem refuses the return, and an invalid record has no row.
  let clean = task.rows !== undefined;
  const rows: NewRecordRow[] = [];
  const perpetratorKeys: PerpetratorKeyEntry[] = [];
  for (let i = 0; i < task.items.length; i++) {
    const item = task.items[i]!;
    let record = item.record;
    let converted = item.problems ?? [];
    let crosswalked = item.crosswalked ?? 0;
    if (item.cells) {
      const read = convertCsvRow(sheet!, item.cells, item.at, recordTree);
      record = read.record;
      converted = read.problems;
      crosswalked = read.crosswalked;
    }
    const { schema, rules, digest } = validate(record, item.at);
    // A cell that did not convert is reported once, as it was read, not again by the schema.
    const convertedAt = converted.length > 0 ? new Set(converted.map((p) => p.pointer)) : null;
    const keep = (problems: FieldProblem[]) => (convertedAt ? problems.filter((p) => !convertedAt.has(p.pointer)) : problems);
    const out: CheckedRecord = { at: item.at, digest };
    const schemaKept = keep(schema);
    const rulesKept = keep(rules);
    if (converted.length > 0) out.converted = converted;
    if (schemaKept.length > 0) out.schema = schemaKept;
    if (rulesKept.length > 0) out.rules = rulesKept;
    if (crosswalked > 0) out.crosswalked = crosswalked;
    if (typeof record === 'object' && record !== null) {
      const onward = (record as { onwardReferrals?: unknown }).onwardReferrals;
      if (Array.isArray(onward))
        onward.forEach((o: { service?: unknown } | null | undefined, j) => {
          if (typeof o?.service === 'string') (out.onwardServices ??= []).push([j, o.service]);
        });
      const modules = modulesOf(record as Record<string, unknown>);
      if (modules) out.modules = modules;
    }
    checked[i] = out;
    if (converted.length + schemaKept.length + rulesKept.length > 0) clean = false;
    if (clean) {
      // Completed in place: a row of 80 columns is not copied per record.
      const row = recordToRow(record as RecordInput, deriveTokens) as NewRecordRow;
      const position = task.start + i;
      row.position = position;
      row.returnId = task.rows!.returnId;
      // The partition key: the return's own period, as every row of a return has.
      row.period = task.period;
      rows.push(row);
      for (const key of perpetratorTokensOf(record as RecordInput, deriveTokens)) perpetratorKeys.push({ recordPosition: position, ...key });
    }
  }
  if (!clean || rows.length === 0) return { checked };
  return { checked, rows: task.rows!.copy ? { copy: encodeCopy(records, rows), perpetratorKeys } : { objects: rows, perpetratorKeys } };
}
