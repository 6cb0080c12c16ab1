/**
 * Tells "the database cannot be reached" from every other failure, so the error handler can answer
 * 503 with Retry-After (the client should simply retry) instead of 500 (a bug to report). A lost
 * connection rolls its transaction back, so nothing of the request was stored either way.
 */
import { maskValues } from '../lib/log-safety.js';

/** How long a client is asked to wait before retrying while the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/** Thrown where the code itself finds the database unreachable (a failed readiness probe). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly statusCode = 503;
  constructor(message = 'the database is not reachable', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Socket errors of a connection that failed or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server going away or refusing connections: admin shutdown / crash shutdown /
 * cannot connect now (57P01–57P03), too many connections (53300); class 08 is connection exceptions.
 * 40001 is also how a hot standby cancels a read that conflicts with replay (`DATABASE_READ_URL`):
 * the same read succeeds on a retry. Every transaction that can meet it here reads only, so a retry is safe.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001']);

/** node-postgres and pg-pool report a lost or timed-out connection by message only. */
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /not queryable/,
  /^Client has encountered a connection error/,
  /^Connection terminated due to connection timeout/,
];

function isUnavailableItself(error: object): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const { code, syscall, message } = error as { code?: unknown; syscall?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    if (SOCKET_CODES.has(code)) return true;
    // A unix socket that is not there (ENOENT) means the same as a refused TCP connection, but only on connect.
    if (syscall === 'connect') return true;
  }
  return typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * True when the error, or one it wraps (drizzle's DrizzleQueryError keeps the driver's error in
 * `cause`; a refused connection to a host with several addresses is an AggregateError), says the
 * database is unreachable.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (isUnavailableItself(current)) return true;
    pending.push((current as { cause?: unknown }).cause);
    const inner = (current as { errors?: unknown }).errors;
    if (Array.isArray(inner)) pending.push(...inner);
  }
  return false;
}

/**
 * What may be logged about a database failure: the driver's code and message of the innermost
 * connection error. Never the failed query's text or parameters (drizzle's message carries both,
 * and the parameters can be a return's records).
 */
export function describeDatabaseFailure(error: unknown): { code?: string; reason: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && typeof current === 'object' && current !== null; depth++) {
    const { cause } = current as { cause?: unknown };
    if (!(typeof cause === 'object' && cause !== null)) break;
    current = cause;
  }
  const { code, message } = (current ?? {}) as { code?: unknown; message?: unknown };
  // PostgreSQL's and csv-parse's messages can quote a value (`invalid input syntax for type integer: "…"`).
  const reason =
    current instanceof DatabaseUnavailableError || !/^Failed query/.test(String(message)) ? maskValues(String(message ?? 'unknown')) : 'query failed';
  return { ...(typeof code === 'string' ? { code } : {}), reason };
}
