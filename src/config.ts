/**
 * Configuration: one TypeBox schema for the environment, validated once at boot. Nothing else in
 * the code base reads `process.env`.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { ensurePrivateDir, restrictTree } from './lib/private-files.js';
import { DEFAULT_THRESHOLD } from './services/linkage/match-threshold.js';
import { DEFAULT_JOB_RETENTION_DAYS, DEFAULT_UPLOAD_RETENTION_HOURS, type RetentionLimits } from './services/retention-limits.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * On PGlite a return of 10,000 records held the one connection 3-5 s (2 busy vCPUs) and other
 * requests waited as long; at 20,000 they waited 5-16 s, at 50,000 15-25 s (bench/embedded-hold.ts).
 */
export const DEFAULT_EMBEDDED_MAX_RECORDS = 10_000;
/** `background`: the 201 is sent before linkage; `inline`: it waits until persons are current; `none`: another instance links. */
export const LINKAGE_MODES = ['background', 'inline', 'none'] as const;
export type LinkageMode = (typeof LINKAGE_MODES)[number];
export const LINKAGE_REESTIMATIONS = ['auto', 'off'] as const;
export type LinkageReestimation = (typeof LINKAGE_REESTIMATIONS)[number];

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'Listen port.' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Listen address.' }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL connection string; when unset the embedded PGlite database is used.' }),
  ),
  DATABASE_READ_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        "PostgreSQL connection string of a streaming replica (hot standby) of DATABASE_URL's database: analysts' reads (aggregates, indicators, completeness, overlaps, counts) go there, everything else to DATABASE_URL. Only with DATABASE_URL.",
    }),
  ),
  VAWG_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Where the embedded database keeps its files (`memory://` for none).' }),
  VAWG_LINKAGE_SECRET: Type.Optional(
    Type.String({ minLength: 32, description: 'HMAC key for linkage tokens (at least 32 characters); required with DATABASE_URL.' }),
  ),
  VAWG_BOOTSTRAP_ADMIN_KEY: Type.Optional(Type.String({ minLength: 24, description: 'If set, an admin API key with exactly this value exists after start.' })),
  LOG_LEVEL: Type.String({ default: 'info', enum: [...LOG_LEVELS], description: 'pino level.' }),
  VAWG_SUPPRESS_BELOW: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Counts from 1 to this minus 1 are suppressed for analysts.' }),
  VAWG_MATCH_THRESHOLD: Type.Number({
    minimum: -50,
    maximum: 50,
    default: DEFAULT_THRESHOLD,
    description: 'Match weight (log2 odds that two records are one person, prior included) at or above which they link; 0 is "more likely than not".',
  }),
  VAWG_LINKAGE_MODE: Type.String({
    enum: [...LINKAGE_MODES],
    default: 'background',
    description:
      '`background`: a return is answered as soon as it is stored and its linkage runs after, in a queue any instance works through; `inline`: the answer waits until persons are current for it; ' +
      '`none`: this instance runs no linkage (API-only instances beside one that does).',
  }),
  VAWG_LINKAGE_REESTIMATE: Type.Optional(
    Type.String({
      enum: [...LINKAGE_REESTIMATIONS],
      description:
        '`auto`: once its queue is empty, a worker re-estimates the model (EM) and relinks everything when the linkable records have grown by a quarter since it was trained, or it is 30 days old and the data changed (or only the default model is in force); `off`: only `POST /v1/linkage/relink` with `estimate` does. Unset: `auto` with DATABASE_URL, `off` on the embedded database (a full relink would hold its only connection).',
    }),
  ),
  VAWG_LINKAGE_RETRY_S: Type.Number({
    minimum: 0.01,
    maximum: 3600,
    default: 1,
    description:
      'How long a failed linkage job waits before its first retry; each later retry waits four times longer, and after five attempts it is left for a full relink.',
  }),
  VAWG_LINKAGE_POLL_S: Type.Number({
    minimum: 0.1,
    maximum: 3600,
    default: 5,
    description: 'How often an instance looks for linkage work no instance has picked up (queued by another, or left by one that stopped).',
  }),
  VAWG_BODY_LIMIT_MB: Type.Integer({ minimum: 1, maximum: 1024, default: 100, description: 'Largest request body accepted, in MiB.' }),
  VAWG_ASYNC_RETURN_MB: Type.Number({
    minimum: 0,
    maximum: 1024,
    default: 10,
    description: 'Returns with a larger body are processed by a job: the request answers 202 and the client polls the job, so no proxy times out.',
  }),
  VAWG_EMBEDDED_MAX_RECORDS: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: DEFAULT_EMBEDDED_MAX_RECORDS,
    description:
      'Embedded database (no DATABASE_URL) only: a return with more records (updates included) is refused with 413, as it would hold the one connection for too long; PostgreSQL takes any size.',
  }),
  VAWG_RECORD_WORKERS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 256,
      description:
        "Worker threads that convert, check and tokenise a large return's records while the main thread reads the file and writes the rows; 0: all on the main thread. Unset: one fewer than the machine's cores, at least 1.",
    }),
  ),
  VAWG_IDEMPOTENCY_TTL_HOURS: Type.Integer({
    minimum: 24,
    maximum: 24 * 30,
    default: 24,
    description: 'How long an Idempotency-Key and its response are kept.',
  }),
  VAWG_SUPERSEDED_RETENTION_DAYS: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 36_500,
      description:
        'A superseded version of a return (its records, their tokens and its updates) is deleted by `vawg retention --apply` this many days after a later version replaced it; unset: kept.',
    }),
  ),
  VAWG_JOB_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    maximum: 36_500,
    default: DEFAULT_JOB_RETENTION_DAYS,
    description: "A finished job's record (its progress, payload and result) is deleted this many days after it ended.",
  }),
  VAWG_AUDIT_RETENTION_YEARS: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'Audit events older than this many years are deleted; unset: kept.' }),
  ),
  VAWG_RETENTION_YEARS: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100,
      description:
        "The records of a return (every version: its records, their linkage tokens, person links and analytic rows, and its updates) are deleted once the end (31 March) of its period's financial year is more than this many years ago; the return's row stays, marked, so figures for the quarter say it is no longer held. Unset: kept for ever.",
    }),
  ),
  VAWG_UPLOAD_RETENTION_HOURS: Type.Integer({
    minimum: 1,
    maximum: 24 * 365,
    default: DEFAULT_UPLOAD_RETENTION_HOURS,
    description:
      'A spooled upload that no queued or running job reads is deleted once it is this many hours old (uploads are otherwise deleted when their job ends).',
  }),
  VAWG_RETENTION_DAILY_AT: Type.Optional(
    Type.String({
      pattern: '^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$',
      description:
        'A time of day (UTC, `HH:MM` or `HH:MM:SS`) at which the server applies retention (as `vawg retention --apply`) once a day; instances sharing the database run it once between them (an advisory lock). PostgreSQL only: on the embedded database a run would hold its only connection for as long as it takes, so run `vawg retention --apply` while the server is quiet instead. Unset: no schedule.',
    }),
  ),
  VAWG_REQUEST_TIMEOUT_S: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 300,
    description: 'Longest time to receive a whole request, body included: raise it for large uploads over slow links.',
  }),
  VAWG_IDLE_TIMEOUT_S: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 30,
    description: 'A connection silent this long while sending its request (or while its response is being sent) is closed.',
  }),
  VAWG_MAX_CONNECTIONS: Type.Integer({ minimum: 1, maximum: 100_000, default: 512, description: 'Open connections above this are refused.' }),
  VAWG_AUTH_FAILURES_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 20,
    description: 'Failed authentications allowed per client address, and per presented key, in a minute; further attempts get 429 until the minute ends.',
  }),
  VAWG_REQUESTS_PER_MINUTE_PER_KEY: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: 3000,
    description: 'Requests a valid API key may make in a minute before 429.',
  }),
  VAWG_TRUST_PROXY: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed, so limits apply per client and not per proxy.',
    }),
  ),
});

export type Env = Static<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string | undefined;
  /** A streaming replica for analysts' reads; unset: they read from `databaseUrl` too. */
  databaseReadUrl?: string | undefined;
  dataDir: string;
  linkageSecret: string;
  bootstrapAdminKey?: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  suppressBelow: number;
  bodyLimitBytes: number;
  matchThreshold: number;
  /** When persons are brought current for an accepted return (plugins/linkage-worker.ts). */
  linkageMode: LinkageMode;
  linkagePollMs: number;
  linkageReestimate: LinkageReestimation;
  linkageRetryMs: number;
  /** Return bodies above this size get a job and a 202. */
  asyncReturnBytes: number;
  /** On PGlite only, returns with more records (updates included) than this are refused (413); unset, no limit. */
  embeddedMaxRecords?: number | undefined;
  /** Worker threads for a large return's records (0: none); unset, one fewer than the cores, at least 1. */
  recordWorkers?: number | undefined;
  idempotencyTtlHours: number;
  /** What `vawg retention` deletes, and after how long (services/retention.ts). */
  retention?: RetentionLimits | undefined;
  /** `HH:MM` (UTC) at which the server applies retention daily (plugins/retention-schedule.ts); PostgreSQL only. Unset: never. */
  retentionDailyAt?: string | undefined;
  /** Where uploads are spooled while they are processed. */
  uploadDir: string;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  authFailuresPerMinute: number;
  requestsPerMinutePerKey: number;
  trustProxy?: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment: defaults applied, numbers converted, unknown VAWG_* names ignored. */
export function parseEnv(env: Record<string, string | undefined>): Env {
  const known = Object.fromEntries(Object.keys(EnvSchema.properties).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])));
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, known));
  if (!Value.Check(EnvSchema, value)) {
    const problems = [...Value.Errors(EnvSchema, value)].map((e) => `${e.instancePath.slice(1) || 'environment'}: ${e.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if (value.DATABASE_URL && !value.VAWG_LINKAGE_SECRET) {
    throw new ConfigError('invalid configuration: VAWG_LINKAGE_SECRET is required when DATABASE_URL is set');
  }
  // A replica of the embedded database cannot exist: refusing to start beats silently reading from PGlite.
  if (value.DATABASE_READ_URL && !value.DATABASE_URL) {
    throw new ConfigError('invalid configuration: DATABASE_READ_URL needs DATABASE_URL (a replica of the embedded database is not possible)');
  }
  if (value.VAWG_RETENTION_DAILY_AT && !value.DATABASE_URL) {
    throw new ConfigError('invalid configuration: VAWG_RETENTION_DAILY_AT needs DATABASE_URL (on the embedded database, run `vawg retention --apply` instead)');
  }
  return value;
}

/**
 * In embedded mode the linkage secret is generated once and kept beside the database, so tokens
 * stay stable across restarts without the newcomer configuring anything.
 */
async function resolveLinkageSecret(env: Env): Promise<string> {
  if (env.VAWG_LINKAGE_SECRET) return env.VAWG_LINKAGE_SECRET;
  if (env.VAWG_DATA_DIR === 'memory://') return randomBytes(32).toString('base64url');
  const file = path.resolve(env.VAWG_DATA_DIR, 'linkage-secret');
  // The data folder holds the secret, the database and uploads: owner-only (see lib/private-files.ts).
  await ensurePrivateDir(path.dirname(file));
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    await restrictTree(file);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** Uploads live beside the embedded database, or in the system's temporary folder when there is none. */
export function resolveUploadDir(dataDir: string): string {
  return dataDir === 'memory://' ? path.join(tmpdir(), `vawg-uploads-${randomBytes(6).toString('hex')}`) : path.resolve(dataDir, 'uploads');
}

export async function loadConfig(env: Record<string, string | undefined>): Promise<Config> {
  const parsed = parseEnv(env);
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    databaseUrl: parsed.DATABASE_URL,
    databaseReadUrl: parsed.DATABASE_READ_URL,
    dataDir: parsed.VAWG_DATA_DIR,
    linkageSecret: await resolveLinkageSecret(parsed),
    bootstrapAdminKey: parsed.VAWG_BOOTSTRAP_ADMIN_KEY,
    logLevel: parsed.LOG_LEVEL as Config['logLevel'],
    suppressBelow: parsed.VAWG_SUPPRESS_BELOW,
    bodyLimitBytes: parsed.VAWG_BODY_LIMIT_MB * 1024 * 1024,
    matchThreshold: parsed.VAWG_MATCH_THRESHOLD,
    linkageMode: parsed.VAWG_LINKAGE_MODE as LinkageMode,
    linkagePollMs: Math.round(parsed.VAWG_LINKAGE_POLL_S * 1000),
    // Unset: on with PostgreSQL; off on the embedded database, where a full relink would hold its only connection.
    linkageReestimate: (parsed.VAWG_LINKAGE_REESTIMATE ?? (parsed.DATABASE_URL ? 'auto' : 'off')) as LinkageReestimation,
    linkageRetryMs: Math.round(parsed.VAWG_LINKAGE_RETRY_S * 1000),
    asyncReturnBytes: Math.round(parsed.VAWG_ASYNC_RETURN_MB * 1024 * 1024),
    embeddedMaxRecords: parsed.VAWG_EMBEDDED_MAX_RECORDS,
    recordWorkers: parsed.VAWG_RECORD_WORKERS,
    idempotencyTtlHours: parsed.VAWG_IDEMPOTENCY_TTL_HOURS,
    retention: {
      jobDays: parsed.VAWG_JOB_RETENTION_DAYS,
      ...(parsed.VAWG_SUPERSEDED_RETENTION_DAYS === undefined ? {} : { supersededDays: parsed.VAWG_SUPERSEDED_RETENTION_DAYS }),
      ...(parsed.VAWG_AUDIT_RETENTION_YEARS === undefined ? {} : { auditYears: parsed.VAWG_AUDIT_RETENTION_YEARS }),
      ...(parsed.VAWG_RETENTION_YEARS === undefined ? {} : { recordYears: parsed.VAWG_RETENTION_YEARS }),
      uploadHours: parsed.VAWG_UPLOAD_RETENTION_HOURS,
    },
    retentionDailyAt: parsed.VAWG_RETENTION_DAILY_AT,
    uploadDir: resolveUploadDir(parsed.VAWG_DATA_DIR),
    requestTimeoutMs: parsed.VAWG_REQUEST_TIMEOUT_S * 1000,
    idleTimeoutMs: parsed.VAWG_IDLE_TIMEOUT_S * 1000,
    maxConnections: parsed.VAWG_MAX_CONNECTIONS,
    authFailuresPerMinute: parsed.VAWG_AUTH_FAILURES_PER_MINUTE,
    requestsPerMinutePerKey: parsed.VAWG_REQUESTS_PER_MINUTE_PER_KEY,
    trustProxy: parsed.VAWG_TRUST_PROXY,
  };
}
