/**
 * `vawg submit`: sends a return file to `POST /v1/returns` the way a busy coordinator on an
 * unreliable connection needs it sent. The file is streamed (never held in memory), with one
 * Idempotency-Key for every attempt, so a retry after a lost answer can never store the return
 * twice: the server replays the first answer instead. Large returns answered with 202 are followed
 * through their job to the final answer. Problems are printed with the report `vawg validate` uses.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { FieldProblem } from '../lib/problem.js';
import { formatCount, formatProblem, formatReport, formatWarnings, plural, tallyOfProblemDocument, type ReturnFormat } from './report.js';
import { parseFileCommandLine, resolveOptions, UsageError, type CommandIo } from './command-line.js';
import { Progress, type ProgressClock } from './progress.js';
import { checkKind, detectFileKind, type FileKind } from './count-files.js';
import { checkPeriod, checkReadable, checkService, describeSystemError, formatOf } from './validate-command.js';

export const submitUsage = `Usage: vawg submit <file.csv|file.json> --service <id> --period <quarter> [options]

Submits a quarterly return to the VAWG Dataset API and prints the outcome: the version stored, or
every problem by row and column (nothing is stored when there is one). The file is streamed; large
returns are processed by the server as a job, which is followed to the end.

Options:
      --service <id>          The service the return is for, e.g. col-vva (CSV; a JSON return names its own)
      --period <quarter>      The quarter, e.g. 2022-23-Q1 (CSV; a JSON return names its own)
      --dataset-version <v>   The dataset version the file follows, e.g. 1.0.0 (CSV; a JSON return
                              names its own datasetVersion). Default: the server's current one
      --url <url>             The API (default: $VAWG_URL or http://127.0.0.1:3000)
      --key <api key>         The API key. Prefer the VAWG_API_KEY environment variable: an option
                              is kept in your shell history
      --dry-run               Validate on the server (registered services, locked periods included)
                              without storing anything
      --retries <n>           Retries after network errors, 5xx, 429 and a request still in flight
                              (default: 5; waits 0.5 s, 1 s, 2 s, …)
      --idempotency-key <key> Reuse the key of an earlier attempt (printed when one fails), so the
                              server answers with that attempt's outcome instead of storing twice
      --format <csv|json>     The file's format when its name does not end in .csv or .json
      --kind <records|counts> A record return (POST /v1/returns) or a count return (totals by
                              measure and area, POST /v1/count-returns). Default: told from the
                              file (a JSON \`counts\` array, or a CSV header with measure and value)
      --json                  Print the server's final answer as JSON instead
  -h, --help                  Show this help

Environment: VAWG_API_KEY (the API key), VAWG_URL (the API), VAWG_RETRY_BASE_MS (first retry wait).
Exit codes: 0 accepted (or valid, with --dry-run), 1 rejected or failed, 2 usage error.
`;

const DEFAULT_URL = 'http://127.0.0.1:3000';
const DEFAULT_RETRIES = 5;
const DEFAULT_RETRY_BASE_MS = 500;
const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Retry-After is honoured up to this long. */
const MAX_RETRY_WAIT_MS = 60_000;
/** No byte either way for this long: the connection is taken as lost (and retried). */
const SOCKET_TIMEOUT_MS = 10 * 60_000;
const IDEMPOTENCY_IN_USE = 'urn:vawg:problem:idempotency-key-in-use';

export interface SubmitDeps {
  env?: Record<string, string | undefined>;
  /** The first retry's wait; each next one doubles. */
  retryBaseMs?: number;
  pollIntervalMs?: number;
  /** Draw a progress bar (default: whether stderr is a terminal). */
  tty?: boolean;
  /** The progress display's clock (a test's fake one). */
  clock?: ProgressClock;
}

interface SubmitOptions {
  file: string;
  format: ReturnFormat;
  service: string | undefined;
  period: string | undefined;
  datasetVersion: string | undefined;
  kind: FileKind | undefined;
  base: URL;
  key: string;
  keyFromOption: boolean;
  dryRun: boolean;
  retries: number;
  idempotencyKey: string;
  json: boolean;
}

function parseSubmitArgs(args: string[], env: Record<string, string | undefined>): SubmitOptions | 'help' {
  const parsed = parseFileCommandLine(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        service: { type: 'string' },
        period: { type: 'string' },
        'dataset-version': { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        retries: { type: 'string' },
        'idempotency-key': { type: 'string' },
        format: { type: 'string' },
        kind: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (parsed === 'help') return 'help';
  const { values, file } = parsed;
  const format = formatOf(file, values.format);
  const kind = checkKind(values.kind);
  checkPeriod(values.period);
  checkService(values.service);
  if (format === 'csv' && (values.service === undefined || values.period === undefined))
    throw new UsageError('a CSV return needs --service and --period (a JSON return names them in the file)');
  if (format === 'json' && values['dataset-version'] !== undefined)
    throw new UsageError('--dataset-version is for CSV returns; a JSON return names its datasetVersion in the file');
  // Not checked against this build's versions: the server may know a newer one, and says so if not.
  if (values['dataset-version'] !== undefined && !/^\d+\.\d+\.\d+$/.test(values['dataset-version']))
    throw new UsageError('--dataset-version must be a dataset version such as 1.0.0');
  const retries = values.retries === undefined ? DEFAULT_RETRIES : Number(values.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new UsageError('--retries must be a whole number from 0 to 20');
  const urlText = values.url ?? env.VAWG_URL ?? DEFAULT_URL;
  let base: URL;
  try {
    base = new URL(urlText);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(urlText)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError('--url must be an http:// or https:// URL');
  // An option wins over the environment, as with any setting; the warning says why not to use it.
  const key = values.key ?? env.VAWG_API_KEY;
  if (!key) throw new UsageError('no API key: set the VAWG_API_KEY environment variable (or give --key)');
  const idempotencyKey = values['idempotency-key'] ?? randomUUID();
  if (idempotencyKey.length < 1 || idempotencyKey.length > 255) throw new UsageError('--idempotency-key must be 1 to 255 characters');
  return {
    file,
    format,
    service: values.service,
    period: values.period,
    datasetVersion: values['dataset-version'],
    kind,
    base,
    key,
    keyFromOption: values.key !== undefined,
    dryRun: values['dry-run'],
    retries,
    idempotencyKey,
    json: values.json,
  };
}

function endpoint(base: URL, path: string, query?: URLSearchParams): URL {
  const url = new URL(base);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  url.search = query && [...query.keys()].length > 0 ? `?${query}` : '';
  url.hash = '';
  return url;
}

interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** One HTTP exchange; `body` opens the request body afresh for each attempt. */
function exchange(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: () => Readable; onBytes?: (sent: number) => void },
): Promise<HttpResponse> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const source = options.body?.();
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      source?.destroy();
      request.destroy();
      reject(error);
    };
    // No connection reuse: one exchange per connection, so a half-sent body never spoils the next.
    const request = client.request(url, { method: options.method, headers: options.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        if (settled) return;
        settled = true;
        // The server may answer before reading the whole body (a 401, a 415): stop sending.
        source?.destroy();
        request.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (/json/i.test(response.headers['content-type'] ?? '')) {
          try {
            body = JSON.parse(text);
          } catch {
            // Kept as text: a proxy's error page that claims to be JSON.
          }
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
    request.setTimeout(SOCKET_TIMEOUT_MS, () => fail(Object.assign(new Error('no answer from the server'), { code: 'ETIMEDOUT' })));
    request.on('error', fail);
    if (!source) {
      request.end();
      return;
    }
    let sent = 0;
    source.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      options.onBytes?.(sent);
    });
    source.on('error', fail);
    source.pipe(request);
  });
}

function problemType(response: HttpResponse): string | undefined {
  const body = response.body as { type?: unknown } | undefined;
  return typeof body === 'object' && body !== null && typeof body.type === 'string' ? body.type : undefined;
}

function isRetryable(response: HttpResponse): boolean {
  return response.status >= 500 || response.status === 429 || (response.status === 409 && problemType(response) === IDEMPOTENCY_IN_USE);
}

function retryAfterMs(response: HttpResponse | undefined): number {
  const header = response?.headers['retry-after'];
  if (typeof header !== 'string') return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

function describeStatus(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

interface Outcome {
  response: HttpResponse;
  attempts: number;
}

class GaveUp extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
    readonly lastResponse: HttpResponse | undefined,
  ) {
    super('gave up');
  }
}

/** Sends until an answer that is not worth retrying, or the retries run out. */
async function withRetries(send: () => Promise<HttpResponse>, retries: number, baseMs: number, log: (message: string) => void): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    let response: HttpResponse | undefined;
    let error: unknown;
    try {
      response = await send();
    } catch (caught) {
      error = caught;
    }
    if (response && !isRetryable(response)) return { response, attempts: attempt };
    if (attempt > retries) {
      if (response) return { response, attempts: attempt };
      throw new GaveUp(attempt, error, response);
    }
    const wait = Math.min(Math.max(baseMs * 2 ** (attempt - 1), retryAfterMs(response)), MAX_RETRY_WAIT_MS);
    const reason = response ? describeStatus(response.status) : describeSystemError(error);
    log(`attempt ${attempt} failed (${reason}); retrying in ${(wait / 1000).toFixed(1)} s`);
    await sleep(wait);
  }
}

interface JobBody {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress?: { recordsRead?: number; fraction?: number | null };
  result?: { status: number; body: unknown } | null;
}

function summaryLine(body: Record<string, unknown>, kind: FileKind): string {
  const count = kind === 'counts' ? plural(Number(body.cellCount ?? 0), 'cell') : plural(Number(body.recordCount ?? 0), 'record');
  return `${String(body.service)} ${String(body.period)}, ${count}`;
}

/** The readable outcome and the exit code. */
function renderOutcome(
  response: { status: number; body: unknown; headers?: IncomingHttpHeaders },
  format: ReturnFormat,
  kind: FileKind = 'records',
): { text: string; code: number } {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Record<string, unknown>;
  const warnings = Array.isArray(body.warnings) ? (body.warnings as FieldProblem[]) : [];
  if (response.status === 201) {
    const replayed =
      response.headers?.['idempotent-replayed'] === 'true' ? 'note: this submission had already been accepted; the server replayed its answer\n' : '';
    return {
      text: `${formatWarnings(warnings)}${replayed}accepted: version ${String(body.version)} of ${summaryLine(body, kind)} (${kind === 'counts' ? 'count return' : 'return'} ${String(body.id)})\n`,
      code: 0,
    };
  }
  if (response.status === 200 && body.dryRun === true)
    return {
      text: `${formatWarnings(warnings)}valid (dry run): would be version ${String(body.wouldBeVersion)} of ${summaryLine(body, kind)}; nothing was stored\n`,
      code: 0,
    };
  const detail =
    typeof body.detail === 'string' ? body.detail : typeof response.body === 'string' && response.body ? response.body.slice(0, 500) : 'no detail given';
  const errors = Array.isArray(body.errors) ? (body.errors as FieldProblem[]) : [];
  if (response.status === 422 && errors.length > 0) {
    // The server lists at most 1,000 problems; its problemCount is how many there were.
    const tally = tallyOfProblemDocument({ detail, errors, ...(typeof body.problemCount === 'number' ? { problemCount: body.problemCount } : {}) });
    return { text: `${formatReport(tally.report({ format, recordCount: null }))}rejected: nothing was stored\n`, code: 1 };
  }
  const lines = errors.map((e) => `${formatProblem(e)}\n`).join('');
  const hint = response.status === 401 ? ' (check VAWG_API_KEY)' : '';
  return { text: `${lines}rejected (${describeStatus(response.status)}): ${detail}${hint}\n`, code: 1 };
}

async function checkJsonEnvelope(file: string, flags: { service: string | undefined; period: string | undefined }): Promise<void> {
  if (flags.service === undefined && flags.period === undefined) return;
  let envelope: { service?: unknown; period?: unknown };
  try {
    envelope = JSON.parse(await readFile(file, 'utf8')) as typeof envelope;
  } catch {
    return; // The server reports what is wrong with the file.
  }
  for (const field of ['service', 'period'] as const) {
    const flag = flags[field];
    if (flag !== undefined && envelope?.[field] !== flag)
      throw new UsageError(`--${field} ${flag} differs from the file's ${field} ${JSON.stringify(envelope?.[field])}; a JSON return is submitted with its own`);
  }
}

export async function runSubmitCommand(args: string[], io: CommandIo, deps: SubmitDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const options = await resolveOptions('submit', submitUsage, io, async () => {
    const parsed = parseSubmitArgs(args, env);
    if (parsed !== 'help' && parsed.format === 'json') await checkJsonEnvelope(parsed.file, parsed);
    return parsed;
  });
  if (typeof options === 'number') return options;
  const { file, format, base, retries } = options;
  const kind = options.kind ?? (await detectFileKind(file, format));
  if (kind === 'counts' && options.datasetVersion !== undefined) {
    io.stderr.write(`vawg submit: --dataset-version is for record returns; a count return has none\n\n${submitUsage}`);
    return 2;
  }
  const log = (message: string) => io.stderr.write(`vawg submit: ${message}\n`);
  if (options.keyFromOption) log('warning: --key is kept in your shell history; set the VAWG_API_KEY environment variable instead');
  const readable = await checkReadable(file);
  if ('error' in readable) {
    log(readable.error);
    return 1;
  }
  const baseMs = deps.retryBaseMs ?? (Number(env.VAWG_RETRY_BASE_MS) || DEFAULT_RETRY_BASE_MS);
  const pollMs = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const progress = new Progress(io.stderr, deps.tty ?? (io.stderr as { isTTY?: boolean }).isTTY === true, deps.clock);
  const auth = { authorization: `Bearer ${options.key}`, accept: 'application/json', 'user-agent': 'vawg-cli' };

  const query = new URLSearchParams();
  if (format === 'csv') {
    query.set('service', options.service!);
    query.set('period', options.period!);
    if (options.datasetVersion !== undefined && kind === 'records') query.set('datasetVersion', options.datasetVersion);
  }
  if (options.dryRun) query.set('dryRun', 'true');
  const size = readable.size;
  const upload = () =>
    exchange(endpoint(base, kind === 'counts' ? '/v1/count-returns' : '/v1/returns', query), {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
        'content-length': String(size),
        'idempotency-key': options.idempotencyKey,
      },
      body: () => createReadStream(file),
      onBytes: (sent) => {
        progress.update('uploading', size > 0 ? sent / size : 1, `${formatBytes(sent)} of ${formatBytes(size)}`);
        // Every byte is out: what follows is the server reading and checking every record.
        if (sent >= size)
          progress.wait(options.dryRun ? 'uploaded; the server is checking the return (dry run)' : 'uploaded; the server is checking the return');
      },
    }).finally(() => progress.done());

  const gaveUp = (error: GaveUp, what: string) => {
    log(`failed: ${what} after ${plural(error.attempts, 'attempt')} (${describeSystemError(error.lastError)})`);
    return 1;
  };

  let outcome: Outcome;
  try {
    outcome = await withRetries(upload, retries, baseMs, log);
  } catch (error) {
    if (!(error instanceof GaveUp)) throw error;
    gaveUp(error, `could not reach ${base.origin}`);
    log(
      `the return may or may not have been received. Run the same command with --idempotency-key ${options.idempotencyKey} to find out safely: the server answers a repeated key with the first outcome instead of storing twice`,
    );
    return 1;
  }
  let final: { status: number; body: unknown; headers?: IncomingHttpHeaders } = outcome.response;
  let jobId: string | undefined;

  if (outcome.response.status === 202) {
    let job = outcome.response.body as JobBody;
    jobId = job.id;
    if (!options.json) log(`the server is processing the return as job ${job.id}`);
    progress.wait('the server is processing the return');
    const jobUrl = endpoint(base, `/v1/jobs/${encodeURIComponent(job.id)}`);
    while (job.status === 'queued' || job.status === 'running') {
      await sleep(pollMs);
      let polled: Outcome;
      try {
        polled = await withRetries(() => exchange(jobUrl, { method: 'GET', headers: auth }), retries, baseMs, log);
      } catch (error) {
        if (!(error instanceof GaveUp)) throw error;
        progress.done();
        return gaveUp(error, `could not follow job ${jobId} at ${jobUrl.href}`);
      }
      if (polled.response.status !== 200) {
        progress.done();
        final = polled.response;
        break;
      }
      job = polled.response.body as JobBody;
      const read = job.progress?.recordsRead ?? 0;
      progress.update(job.status === 'queued' ? 'queued' : 'processing', job.progress?.fraction ?? null, `${formatCount(read)} records read`);
    }
    progress.done();
    if (job.status === 'succeeded' || job.status === 'failed') {
      final = job.result ?? { status: 500, body: { detail: `job ${job.id} ended without a result` } };
    }
  }

  const rendered = renderOutcome(final, format, kind);
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ status: final.status, body: final.body, idempotencyKey: options.idempotencyKey, attempts: outcome.attempts, ...(jobId ? { jobId } : {}) }, null, 2)}\n`,
    );
  } else {
    io.stdout.write(rendered.text);
    if (final.status >= 500) log(`the server failed; running the same command with --idempotency-key ${options.idempotencyKey} is safe`);
  }
  return rendered.code;
}
