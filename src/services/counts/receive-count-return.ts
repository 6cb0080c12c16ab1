/**
 * What `POST /v1/count-returns` does with a request, JSON or CSV: read it into an incoming count
 * return, honour its Idempotency-Key (operation `POST /v1/count-returns`, the same key store and
 * rules as returns: same key and body replay, a different body is 422) and submit it. Count
 * returns are small, so there are no jobs: every answer is given at once.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/connect.js';
import type { FieldProblem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { claimIdempotencyKey, completeIdempotencyKey, settleFailedClaim, type ClaimedKey, type StoredResponse } from '../idempotency.js';
import { readCountCsv } from './csv-count-cells.js';
import { submitCountReturn, type IncomingCountReturn } from './submit-count-return.js';
import { locateCountInCsv, locateCountInJson, periodProblems, validateCountEnvelope } from './validate-count-return.js';

export const COUNT_RETURN_OPERATION = 'POST /v1/count-returns';
/** Problems that depend only on the request replay under its key; others (a lock) may pass on a retry. */

export interface CountIntake {
  db: Database;
  log: FastifyBaseLogger;
  idempotencyTtlHours: number;
}

export interface ReceiveCountReturnParams {
  principal: Principal;
  requestId: string;
  body: { format: 'json'; value: unknown } | { format: 'csv'; text: string };
  query: { service?: string | undefined; period?: string | undefined; dryRun: boolean };
  idempotencyKey?: string | undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function incomingCountsFromJson(body: unknown): IncomingCountReturn {
  const value = (typeof body === 'object' && body !== null ? body : {}) as { service?: unknown; period?: unknown; counts?: unknown };
  return {
    format: 'json',
    service: typeof value.service === 'string' ? value.service : undefined,
    period: typeof value.period === 'string' ? value.period : undefined,
    envelopeProblems: validateCountEnvelope(body),
    locateEnvelope: (field) => ({ pointer: `/${field}` }),
    locate: locateCountInJson,
    cells: Array.isArray(value.counts) ? value.counts.map((cell: unknown, at) => ({ at, cell })) : [],
  };
}

export function incomingCountsFromCsv(text: string, query: { service?: string | undefined; period?: string | undefined }): IncomingCountReturn {
  const problems: FieldProblem[] = [];
  if (!query.service)
    problems.push({
      parameter: 'service',
      code: 'required',
      detail: 'a CSV count return names its service in the query: ?service=met-police-ce&period=2022-23-Q1',
    });
  problems.push(...periodProblems(query.period, () => ({ parameter: 'period' })));
  const { header, cells } = readCountCsv(text);
  return {
    format: 'csv',
    service: query.service,
    period: query.period,
    envelopeProblems: [...problems, ...header],
    locateEnvelope: (field) => ({ parameter: field }),
    locate: locateCountInCsv,
    // With the header wrong the rows cannot be read reliably: the header's problems are the answer.
    cells: header.length > 0 ? [] : cells.map(({ row, cell, problems: cellProblems }) => ({ at: row, cell, problems: cellProblems })),
  };
}

export async function receiveCountReturn(intake: CountIntake, params: ReceiveCountReturnParams): Promise<StoredResponse> {
  const { principal, body, query } = params;
  if (body.format === 'csv' && query.service) assertServiceAccess(principal, query.service);
  const fingerprint = sha256(
    JSON.stringify([
      body.format,
      query.service ?? null,
      query.period ?? null,
      query.dryRun,
      sha256(body.format === 'csv' ? body.text : JSON.stringify(body.value)),
    ]),
  );
  let claim: ClaimedKey | null = null;
  if (params.idempotencyKey) {
    const claimed = await claimIdempotencyKey(intake.db, {
      apiKeyId: principal.keyId,
      key: params.idempotencyKey,
      operation: COUNT_RETURN_OPERATION,
      fingerprint,
      ttlHours: intake.idempotencyTtlHours,
    });
    if (claimed.kind === 'replay') return { ...claimed.response, headers: { ...claimed.response.headers, 'idempotent-replayed': 'true' } };
    claim = claimed.claim;
  }
  try {
    const incoming = body.format === 'json' ? incomingCountsFromJson(body.value) : incomingCountsFromCsv(body.text, query);
    const held = claim;
    const result = await submitCountReturn(intake.db, {
      principal,
      incoming,
      dryRun: query.dryRun,
      requestId: params.requestId,
      // The key's answer commits with the count return, or not at all.
      ...(held ? { beforeCommit: (tx, summary) => completeIdempotencyKey(tx, held, accepted(summary)) } : {}),
    });
    if ('dryRun' in result) {
      const response: StoredResponse = { status: 200, body: result, headers: {} };
      // A dry run stores nothing, so its answer is kept once it is known.
      if (claim) await completeIdempotencyKey(intake.db, claim, response);
      return response;
    }
    intake.log.info(
      { countReturnId: result.id, service: result.service, period: result.period, version: result.version, cellCount: result.cellCount },
      'count return accepted',
    );
    return accepted(result);
  } catch (error) {
    if (claim) await settleFailedClaim(intake.db, intake.log, claim, error, '/v1/count-returns');
    throw error;
  }
}

function accepted(summary: { id: string }): StoredResponse {
  return { status: 201, body: summary, headers: { location: `/v1/count-returns/${summary.id}` } };
}
