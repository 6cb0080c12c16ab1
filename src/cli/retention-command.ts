/**
 * `vawg retention`: what is past its retention limit (the records of periods past
 * VAWG_RETENTION_YEARS, superseded versions, finished jobs, expired idempotency responses, old
 * audit events, stale uploads; services/retention.ts), counted with `--dry-run` (the default) and
 * deleted with `--apply`. Configured by the server's environment (src/config.ts): the same
 * database, upload folder and VAWG_*RETENTION* limits. Prints counts only.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { migrateDatabase } from '../db/migrate.js';
import { describeError } from '../lib/log-safety.js';
import { applyRetention, planRetention, type RetentionCounts } from '../services/retention.js';
import { DEFAULT_JOB_RETENTION_DAYS, DEFAULT_UPLOAD_RETENTION_HOURS } from '../services/retention-limits.js';
import { resolveOptions, UsageError, type CommandIo } from './command-line.js';

export const retentionUsage = `Usage: vawg retention [--dry-run | --apply]

Counts (--dry-run, the default) or deletes (--apply) what is past its retention limit:
the records of returns (every version, with their tokens, person links, analytic rows and
updates) once their period's financial year ended more than VAWG_RETENTION_YEARS ago (unset:
kept; the returns stay, marked no longer held), superseded versions of returns after
VAWG_SUPERSEDED_RETENTION_DAYS (unset: kept), finished jobs after VAWG_JOB_RETENTION_DAYS
(default ${DEFAULT_JOB_RETENTION_DAYS}), expired idempotency responses, audit events after VAWG_AUDIT_RETENTION_YEARS
(unset: kept), and spooled uploads no job reads after VAWG_UPLOAD_RETENTION_HOURS (default
${DEFAULT_UPLOAD_RETENTION_HOURS}). Deletes in bounded transactions and records one audit event with the counts.
Configured by the same environment as the server.

Options:
  --dry-run   Count only (the default)
  --apply     Delete
  -h, --help  Show this help

Exit codes: 0 done, 1 configuration or database error, 2 usage error.
`;

function parseRetentionArgs(args: string[]): 'help' | 'plan' | 'apply' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, 'dry-run': { type: 'boolean' }, apply: { type: 'boolean' } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return 'help';
  if (parsed.positionals.length > 0) throw new UsageError(`expected no arguments, got ${parsed.positionals.length}`);
  if (parsed.values.apply && parsed.values['dry-run']) throw new UsageError('--apply and --dry-run together');
  return parsed.values.apply ? 'apply' : 'plan';
}

function describe(counts: RetentionCounts): string {
  return [
    `returns of periods past the retention period: ${counts.expiredPeriodReturns} (${counts.expiredPeriodRecords} records, ${counts.expiredPeriodUpdates} updates)`,
    `superseded versions: ${counts.supersededReturns} (${counts.supersededRecords} records)`,
    `finished jobs: ${counts.jobs}`,
    `expired idempotency responses: ${counts.idempotencyKeys}`,
    `audit events: ${counts.auditEvents}`,
    `stale uploads: ${counts.uploads}`,
  ].join('\n');
}

export async function runRetentionCommand(args: string[], io: CommandIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  const mode = await resolveOptions('retention', retentionUsage, io, () => parseRetentionArgs(args));
  if (typeof mode === 'number') return mode;
  try {
    const config = await loadConfig(env);
    const handle = await openDatabase(config);
    try {
      await migrateDatabase(handle);
      const limits = config.retention ?? { jobDays: DEFAULT_JOB_RETENTION_DAYS };
      const options = { uploadDir: config.uploadDir, settings: { threshold: config.matchThreshold } };
      const counts = mode === 'apply' ? await applyRetention(handle.db, limits, options) : await planRetention(handle.db, limits, options);
      io.stdout.write(`vawg retention: ${mode === 'apply' ? 'deleted' : 'past their limits (nothing deleted; --apply deletes)'}\n${describe(counts)}\n`);
    } finally {
      await handle.close();
    }
    return 0;
  } catch (error) {
    io.stderr.write(`vawg retention: ${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    return 1;
  }
}
