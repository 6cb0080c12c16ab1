/**
 * The `vawg` command-line tool: `bin/vawg.js` loads this module, which runs the subcommand named
 * in `process.argv`. Subcommands are a table so new ones (validate, submit) are one entry each.
 */
import { runMigrateCommand } from './migrate-command.js';
import { runRetentionCommand } from './retention-command.js';
import { runSlkCommand, type CommandIo } from './slk-command.js';
import { runSubmitCommand } from './submit-command.js';
import { runValidateCommand } from './validate-command.js';

interface Subcommand {
  summary: string;
  run: (args: string[], io: CommandIo) => Promise<number>;
}

const subcommands: Record<string, Subcommand> = {
  slk: { summary: 'Replace names and dates of birth in a CSV with SLK-581 linkage keys (offline)', run: runSlkCommand },
  validate: { summary: 'Check a return file (CSV or JSON) offline with the rules the server uses', run: runValidateCommand },
  submit: { summary: 'Submit a return file to the API, with retries, progress and a readable report', run: (args, io) => runSubmitCommand(args, io) },
  migrate: { summary: 'Apply pending database migrations (as the server does on start) and exit', run: (args, io) => runMigrateCommand(args, io) },
  retention: { summary: 'Count (--dry-run) or delete (--apply) what is past its retention limit', run: (args, io) => runRetentionCommand(args, io) },
};

function formatUsage(): string {
  const width = Math.max(...Object.keys(subcommands).map((name) => name.length));
  const lines = Object.entries(subcommands).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `Usage: vawg <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun vawg <command> --help for a command's options.\n`;
}

export async function runVawg(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr.write(formatUsage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(formatUsage());
    return 0;
  }
  const subcommand = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!subcommand) {
    io.stderr.write(`vawg: unknown command ${JSON.stringify(name)}\n\n${formatUsage()}`);
    return 2;
  }
  return subcommand.run(args, io);
}

// exitCode rather than exit(): stdout may still be flushing a large CSV to a pipe.
process.exitCode = await runVawg(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
