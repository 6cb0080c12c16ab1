/**
 * `vawg migrate`: applies the pending migrations and exits, for a deployment that migrates as its
 * own step (before starting new servers, or with a role the servers do not have). `npm start` also
 * migrates on boot, so this is never required. It reads the environment exactly as the server does
 * (src/config.ts), so it migrates the database the server would open: DATABASE_URL's, or the
 * embedded PGlite one under VAWG_DATA_DIR.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { migrateDatabase } from '../db/migrate.js';
import { describeError } from '../lib/log-safety.js';
import { resolveOptions, UsageError, type CommandIo } from './command-line.js';

export const migrateUsage = `Usage: vawg migrate

Applies the committed migrations that the database has not had yet, then exits. Configured by
the same environment as the server: DATABASE_URL (with VAWG_LINKAGE_SECRET) for PostgreSQL,
otherwise the embedded database in VAWG_DATA_DIR (default ./data).

Options:
  -h, --help  Show this help

Exit codes: 0 up to date, 1 configuration or database error, 2 usage error.
`;

function parseMigrateArgs(args: string[]): 'help' | 'run' {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return 'help';
  // The count only, as the other commands do: a stray argument is never echoed.
  if (parsed.positionals.length > 0) throw new UsageError(`expected no arguments, got ${parsed.positionals.length}`);
  return 'run';
}

export async function runMigrateCommand(args: string[], io: CommandIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  const options = await resolveOptions('migrate', migrateUsage, io, () => parseMigrateArgs(args));
  if (typeof options === 'number') return options;
  try {
    const config = await loadConfig(env);
    const handle = await openDatabase(config);
    try {
      await migrateDatabase(handle);
    } finally {
      await handle.close();
    }
    io.stdout.write(`vawg migrate: migrations applied (${handle.kind})\n`);
    return 0;
  } catch (error) {
    // Through the log's error rules: a failed statement's parameters and the connection string's password stay out.
    io.stderr.write(`vawg migrate: ${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    return 1;
  }
}
