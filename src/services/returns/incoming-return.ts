/** Turns a request body, JSON or CSV, into an `IncomingReturn` the one submission path reads. */
import type { Readable } from 'node:stream';
import { parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import type { FieldProblem } from '../../lib/problem.js';
import { locateInCsv, readCsvRecords } from './csv-records.js';
import type { IncomingRecord, IncomingReturn } from './submit-return.js';
import { locateInJson, validateEnvelope } from './validate-return.js';

export function incomingFromJson(body: unknown): IncomingReturn {
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as { service?: unknown; period?: unknown; records?: unknown };
  const records = Array.isArray(envelope.records) ? (envelope.records as unknown[]) : [];
  return {
    format: 'json',
    service: typeof envelope.service === 'string' ? envelope.service : undefined,
    period: typeof envelope.period === 'string' ? envelope.period : undefined,
    envelopeProblems: validateEnvelope(body),
    locateEnvelope: (field) => ({ pointer: `/${field}` }),
    locate: locateInJson,
    records: records.map((record, at): IncomingRecord => ({ at, record })),
  };
}

export interface CsvReturnQuery {
  service?: string | undefined;
  period?: string | undefined;
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
  return {
    format: 'csv',
    service: query.service,
    period: query.period,
    envelopeProblems: problems,
    locateEnvelope: (field) => ({ parameter: field }),
    locate: locateInCsv,
    records: (async function* () {
      for await (const { row, record, problems: cellProblems, crosswalked } of readCsvRecords(body))
        yield { at: row, record, problems: cellProblems, crosswalked };
    })(),
  };
}
