/**
 * `vawg slk`: run by a provider on its own machine. It replaces the name and date-of-birth columns
 * of a CSV with the SLK-581 built from them, so names and dates of birth never leave the provider.
 * Nothing here touches the network.
 *
 * Failure is all-or-nothing: a row whose key cannot be built fails the whole run and no output is
 * written, because a partial file would be submitted with people silently missing from it.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { computeSlk581, Slk581Error, type Slk581Field } from '../lib/slk581.js';
import { parseFileCommandLine, resolveOptions, UsageError, type CommandIo } from './command-line.js';

export type { CommandIo } from './command-line.js';

export const SLK_COLUMN = 'victim.linkage.slk581';

export const slkUsage = `Usage: vawg slk <input.csv> [options]

Adds a ${SLK_COLUMN} column built from each row's names, date of birth and sex, and
removes the name and date-of-birth columns. Runs entirely offline.

Options:
  -o, --out <file>                Write here instead of standard output (only on success)
      --family-name-column <name> Family name column (default: familyName)
      --given-name-column <name>  Given name column (default: givenName)
      --birth-date-column <name>  Date of birth column, YYYY-MM-DD or DD/MM/YYYY (default: birthDate)
      --sex-column <name>         Sex column, kept in the output; 9 (not stated) when absent
                                  (default: victim.sex)
  -h, --help                      Show this help

Rows are numbered as in a spreadsheet: the header is row 1.
Exit codes: 0 written, 1 a row or the file could not be processed, 2 usage error.
`;

// Error listings stop here: a systematic problem (a wrong date format) would otherwise print one line per row.
const MAX_REPORTED_ROWS = 20;

interface SlkOptions {
  inputPath: string;
  outPath: string | undefined;
  columns: Record<Slk581Field, string>;
}

function parseSlkArgs(args: string[]): SlkOptions | 'help' {
  const parsed = parseFileCommandLine(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        'family-name-column': { type: 'string', default: 'familyName' },
        'given-name-column': { type: 'string', default: 'givenName' },
        'birth-date-column': { type: 'string', default: 'birthDate' },
        'sex-column': { type: 'string', default: 'victim.sex' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (parsed === 'help') return 'help';
  const { values, file: inputPath } = parsed;
  const columns = {
    familyName: values['family-name-column'],
    givenName: values['given-name-column'],
    birthDate: values['birth-date-column'],
    sex: values['sex-column'],
  };
  if (new Set(Object.values(columns)).size !== 4) throw new UsageError('the family name, given name, date of birth and sex columns must all differ');
  if (values.out !== undefined && path.resolve(values.out) === path.resolve(inputPath)) {
    throw new UsageError('--out must not be the input file: the names would be lost if the run went wrong');
  }
  return { inputPath, outPath: values.out, columns };
}

interface ColumnPlan {
  outputHeader: string[];
  /** For each output column, the input column it comes from; -1 is the SLK. */
  sources: number[];
  indices: { familyName: number; givenName: number; birthDate: number; sex: number };
}

function planColumns(header: string[], columns: Record<Slk581Field, string>): ColumnPlan {
  const names = header.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`row 1: column ${name} appears more than once`);
    seen.add(name);
  }
  const indexOf = (field: Slk581Field): number => {
    const index = names.indexOf(columns[field]);
    if (index === -1 && field !== 'sex') throw new Error(`row 1: column ${columns[field]} not found (set it with --${kebabOptions[field]})`);
    return index;
  };
  const indices = { familyName: indexOf('familyName'), givenName: indexOf('givenName'), birthDate: indexOf('birthDate'), sex: indexOf('sex') };
  const removed = new Set([indices.familyName, indices.givenName, indices.birthDate]);
  const outputHeader: string[] = [];
  const sources: number[] = [];
  names.forEach((name, index) => {
    if (removed.has(index)) return;
    outputHeader.push(header[index]!);
    sources.push(name === SLK_COLUMN ? -1 : index);
  });
  if (!names.includes(SLK_COLUMN)) {
    outputHeader.push(SLK_COLUMN);
    sources.push(-1);
  }
  return { outputHeader, sources, indices };
}

const kebabOptions: Record<Slk581Field, string> = {
  familyName: 'family-name-column',
  givenName: 'given-name-column',
  birthDate: 'birth-date-column',
  sex: 'sex-column',
};

function describeSystemError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

/** Parse errors from csv-parse can quote the offending field; report the line and kind only. */
function describeInputError(error: unknown): string {
  if (error instanceof CsvError) {
    const line = typeof error.lines === 'number' ? ` near line ${error.lines}` : '';
    return `the input is not valid CSV${line} (${error.code})`;
  }
  if (error instanceof Error && 'syscall' in error) return `cannot read the input file (${describeSystemError(error)})`;
  return error instanceof Error ? error.message : String(error);
}

/** Holds standard-output data until the run succeeds, so a failed run prints nothing but errors. */
class BufferSink extends Writable {
  readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    callback();
  }
}

export async function runSlkCommand(args: string[], io: CommandIo): Promise<number> {
  const options = await resolveOptions('slk', slkUsage, io, () => parseSlkArgs(args));
  if (typeof options === 'number') return options;
  const { inputPath, outPath, columns } = options;

  // Beside the destination, so the final rename stays on one file system and is atomic.
  const tempPath = outPath === undefined ? undefined : path.join(path.dirname(outPath), `.${path.basename(outPath)}.${randomUUID()}.tmp`);
  const sink = tempPath === undefined ? new BufferSink() : createWriteStream(tempPath, { flags: 'wx' });
  if (!(sink instanceof BufferSink)) {
    try {
      await once(sink, 'open');
    } catch (error) {
      io.stderr.write(`vawg slk: cannot write the output (${describeSystemError(error)})\n`);
      return 1;
    }
  }
  const stringifier = stringify();
  const written = pipeline(stringifier, sink);
  const outputFailure = written.then(
    () => undefined,
    (error: unknown) => error ?? new Error('output failed'),
  );

  const rowErrors: string[] = [];
  let failedRows = 0;
  let fatal: string | undefined;
  let plan: ColumnPlan | undefined;

  const input = createReadStream(inputPath);
  // Mixed line endings are common in files edited by more than one tool; auto-detection takes the first one only.
  const parser = parse({ bom: true, skip_empty_lines: true, info: true, record_delimiter: ['\r\n', '\n', '\r'] });
  input.on('error', (error) => parser.destroy(error));
  try {
    for await (const { record, info } of input.pipe(parser) as AsyncIterable<{ record: string[]; info: { records: number; empty_lines: number } }>) {
      // Blank lines are skipped but still count, so the number is the row a spreadsheet shows.
      const rowNumber = info.records + info.empty_lines;
      if (!plan) {
        plan = planColumns(record, columns);
        stringifier.write(plan.outputHeader);
        continue;
      }
      const { indices, sources } = plan;
      let slk: string;
      try {
        slk = computeSlk581({
          familyName: record[indices.familyName],
          givenName: record[indices.givenName],
          birthDate: record[indices.birthDate],
          sex: indices.sex === -1 ? undefined : record[indices.sex],
        });
      } catch (error) {
        if (!(error instanceof Slk581Error)) throw error;
        failedRows += 1;
        if (rowErrors.length < MAX_REPORTED_ROWS) rowErrors.push(`row ${rowNumber}, column ${columns[error.field]}: ${error.reason}`);
        continue;
      }
      // Once a row has failed nothing will be written, but later rows are still checked so every problem is reported in one run.
      if (failedRows > 0) continue;
      const row = sources.map((source) => (source === -1 ? slk : (record[source] ?? '')));
      if (!stringifier.write(row)) {
        // Raced against the pipeline because a failed sink never drains.
        const outputError = await Promise.race([once(stringifier, 'drain').then(() => undefined), outputFailure]);
        if (outputError !== undefined) {
          fatal = `cannot write the output (${describeSystemError(outputError)})`;
          break;
        }
      }
    }
    if (!plan && fatal === undefined) fatal = 'the input is empty; expected a header row';
  } catch (error) {
    fatal = describeInputError(error);
  } finally {
    // pipe() does not close the file when the parser stops early.
    input.destroy();
  }

  if (fatal !== undefined || failedRows > 0) {
    stringifier.destroy();
    await written.catch(() => undefined);
    if (tempPath !== undefined) await rm(tempPath, { force: true });
    if (fatal !== undefined) io.stderr.write(`vawg slk: ${fatal}\n`);
    for (const message of rowErrors) io.stderr.write(`vawg slk: ${message}\n`);
    if (failedRows > rowErrors.length) io.stderr.write(`vawg slk: … and ${failedRows - rowErrors.length} more rows\n`);
    if (failedRows > 0) io.stderr.write(`vawg slk: ${failedRows} row(s) could not be given an SLK-581; no output was written\n`);
    return 1;
  }

  stringifier.end();
  try {
    await written;
    if (tempPath !== undefined && outPath !== undefined) await rename(tempPath, outPath);
  } catch (error) {
    if (tempPath !== undefined) await rm(tempPath, { force: true });
    io.stderr.write(`vawg slk: cannot write the output (${describeSystemError(error)})\n`);
    return 1;
  }
  if (sink instanceof BufferSink) io.stdout.write(Buffer.concat(sink.chunks));
  return 0;
}
