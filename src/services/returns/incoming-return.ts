/** Turns a request body, JSON or CSV, into an `IncomingReturn` the one submission path reads. */
import type { Readable } from 'node:stream';
import { parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import type { FieldProblem } from '../../lib/problem.js';
import { locateInCsv, readCsvRecords } from './csv-records.js';
import type { IncomingRecord, IncomingReturn } from './submit-return.js';
import { DATASET_VERSION, datasetVersionDefinition } from '../../schema/dataset/index.js';
import { declaredDatasetVersion, locateInJson, unknownDatasetVersionProblem, validateEnvelope } from './validate-return.js';

export function incomingFromJson(body: unknown): IncomingReturn {
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as {
    service?: unknown;
    period?: unknown;
    records?: unknown;
    datasetVersion?: unknown;
  };
  const records = Array.isArray(envelope.records) ? (envelope.records as unknown[]) : [];
  return {
    format: 'json',
    service: typeof envelope.service === 'string' ? envelope.service : undefined,
    period: typeof envelope.period === 'string' ? envelope.period : undefined,
    // An unknown version is an envelope problem; the records are still checked (against the latest) so every problem is listed.
    datasetVersion: declaredDatasetVersion(envelope.datasetVersion) ?? DATASET_VERSION,
    envelopeProblems: validateEnvelope(body),
    locateEnvelope: (field) => ({ pointer: `/${field}` }),
    locate: locateInJson,
    records: records.map((record, at): IncomingRecord => ({ at, record })),
  };
}

export interface CsvReturnQuery {
  service?: string | undefined;
  period?: string | undefined;
  datasetVersion?: string | undefined;
}

/** A CSV body carries only records: the service and period come from the query string. */
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
  return {
    format: 'csv',
    service: query.service,
    period: query.period,
    datasetVersion: version,
    envelopeProblems: problems,
    locateEnvelope: (field) => ({ parameter: field }),
    locate: locateInCsv,
    records: (async function* () {
      for await (const { row, record, problems: cellProblems, crosswalked } of readCsvRecords(body, recordTree))
        yield { at: row, record, problems: cellProblems, crosswalked };
    })(),
  };
}
