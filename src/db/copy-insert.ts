/**
 * Rows into a table through PostgreSQL's `COPY … FROM STDIN` (text format) on node-postgres, in
 * whatever transaction the executor is in: PostgreSQL parses the typed text itself, with none of
 * the cost of a 2 MB jsonb parameter per chunk that `jsonb_populate_recordset` parses (bulk-insert.ts),
 * whose keys repeat every column name in every row. node-postgres has no COPY API of its own
 * (`pg-copy-streams` is a separate package), but it runs any object with `submit()` as a query and
 * hands it the COPY messages: `CopyIn` below is that object. The embedded PGlite, or any other
 * executor, takes the jsonb path.
 */
import { getTableColumns, getTableName, type Column, type Table } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import pg from 'pg';
import { bulkInsert } from './bulk-insert.js';
import type { Database } from './connect.js';

type Executor = Pick<Database, 'execute'>;

type Encode = (value: unknown) => string;

/** COPY text format: backslash, tab, line feed and carriage return are escaped; `\N` is null. */
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : text;
}

/** An element of an array literal, always quoted (so no element can read as NULL or split on a comma). */
function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return `"${String(value).replace(/[\\"]/g, '\\$&')}"`;
}

function encoderOf(column: Column): Encode {
  const scalar = (value: unknown): string => {
    if (typeof value === 'boolean') return value ? 't' : 'f';
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object') return escapeText(JSON.stringify(value));
    return escapeText(String(value));
  };
  if (column.columnType === 'PgArray') return (value) => (Array.isArray(value) ? escapeText(`{${value.map(arrayElement).join(',')}}`) : scalar(value));
  if (column.columnType === 'PgJsonb' || column.columnType === 'PgJson') return (value) => escapeText(JSON.stringify(value));
  return scalar;
}

/** The pg client a drizzle node-postgres session (or transaction) runs on; undefined for PGlite. */
function pgClientOf(db: Executor): pg.Client | undefined {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  return client instanceof pg.Client ? client : undefined;
}

/**
 * One `COPY … FROM STDIN` with its whole payload, as node-postgres runs a query: `submit` sends the
 * statement, the data and CopyDone at once, and the callback gets the error (sent by the server,
 * or the connection's) or nothing at ReadyForQuery. The data does not wait for the server's
 * CopyInResponse: that round trip would wait on this process's event loop, busy reading the next
 * chunk, while the server sat idle. A server that refused the statement ignores copy messages
 * outside COPY, as the protocol says it does.
 */
class CopyIn {
  callback?: (error: Error | null) => void;
  private failed = false;
  constructor(
    readonly text: string,
    private readonly payload: Buffer,
  ) {}
  submit(connection: { query(text: string): void; sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.query(this.text);
    connection.sendCopyFromChunk(this.payload);
    connection.endCopyFrom();
  }
  handleCopyInResponse(): void {}
  handleError(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.callback?.(error);
  }
  handleReadyForQuery(): void {
    if (!this.failed) this.callback?.(null);
  }
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

const encoders = new WeakMap<Table, Map<string, { name: string; encode: Encode }>>();

function columnsOf(table: Table): Map<string, { name: string; encode: Encode }> {
  let columns = encoders.get(table);
  if (!columns) {
    // The same key → column mapping as the connection's `casing: 'snake_case'` (see connect.ts).
    columns = new Map(
      Object.entries(getTableColumns(table)).map(([key, column]) => [
        key,
        { name: column.keyAsName ? toSnakeCase(key) : column.name, encode: encoderOf(column) },
      ]),
    );
    encoders.set(table, columns);
  }
  return columns;
}

/** A COPY statement and its data, encoded where the rows were made (a worker thread, say) and sent as they are. */
export interface EncodedCopy {
  statement: string;
  /** The rows in COPY text format, one line each. */
  payload: string;
}

/** `rows` (the keys of the first row name the columns; others take their defaults) as one `COPY … FROM STDIN`. */
export function encodeCopy<T extends Table>(table: T, rows: ReadonlyArray<Partial<T['$inferInsert']>>): EncodedCopy {
  const all = columnsOf(table);
  const used =
    rows.length === 0
      ? []
      : Object.keys(rows[0] as object).flatMap((key) => {
          const column = all.get(key);
          return column ? [{ key, ...column }] : [];
        });
  const lines: string[] = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Record<string, unknown>;
    let line = '';
    for (let c = 0; c < used.length; c++) {
      const value = row[used[c]!.key];
      line += (c === 0 ? '' : '\t') + (value === null || value === undefined ? '\\N' : used[c]!.encode(value));
    }
    lines[i] = line;
  }
  return { statement: `copy "${getTableName(table)}" (${used.map((c) => `"${c.name}"`).join(', ')}) from stdin`, payload: `${lines.join('\n')}\n` };
}

/** Whether `copyInsert` writes through COPY here (node-postgres), so rows may be encoded ahead with `encodeCopy`. */
export function copiesDirectly(db: Executor): boolean {
  return pgClientOf(db) !== undefined;
}

/** Runs an encoded COPY on node-postgres (`copiesDirectly`); it rejects, and its transaction rolls back, as any failed statement. */
export async function sendCopy(db: Executor, { statement, payload }: EncodedCopy): Promise<void> {
  const client = pgClientOf(db);
  if (!client) throw new Error('sendCopy: COPY needs a node-postgres connection');
  const copy = new CopyIn(statement, Buffer.from(payload));
  await new Promise<void>((resolve, reject) => {
    // A failed query as drizzle reports one (its statement in `query`, the server's error as its
    // cause), so it is logged the same way: the statement's head, never the data.
    copy.callback = (error) => (error ? reject(Object.assign(new Error('query failed', { cause: error }), { query: statement })) : resolve());
    client.query(copy as unknown as pg.QueryConfig);
  });
}

/**
 * Inserts `rows` (the keys of the first row name the columns; others take their defaults) with
 * COPY on node-postgres, else as bulkInsert does. A failure (a constraint, a lost connection)
 * rejects, and the transaction it was in rolls back as with any other statement.
 */
export async function copyInsert<T extends Table>(db: Executor, table: T, rows: ReadonlyArray<Partial<T['$inferInsert']>>): Promise<void> {
  if (rows.length === 0) return;
  if (!copiesDirectly(db)) return bulkInsert(db, table, rows);
  await sendCopy(db, encodeCopy(table, rows));
}
