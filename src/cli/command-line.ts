/**
 * What every `vawg` subcommand does with its command line: one input file plus options, usage
 * errors printed with the usage text (exit 2), `--help` printed to stdout (exit 0).
 */
import type { Writable } from 'node:stream';

export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
}

export class UsageError extends Error {}

/**
 * Runs `parse` (a `parseArgs` call) and checks for exactly one positional file. The count only: a
 * stray positional may be a name typed on the command line, so it is never echoed.
 */
export function parseFileCommandLine<R extends { values: { help?: boolean | undefined }; positionals: string[] }>(
  parse: () => R,
): { values: R['values']; file: string } | 'help' {
  let parsed: R;
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return 'help';
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one input file, got ${parsed.positionals.length} arguments`);
  return { values: parsed.values, file: parsed.positionals[0]! };
}

/** The options `parse` builds, or the exit code when it was a usage error or `--help`. */
export async function resolveOptions<T>(name: string, usage: string, io: CommandIo, parse: () => T | 'help' | Promise<T | 'help'>): Promise<T | number> {
  let options: T | 'help';
  try {
    options = await parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`vawg ${name}: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  return options;
}
