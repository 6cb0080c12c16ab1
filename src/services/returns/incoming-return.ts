/** Turns a request body, JSON or CSV, into an `IncomingReturn` the one submission path reads. */
import type { Readable } from 'node:stream';
import { parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { locateInCsv, readCsvRecords, readCsvRows } from './csv-records.js';
import type { IncomingRecord, IncomingReturn } from './submit-return.js';
import { DATASET_VERSION, datasetVersionDefinition } from '../../schema/dataset/index.js';
import { addedLaterText, declaredDatasetVersion, locateInJson, unknownDatasetVersionProblem, validateEnvelope } from './validate-return.js';
import { versionHasUpdates, type IncomingUpdate } from './record-updates.js';
import { updateFieldTree, UPDATES_SINCE } from '../../schema/dataset/update-schema.js';

/** `kind`: the CSV-only query parameter, refused with a JSON body (which carries records and updates itself). */
export function incomingFromJson(body: unknown, kind?: string): IncomingReturn {
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as {
    service?: unknown;
    period?: unknown;
    records?: unknown;
    datasetVersion?: unknown;
    updates?: unknown;
  };
  const records = Array.isArray(envelope.records) ? (envelope.records as unknown[]) : [];
  const version = declaredDatasetVersion(envelope.datasetVersion) ?? DATASET_VERSION;
  // A version without updates refuses the field in the envelope; its entries are not checked then.
  const updates = Array.isArray(envelope.updates) && versionHasUpdates(version) ? (envelope.updates as unknown[]) : [];
  const kindProblems =
    kind === undefined
      ? []
      : [{ parameter: 'kind', code: 'not_allowed', detail: 'is for CSV returns only: a JSON return carries its records and updates in the body' }];
  return {
    format: 'json',
    service: typeof envelope.service === 'string' ? envelope.service : undefined,
    period: typeof envelope.period === 'string' ? envelope.period : undefined,
    // An unknown version is an envelope problem; the records are still checked (against the latest) so every problem is listed.
    datasetVersion: declaredDatasetVersion(envelope.datasetVersion) ?? DATASET_VERSION,
    envelopeProblems: [...validateEnvelope(body), ...kindProblems],
    locateEnvelope: (field) => ({ pointer: `/${field}` }),
    locate: locateInJson,
    records: records.map((record, at): IncomingRecord => ({ at, record })),
    updates: updates.map((update, at): IncomingUpdate => ({ at, update })),
    locateUpdate: (at, pointer) => `/updates/${at}${pointer}`,
  };
}

export interface CsvReturnQuery {
  service?: string | undefined;
  period?: string | undefined;
  datasetVersion?: string | undefined;
  /** What the file carries: `records` (the default) or `updates` (1.1.0 on). */
  kind?: string | undefined;
}

/**
 * A CSV body carries records or, with `kind=updates`, updates: the service and period come from
 * the query string, and the new version keeps the other part of the current version (see routes/returns.ts).
 */
export function incomingFromCsv(body: Readable, query: CsvReturnQuery): IncomingReturn {
  const problems: FieldProblem[] = [];
  if (!query.service)
    problems.push({ parameter: 'service', code: 'required', detail: 'a CSV return names its service in the query: ?service=col-vva&period=2022-23-Q1' });
  if (!query.period || !new RegExp(QUARTER_PATTERN).test(query.period) || !parseQuarter(query.period))
    problems.push({
      parameter: 'period',
      code: query.period ? 'invalid_format' : 'required',
      detail: 'a CSV return names its quarter in the query, e.g. period=2022-23-Q1',
    });
  const datasetVersion = declaredDatasetVersion(query.datasetVersion);
  if (datasetVersion === undefined) problems.push({ parameter: 'datasetVersion', ...unknownDatasetVersionProblem(query.datasetVersion) });
  const version = datasetVersion ?? DATASET_VERSION;
  const recordTree = datasetVersionDefinition(version)!.fields;
  if (query.kind === 'updates' && !versionHasUpdates(version))
    problems.push({ parameter: 'kind', code: 'unknown_field', detail: `updates ${addedLaterText(UPDATES_SINCE)}` });
  // Common to both kinds of CSV: the envelope is the query, cells are located by row and column.
  const envelope = {
    format: 'csv' as const,
    service: query.service,
    period: query.period,
    datasetVersion: version,
    envelopeProblems: problems,
    locateEnvelope: (field: 'service' | 'period') => ({ parameter: field }),
    locate: locateInCsv,
  };
  if (query.kind === 'updates') {
    const updateTree = updateFieldTree(recordTree);
    return {
      ...envelope,
      records: [],
      // A version without updates is refused above; the file is not read then.
      updates: versionHasUpdates(version)
        ? (async function* () {
            for await (const { row, record, problems: cellProblems } of readCsvRecords(body, updateTree, { patch: true }))
              yield { at: row, update: record, problems: cellProblems };
          })()
        : [],
      locateUpdate: locateInCsv,
      carryOver: 'records',
    };
  }
  return {
    ...envelope,
    // Rows as cells: they are converted where they are checked (a worker thread, for a large return).
    records: (async function* (): AsyncGenerator<IncomingRecord> {
      for await (const { row, cells, sheet } of readCsvRows(body, recordTree)) yield { at: row, cells, sheet };
    })(),
    carryOver: 'updates',
  };
}

/**
 * The embedded database (PGlite) is one connection in the server's own process, and a return holds
 * it from its first record to its commit: above `limit` records (updates included) every other
 * request would wait too long, so such a return is refused whole (413) and nothing is stored.
 */
export function embeddedLimitProblem(limit: number): Error {
  return problem(
    413,
    'embeddedLimit',
    `the return has more than ${limit} records (updates included), the most one return may have on the embedded database (VAWG_EMBEDDED_MAX_RECORDS): ` +
      'nothing was stored. A service running on PostgreSQL (DATABASE_URL) takes larger returns',
  );
}

/** A JSON return's size is known once it is parsed: refused before anything is read or queued. */
export function assertWithinRecordLimit(incoming: IncomingReturn, limit: number): void {
  const size = (items: unknown) => (Array.isArray(items) ? items.length : 0);
  if (size(incoming.records) + size(incoming.updates) > limit) throw embeddedLimitProblem(limit);
}

/**
 * A CSV return's rows are counted as they are read: the first past `limit` stops the reading
 * (and the file under it) and throws, so the return's transaction rolls back.
 */
export function withRecordLimit(incoming: IncomingReturn, limit: number): IncomingReturn {
  let read = 0;
  const counted = <T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> => ({
    async *[Symbol.asyncIterator]() {
      for await (const item of items) {
        if (++read > limit) throw embeddedLimitProblem(limit);
        yield item;
      }
    },
  });
  return { ...incoming, records: counted(incoming.records), ...(incoming.updates ? { updates: counted(incoming.updates) } : {}) };
}
