/**
 * What may reach a log line. Errors from the database driver carry the failed statement's
 * parameters (drizzle puts a whole chunk of records, or a presented key's hash, into the message),
 * PostgreSQL's own messages and details can quote a value, and CSV parser errors quote the cell.
 * So an error is logged by allow-list: its type, a message with quoted values masked, its stack
 * frames, and only the properties that name code and schema objects, never data.
 */
import type { LoggerOptions } from 'pino';

/** Error properties that identify what failed without carrying a value (pg's, Node's, ours). */
const SAFE_PROPERTIES = [
  'code',
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'statusCode',
  'problemType',
  'problemCount',
  'errno',
  'syscall',
  'address',
  'port',
  'lines',
] as const;

/** A quoted name after one of these words is a schema object, not a value, and is kept. */
const OBJECT_WORDS = new Set([
  'column',
  'constraint',
  'relation',
  'table',
  'index',
  'type',
  'schema',
  'database',
  'role',
  'function',
  'sequence',
  'view',
  'extension',
  'encoding',
  'parameter',
  'operator',
  'trigger',
  'savepoint',
  'cursor',
  'statement',
  'file',
  'directory',
]);

const QUOTED = /"(?:[^"\\]|\\.|"")*"/g;
const HEX_BYTES = /0x[0-9a-f]{2}(?: 0x[0-9a-f]{2})*/gi;
const MAX_DEPTH = 5;

/** Masks quoted values (PostgreSQL's `… for type integer: "abc"`, csv-parse's `value is "…"`, JSON.parse's snippet). */
export function maskValues(message: string): string {
  return message
    .replace(QUOTED, (quoted, offset: number, whole: string) => {
      const before = /([A-Za-z_]+)\s*$/.exec(whole.slice(Math.max(0, offset - 40), offset));
      return before && OBJECT_WORDS.has(before[1]!.toLowerCase()) ? quoted : '"…"';
    })
    .replace(HEX_BYTES, '0x…');
}

/** The statement's first words, up to the first literal, parameter or parenthesis. */
export function statementHead(query: string): string {
  const head = query
    .split(/['$(;]/, 1)[0]!
    .replace(/\s+/g, ' ')
    .trim();
  const words = head.split(' ').slice(0, 8).join(' ');
  return words.length > 80 ? `${words.slice(0, 80)}…` : words;
}

function isQueryError(err: object): err is Error & { query?: unknown; params?: unknown } {
  return 'params' in err || 'query' in err;
}

/** The message an error may be logged with. */
export function safeErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return 'a non-error value was thrown';
  if (isQueryError(err)) {
    const query = typeof err.query === 'string' ? statementHead(err.query) : '';
    return `query failed${query ? `: ${query}` : ''} (parameters not logged)`;
  }
  return maskValues(err.message);
}

function frames(err: Error): string {
  const stack = typeof err.stack === 'string' ? err.stack : '';
  const head = String(err);
  // V8 writes `${name}: ${message}` and then the frames; anything before the frames is the message.
  const rest = stack.startsWith(head)
    ? stack.slice(head.length)
    : stack
        .split('\n')
        .filter((line) => /^\s+at /.test(line))
        .join('\n');
  return rest.startsWith('\n') ? rest : rest ? `\n${rest}` : '';
}

export interface SafeError {
  type: string;
  message: string;
  stack: string;
  cause?: SafeError;
  errors?: SafeError[];
  [property: string]: unknown;
}

/** pino's `err` serializer, by allow-list. */
export function serializeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error)) return { type: typeof err, message: safeErrorMessage(err), stack: '' };
  const type = err.constructor?.name || err.name || 'Error';
  const message = safeErrorMessage(err);
  const out: SafeError = { type, message, stack: `${err.name}: ${message}${frames(err)}` };
  for (const name of SAFE_PROPERTIES) {
    const value = (err as unknown as Record<string, unknown>)[name];
    if (typeof value === 'string' || typeof value === 'number') out[name] = typeof value === 'string' ? maskValues(value) : value;
  }
  if (depth < MAX_DEPTH) {
    if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
    if (err instanceof AggregateError && Array.isArray(err.errors)) out.errors = err.errors.slice(0, 10).map((e: unknown) => serializeError(e, depth + 1));
  }
  return out;
}

/** The same, as text for a terminal: the stack and each cause's, with its code. */
export function describeError(err: unknown): string {
  const lines: string[] = [];
  for (let e: SafeError | undefined = serializeError(err); e; e = e.cause) {
    lines.push(`${lines.length ? 'caused by: ' : ''}${e.stack || e.message}${typeof e.code === 'string' ? ` (code ${e.code})` : ''}`);
  }
  return lines.join('\n');
}

/** A path with a query string loses the query: an analyst's filters are query parameters. */
export function withoutQuery(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : `${url.slice(0, at)}?…`;
}

/**
 * A path that carries a service's own reference for a referral (`/v1/services/{id}/referrals/{referralId}`)
 * loses it: the reference leads back to a case file, so it is neither logged nor named back in a problem.
 */
const REFERRAL_IN_PATH = /^(\/v1\/services\/[^/?]+\/referrals\/)[^/?]+/;

/** The path of a request as logs and problems may show it: no query string, no referral reference. */
export function safePath(url: string): string {
  return withoutQuery(url).replace(REFERRAL_IN_PATH, '$1…');
}

const PATH_WITH_QUERY = /(\/[\w\-./%~]*)\?[^\s"']*/g;

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * The logger options every logger of the service uses: the error serializer, request lines without
 * query strings, and a hook so an Error logged directly (`log.error(err)`, which pino would title
 * with the raw message) or a message text with a URL in it goes through the same rules.
 */
export function safeLoggerOptions(): Pick<LoggerOptions, 'serializers' | 'hooks'> {
  return {
    serializers: {
      err: (err: unknown) => serializeError(err),
      req: (req: RequestLike) => ({
        method: req.method,
        url: typeof req.url === 'string' ? safePath(req.url) : undefined,
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        let next: unknown[] = args as unknown[];
        if (first instanceof Error) {
          next = [{ err: first }, ...(typeof rest[0] === 'string' ? rest : [safeErrorMessage(first), ...rest])];
        } else if (first && typeof first === 'object' && (first as { err?: unknown }).err instanceof Error) {
          const err = (first as { err: Error }).err;
          if (rest[0] === err.message) next = [first, safeErrorMessage(err), ...rest.slice(1)];
        }
        next = next.map((arg) => (typeof arg === 'string' ? arg.replace(PATH_WITH_QUERY, '$1?…') : arg));
        method.apply(this, next as Parameters<typeof method>);
      },
    },
  };
}
