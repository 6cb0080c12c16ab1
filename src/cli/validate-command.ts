/**
 * `vawg validate`: checks a return file on the provider's own machine, offline, with the server's
 * own modules, so a file that passes here passes there (bar what needs the server's database:
 * registered services and locked periods, which the report names).
 *
 * A CSV file is read as a stream, one row at a time, through the same reader, checker and problem
 * list the server uses, so a 100,000-row file is checked in bounded memory. A JSON return is one
 * document and is parsed whole, as the server does.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { parseQuarter, QUARTER_PATTERN } from '../lib/periods.js';
import { presentProblems, type FieldProblem } from '../lib/problem.js';
import { describeCrosswalkUse, locateInCsv, readCsvRecords, type CsvRecord } from '../services/returns/csv-records.js';
import { createUpdateChecker, versionHasUpdates } from '../services/returns/record-updates.js';
import { createRecordChecker, declaredDatasetVersion, validateReturn } from '../services/returns/validate-return.js';
import { DATASET_VERSION, DATASET_VERSIONS, datasetVersionDefinition } from '../schema/dataset/index.js';
import { formatReport, plural, ProblemTally, type ProblemReport, type ReturnFormat } from './report.js';
import { parseFileCommandLine, resolveOptions, UsageError, type CommandIo } from './command-line.js';
import { checkKind, detectFileKind, validateCountCsvFile, validateCountJsonFile, type FileKind } from './count-files.js';

export const validateUsage = `Usage: vawg validate <file.csv|file.json> [options]

Checks a quarterly return offline, with exactly the rules the server applies, and prints every
problem by row and column (\`row 13, column victim.ethnicity: must be one of: …\`). Nothing is sent
anywhere. CSV files are read as a stream, so files of any size are checked in bounded memory.

Options:
      --period <quarter>   The quarter the return is for, e.g. 2022-23-Q1. CSV only (a JSON return
                           names its own); without it, referral dates are not checked against the
                           quarter.
      --service <id>       The service the return is for (checked for form only; CSV only)
      --dataset-version <v>
                           The dataset version the file follows, e.g. 1.0.0 (CSV only: a JSON
                           return names its own datasetVersion). Default: the current one.
      --format <csv|json>  The file's format when its name does not end in .csv or .json
      --kind <records|counts>
                           Whether the file is a record return or a count return (totals by
                           measure and area). Default: told from the file (a JSON \`counts\` array,
                           or a CSV header with measure and value columns)
      --json               Print the report as JSON instead
  -h, --help               Show this help

Not checked offline (run \`vawg submit --dry-run\` for these): that the service and any service
named in onwardReferrals are registered, that your key may submit for the service, and that the
period is not locked.

Rows are numbered as in a spreadsheet: the header is row 1.
Exit codes: 0 valid, 1 invalid (or the file cannot be read), 2 usage error.
`;

const SERVICE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function checkPeriod(period: string | undefined): void {
  if (period !== undefined && (!new RegExp(QUARTER_PATTERN).test(period) || !parseQuarter(period)))
    throw new UsageError(`--period ${JSON.stringify(period)} is not a UK financial quarter such as 2022-23-Q1`);
}

/** A dataset version this build knows, or a usage error naming them. */
export function checkDatasetVersion(version: string | undefined): void {
  if (version !== undefined && !DATASET_VERSIONS.includes(version))
    throw new UsageError(`--dataset-version must be one of ${DATASET_VERSIONS.join(', ')}, not ${JSON.stringify(version)}`);
}

export function checkService(service: string | undefined): void {
  if (service !== undefined && !(SERVICE_ID.test(service) && service.length >= 2 && service.length <= 64))
    throw new UsageError(`--service ${JSON.stringify(service)} is not a service id (lower-case letters, digits and hyphens, e.g. col-vva)`);
}

/** The format from `--format` or the file name. */
export function formatOf(file: string, format: string | undefined): ReturnFormat {
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, not ${JSON.stringify(format)}`);
    return format;
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  throw new UsageError(`cannot tell the format of ${JSON.stringify(file)} from its name; give --format csv or --format json`);
}

export function describeSystemError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

/** A readable, regular file, or an error message. */
export async function checkReadable(file: string): Promise<{ size: number } | { error: string }> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { error: `${file} is not a file` };
    return { size: info.size };
  } catch (error) {
    return { error: `cannot read ${file} (${describeSystemError(error)})` };
  }
}

interface ValidateOptions {
  file: string;
  format: ReturnFormat;
  period: string | undefined;
  service: string | undefined;
  datasetVersion: string | undefined;
  kind: FileKind | undefined;
  json: boolean;
}

function parseValidateArgs(args: string[]): ValidateOptions | 'help' {
  const parsed = parseFileCommandLine(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        period: { type: 'string' },
        service: { type: 'string' },
        'dataset-version': { type: 'string' },
        format: { type: 'string' },
        kind: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (parsed === 'help') return 'help';
  const { values, file } = parsed;
  const kind = checkKind(values.kind);
  checkPeriod(values.period);
  checkService(values.service);
  checkDatasetVersion(values['dataset-version']);
  const format = formatOf(file, values.format);
  if (format === 'json' && values['dataset-version'] !== undefined)
    throw new UsageError('--dataset-version is for CSV returns; a JSON return names its datasetVersion in the file');
  return {
    file,
    format,
    period: values.period,
    service: values.service,
    datasetVersion: values['dataset-version'],
    kind,
    json: values.json,
  };
}

/** Offline, the file is the provider's own and the report goes to their own terminal: what was sent is shown, as the server shows it in an answer it does not keep. */
const ECHO_OFFLINE = true;

const NOT_CHECKED_OFFLINE =
  'not checked offline: that the service is registered and your key may submit for it, that the period is not locked, and that the referrals updates name exist in their quarters (vawg submit --dry-run checks these)';

function onwardServicesNote(count: number): string {
  return `not checked offline: ${plural(count, 'onward referral names a service', 'onward referrals name a service')} (onwardReferrals.N.service); the server rejects services that are not registered`;
}

function countOnwardServices(record: unknown): number {
  const onward = typeof record === 'object' && record !== null ? (record as { onwardReferrals?: unknown }).onwardReferrals : undefined;
  return Array.isArray(onward) ? onward.filter((o: { service?: unknown } | null) => typeof o?.service === 'string').length : 0;
}

/**
 * Reads the records of a CSV file. The CSV reader pipes its input, which does not pass read
 * errors on, so a read error ends the input early and is thrown once the reader has stopped.
 */
async function* csvRecordsOf(file: string, datasetVersion: string): AsyncGenerator<CsvRecord> {
  const input = createReadStream(file);
  const body = new PassThrough();
  let readError: Error | undefined;
  input.on('error', (error) => {
    readError = error;
    body.end();
  });
  input.pipe(body);
  try {
    for await (const record of readCsvRecords(body, datasetVersionDefinition(datasetVersion)!.fields)) {
      if (readError) break;
      yield record;
    }
  } finally {
    input.destroy();
  }
  if (readError) throw readError;
}

/** Checks a CSV return exactly as `POST /v1/returns` with `Content-Type: text/csv` does. */
export async function validateCsvFile(file: string, period: string | undefined, datasetVersion: string = DATASET_VERSION): Promise<ProblemReport> {
  const tally = new ProblemTally();
  const checker = createRecordChecker(period ?? '', locateInCsv, datasetVersion);
  let recordCount: number | null = 0;
  let crosswalked = 0;
  let onwardServices = 0;
  try {
    for await (const { row, record, problems, crosswalked: mapped } of csvRecordsOf(file, datasetVersion)) {
      // As the server does: a cell that could not be converted is reported once, by the converter.
      const convertedAt = new Set(problems.map((p) => p.pointer));
      tally.add(presentProblems([...problems, ...checker.check(record, row).filter((p) => !convertedAt.has(p.pointer))], ECHO_OFFLINE));
      crosswalked += mapped;
      onwardServices += countOnwardServices(record);
      recordCount++;
    }
    tally.add(checker.finish());
  } catch (error) {
    recordCount = null;
    addCsvReadError(tally, error);
  }
  const warnings = tally.count === 0 ? checker.warnings() : [];
  if (crosswalked > 0) warnings.push(describeCrosswalkUse(crosswalked, locateInCsv));
  const notes: string[] = [];
  if (period === undefined) notes.push('no --period given: referral dates were not checked against the quarter (the server rejects dates outside it)');
  if (onwardServices > 0) notes.push(onwardServicesNote(onwardServices));
  notes.push(NOT_CHECKED_OFFLINE);
  return tally.report({ format: 'csv', recordCount, warnings, notes });
}

/** A CSV file the reader refused (malformed CSV, a read error) as the tally's problem; any other error is thrown on. */
export function addCsvReadError(tally: ProblemTally, error: unknown): void {
  const { statusCode, errors, message } = error as { statusCode?: number; errors?: FieldProblem[]; message?: string };
  if (statusCode === undefined && !(error instanceof Error && 'syscall' in error)) throw error;
  if (errors && errors.length > 0) tally.add(errors);
  else
    tally.add([
      { code: statusCode === 400 ? 'invalid_csv' : 'unreadable', detail: (message ?? describeSystemError(error)).replace(/^the body\b/, 'the file') },
    ]);
}

/** A JSON file's document, or (`readable: false`) the problem of reading or parsing it added to `tally`. */
export async function readJsonFile(file: string, tally: ProblemTally): Promise<{ body: unknown; readable: boolean }> {
  try {
    return { body: JSON.parse(await readFile(file, 'utf8')), readable: true };
  } catch (error) {
    tally.add([
      {
        code: 'invalid_json',
        detail: error instanceof SyntaxError ? `the file is not valid JSON: ${error.message}` : `cannot read the file (${describeSystemError(error)})`,
      },
    ]);
    return { body: undefined, readable: false };
  }
}

/** Checks a JSON return (`{ service, period, records }`) exactly as `POST /v1/returns` does. */
export async function validateJsonFile(file: string, flags: { period?: string | undefined; service?: string | undefined } = {}): Promise<ProblemReport> {
  const tally = new ProblemTally();
  const { body, readable } = await readJsonFile(file, tally);
  if (!readable) return tally.report({ format: 'json', recordCount: null });
  const result = validateReturn(body);
  tally.add(presentProblems(result.problems, ECHO_OFFLINE));
  const updates = typeof body === 'object' && body !== null ? (body as { updates?: unknown }).updates : undefined;
  const version = declaredDatasetVersion((body as { datasetVersion?: unknown } | null)?.datasetVersion);
  const period = (body as { period?: unknown } | null)?.period;
  // An update's own rules hold offline; whether its referral exists needs the server (NOT_CHECKED_OFFLINE).
  if (Array.isArray(updates) && version !== undefined && versionHasUpdates(version) && typeof period === 'string') {
    const checker = createUpdateChecker({ period, datasetVersion: version, locate: (at, pointer) => `/updates/${at}${pointer}` });
    updates.forEach((update, i) => tally.add(presentProblems(checker.check(update, i), ECHO_OFFLINE)));
  }
  if (result.problemCount > result.problems.length) {
    tally.list.count = result.problemCount;
    tally.rowsExact = false;
  }
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as { service?: unknown; period?: unknown; records?: unknown };
  const records = Array.isArray(envelope.records) ? (envelope.records as unknown[]) : null;
  const notes: string[] = [];
  for (const field of ['service', 'period'] as const) {
    const flag = flags[field];
    if (flag !== undefined && typeof envelope[field] === 'string' && flag !== envelope[field])
      notes.push(`--${field} ${flag} differs from the file's ${field} ${String(envelope[field])}; a JSON return is submitted with its own`);
  }
  const onwardServices = records ? records.reduce<number>((n, record) => n + countOnwardServices(record), 0) : 0;
  if (onwardServices > 0) notes.push(onwardServicesNote(onwardServices));
  notes.push(NOT_CHECKED_OFFLINE);
  return tally.report({ format: 'json', recordCount: records ? records.length : null, warnings: result.warnings, notes });
}

export async function runValidateCommand(args: string[], io: CommandIo): Promise<number> {
  const options = await resolveOptions('validate', validateUsage, io, () => parseValidateArgs(args));
  if (typeof options === 'number') return options;
  const { file, format, period, service, datasetVersion } = options;
  const readable = await checkReadable(file);
  if ('error' in readable) {
    io.stderr.write(`vawg validate: ${readable.error}\n`);
    return 1;
  }
  if ((options.kind ?? (await detectFileKind(file, format))) === 'counts') {
    const counts = format === 'csv' ? await validateCountCsvFile(file, { service, period }) : await validateCountJsonFile(file);
    if (options.json)
      io.stdout.write(`${JSON.stringify({ file, kind: 'counts', service: service ?? null, period: period ?? null, ...counts.report }, null, 2)}\n`);
    else io.stdout.write(formatReport(counts.report, { verdict: counts.verdict }));
    return counts.report.valid ? 0 : 1;
  }
  const report = format === 'csv' ? await validateCsvFile(file, period, datasetVersion) : await validateJsonFile(file, { period, service });
  if (options.json) io.stdout.write(`${JSON.stringify({ file, service: service ?? null, period: period ?? null, ...report }, null, 2)}\n`);
  else io.stdout.write(formatReport(report));
  return report.valid ? 0 : 1;
}
