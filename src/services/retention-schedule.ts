/**
 * Retention once a day in the server (VAWG_RETENTION_DAILY_AT, PostgreSQL only): when the time
 * comes, each instance tries a session advisory lock on a connection of its own; the one that
 * gets it applies retention unless a run was recorded in the last twelve hours (another instance
 * whose clock ran ahead, or an operator's `vawg retention --apply`), so instances sharing the
 * database run it once a day between them. Every instance sweeps its own upload folder, which
 * no other can see.
 */
import type { FastifyBaseLogger } from 'fastify';
import { and, eq, gt, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from '../db/connect.js';
import { auditEvents } from '../db/tables.js';
import type { LinkageSettings } from './linkage/relink.js';
import { applyRetention, sweepUploads, type RetentionCounts } from './retention.js';
import type { RetentionLimits } from './retention-limits.js';

/** Held by the instance applying retention, for the whole run. */
export const RETENTION_LOCK = 581_017;
const DAY_MS = 86_400_000;

export interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
}

/** `HH:MM` or `HH:MM:SS` (the configuration's pattern has checked it). */
export function parseTimeOfDay(text: string): TimeOfDay {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$/.exec(text);
  if (!match) throw new Error('not a time of day (HH:MM or HH:MM:SS)');
  return { hour: Number(match[1]), minute: Number(match[2]), second: Number(match[3] ?? 0) };
}

/** The first instant strictly after `after` at the time of day (UTC). */
export function nextRunAt(at: TimeOfDay, after: Date): Date {
  const day = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), at.hour, at.minute, at.second);
  return new Date(day > after.getTime() ? day : day + DAY_MS);
}

export type ScheduledOutcome =
  | { outcome: 'applied'; counts: RetentionCounts }
  /** Another instance holds the lock, or a run was recorded in the last twelve hours: only this instance's uploads were swept. */
  | { outcome: 'elsewhere'; uploads: number };

export interface ScheduledRetention {
  databaseUrl: string;
  db: Database;
  limits: RetentionLimits;
  uploadDir: string;
  settings: LinkageSettings;
  log: FastifyBaseLogger;
  signal?: AbortSignal;
}

async function ranRecently(db: Database): Promise<boolean> {
  const [row] = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'retention.applied'), gt(auditEvents.at, sql`now() - interval '12 hours'`)))
    .limit(1);
  return row !== undefined;
}

export async function runScheduledRetention(params: ScheduledRetention): Promise<ScheduledOutcome> {
  // A pooled connection would lose a session lock when released: one of its own, for the run.
  const client = new pg.Client({ connectionString: params.databaseUrl, application_name: 'vawg-api-retention' });
  client.on('error', (err) => params.log.warn({ err }, 'the retention lock connection was lost'));
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [RETENTION_LOCK]);
    if (rows[0]?.locked && !(await ranRecently(params.db))) {
      const counts = await applyRetention(params.db, params.limits, {
        uploadDir: params.uploadDir,
        settings: params.settings,
        ...(params.signal ? { signal: params.signal } : {}),
      });
      return { outcome: 'applied', counts };
    }
    return { outcome: 'elsewhere', uploads: await sweepUploads(params.db, params.uploadDir, params.limits) };
  } finally {
    // Ending the session releases the lock.
    await client.end().catch(() => undefined);
  }
}
