/**
 * The one validator for quarterly returns, whatever format they arrive in: the record JSON Schema
 * (compiled once, all errors collected, nothing coerced or dropped) and then the rules across fields
 * and records that a schema cannot state. Every problem is listed.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { codeLists, personAnswerCodes } from '../../schema/dataset/code-lists.js';
import { acceptedCodes, recordFields, victimFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import { DATASET_VERSION, DATASET_VERSIONS, datasetVersionDefinition } from '../../schema/dataset/index.js';
import { isDateInQuarter, parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import { excerptOf, MAX_PROBLEMS, problemsFromAjv, type FieldProblem } from '../../lib/problem.js';
import type { RecordInput } from './record-rows.js';
import { UPDATES_SINCE } from '../../schema/dataset/update-schema.js';
import { compareVersions } from '../../schema/dataset/versions.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export { MAX_PROBLEMS };

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();

/** The record validator of a dataset version, compiled from the very document `GET /v1/dataset/{version}/record.schema.json` serves. */
function recordValidator(version: string): ValidateFunction {
  let validate = validators.get(version);
  if (!validate) {
    validate = ajv.compile(datasetVersionDefinition(version)!.recordJsonSchema);
    validators.set(version, validate);
  }
  return validate;
}

/** The dataset version a return declares, if it is one this server has; the latest when it declares none. */
export function declaredDatasetVersion(declared: unknown): string | undefined {
  if (declared === undefined) return DATASET_VERSION;
  return typeof declared === 'string' && DATASET_VERSIONS.includes(declared) ? declared : undefined;
}

/** The problem with a declared dataset version this server does not have; never quoting what was sent. */
export function unknownDatasetVersionProblem(declared: unknown): Omit<FieldProblem, 'pointer' | 'parameter'> {
  return {
    code: typeof declared === 'string' ? 'not_in_code_list' : 'wrong_type',
    detail: `must be one of the dataset versions ${DATASET_VERSIONS.join(', ')} (GET /v1/dataset/versions); omit it for the current one, ${DATASET_VERSION}`,
  };
}

export interface ReturnEnvelope {
  service: string;
  period: string;
  datasetVersion?: string;
  records: RecordInput[];
}

export interface ValidationReport {
  problems: FieldProblem[];
  /** Problems beyond MAX_PROBLEMS are counted, not listed. */
  problemCount: number;
  warnings: FieldProblem[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the envelope (`service`, `period`, `records`, optional `datasetVersion` and, from 1.1.0, `updates`) of a JSON return. */
export function validateEnvelope(body: unknown): FieldProblem[] {
  if (!isObject(body)) return [{ pointer: '/', code: 'wrong_type', detail: 'the body must be an object with service, period and records' }];
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(body)) {
    if (!['service', 'period', 'records', 'datasetVersion', 'updates'].includes(key))
      problems.push({ pointer: `/${key}`, code: 'unknown_field', detail: 'is not a field of a return (service, period, records, datasetVersion, updates)' });
  }
  // Updates came with dataset 1.1.0: an earlier version's return refuses them as it refuses a later field.
  const version = declaredDatasetVersion(body.datasetVersion);
  if (body.updates !== undefined && version !== undefined && compareVersions(version, UPDATES_SINCE) < 0)
    problems.push({ pointer: '/updates', code: 'unknown_field', detail: addedLaterText(UPDATES_SINCE) });
  else if (body.updates !== undefined && !Array.isArray(body.updates))
    problems.push({ pointer: '/updates', code: 'wrong_type', detail: 'must be an array of updates' });
  if (declaredDatasetVersion(body.datasetVersion) === undefined)
    problems.push({ pointer: '/datasetVersion', ...unknownDatasetVersionProblem(body.datasetVersion) });
  if (typeof body.service !== 'string')
    problems.push({
      pointer: '/service',
      code: body.service === undefined ? 'required' : 'wrong_type',
      detail: 'the service id (a slug such as col-vva) is required',
    });
  if (typeof body.period !== 'string' || !new RegExp(QUARTER_PATTERN).test(body.period) || !parseQuarter(body.period)) {
    problems.push({
      pointer: '/period',
      code: body.period === undefined ? 'required' : 'invalid_format',
      detail: 'must be a UK financial quarter such as 2022-23-Q1',
    });
  }
  if (!Array.isArray(body.records))
    problems.push({ pointer: '/records', code: body.records === undefined ? 'required' : 'wrong_type', detail: 'must be an array of records' });
  return problems;
}

/**
 * Where a problem is, in the format the return arrived in: `at` is a record's position (its index
 * in a JSON return, its row in a CSV file) or `*` for every record; `pointer` is a JSON pointer
 * inside the record (`/victim/ethnicity`).
 */
export type Locate = (at: number | '*', pointer: string) => string;

export const locateInJson: Locate = (at, pointer) => `/records/${at}${pointer}`;

/** A conditional field given where it is not allowed: say which value of which field allows it. */
function explainConditional(problem: FieldProblem, recordTree: readonly FieldDefinition[]): FieldProblem {
  const rule = problem.code === 'not_allowed' ? recordTree.find((f) => f.requiredWhen && `/${f.name}` === problem.pointer)?.requiredWhen : undefined;
  return rule ? { ...problem, detail: `must be absent unless ${rule.field} is ${rule.equals}` } : problem;
}

/** Why a field a later dataset version added is refused in a return declaring an earlier one. */
export function addedLaterText(since: string): string {
  return `is a field of dataset version ${since} and later, not of the version this return declares; declare datasetVersion ${since} or later to send it (GET /v1/dataset/versions)`;
}

/** An unknown field that a later version has: say so, rather than that it is unknown. */
function explainAddedLater(problem: FieldProblem, recordTree: readonly FieldDefinition[]): FieldProblem {
  if (problem.code !== 'unknown_field' || recordTree === recordFields) return problem;
  const since = fieldAtPointer(problem.pointer ?? '', recordFields)?.field.since;
  return since ? { ...problem, detail: addedLaterText(since) } : problem;
}

/**
 * The field a pointer inside a record names (`/perpetrators/0/sex`, `/vawgTypes/1`), and whether it
 * is inside the linkage keys; in the latest version's tree unless given another version's.
 */
export function fieldAtPointer(
  pointer: string,
  recordTree: readonly FieldDefinition[] = recordFields,
): { field: FieldDefinition; linkage: boolean } | undefined {
  const parts = pointer.split('/').slice(1);
  let fields: readonly FieldDefinition[] = recordTree;
  let found: FieldDefinition | undefined;
  let linkage = false;
  for (let i = 0; i < parts.length; i++) {
    found = fields.find((f) => f.name === parts[i]);
    if (!found) return undefined;
    linkage ||= found.linkageKey === true || (found.fields ?? []).some((f) => f.linkageKey);
    // A list's item (`/vawgTypes/1`, `/perpetrators/0`) is the list's field.
    if ((found.type === 'codes' || found.type === 'objects') && i + 1 < parts.length && /^\d+$/.test(parts[i + 1]!)) i++;
    fields = found.fields ?? [];
  }
  return found ? { field: found, linkage } : undefined;
}

function valueAtPointer(record: unknown, pointer: string): unknown {
  let node: unknown = record;
  for (const part of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/**
 * Fields whose values may be shown back to the sender: codes, dates, numbers and yes/no answers.
 * Free-text fields (the referral id, a service id) and anything under the linkage keys never are:
 * they may hold an identifier, and issue 11's rule is that nothing of such a value leaves in a problem.
 */
const ECHOED_TYPES: ReadonlySet<FieldDefinition['type']> = new Set(['code', 'codes', 'date', 'integer', 'boolean']);

function mayEcho(target: { field: FieldDefinition; linkage: boolean } | undefined): boolean {
  return target !== undefined && !target.linkage && !target.field.linkageKey && ECHOED_TYPES.has(target.field.type);
}

const DATE_FORM = 'a date as YYYY-MM-DD, e.g. 2023-05-31';

function isoDate(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** What a date in another form reads as: `31/05/2023` → 2023-05-31 (day first, as in the UK), `2023/05/31` → 2023-05-31. */
function readDate(text: string): { iso: string; order: string } | undefined {
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text.trim());
  if (dayFirst) {
    const [a, b, year] = [Number(dayFirst[1]), Number(dayFirst[2]), Number(dayFirst[3])];
    const asDayMonth = isoDate(year, b, a);
    if (asDayMonth) return { iso: asDayMonth, order: 'day/month/year' };
    const asMonthDay = isoDate(year, a, b);
    return asMonthDay ? { iso: asMonthDay, order: 'month/day/year' } : undefined;
  }
  const yearFirst = /^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$/.exec(text.trim()) ?? /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(text.trim());
  if (yearFirst) {
    const iso = isoDate(Number(yearFirst[1]), Number(yearFirst[2]), Number(yearFirst[3]));
    return iso && iso !== text ? { iso, order: 'year/month/day' } : undefined;
  }
  return undefined;
}

/** Lower case, letters and digits only: `White British`, `white-british` and `white_british` read the same. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const codeReadings = new Map<FieldDefinition, Map<string, string>>();

/** The code a value reads as, for a value that is a code's label or its code spelt another way (`White British`, `HIGH`). */
function codeMeant(field: FieldDefinition, value: string): string | undefined {
  let readings = codeReadings.get(field);
  if (!readings) {
    readings = new Map();
    const codes = [...(field.codeList?.codes ?? []), ...(field.personAnswers ? personAnswerCodes : [])];
    const accepted = new Set(acceptedCodes(field));
    for (const { code, label } of codes) {
      if (!accepted.has(code)) continue;
      for (const reading of [normalise(code), normalise(label)]) {
        // A reading two codes share names neither.
        if (reading === '') continue;
        readings.set(reading, readings.has(reading) && readings.get(reading) !== code ? '' : code);
      }
    }
    codeReadings.set(field, readings);
  }
  const code = readings.get(normalise(value));
  return code ? code : undefined;
}

function rangeOf(field: FieldDefinition): string {
  if (field.minimum !== undefined && field.maximum !== undefined) return ` from ${field.minimum} to ${field.maximum}`;
  if (field.minimum !== undefined) return ` of at least ${field.minimum}`;
  return field.maximum !== undefined ? ` of at most ${field.maximum}` : '';
}

/** What a field takes, in words, for a value of the wrong type. */
function expectedForm(field: FieldDefinition): string | undefined {
  const orNull = field.nullable ? ', or null when not known' : '';
  switch (field.type) {
    case 'date':
      return `must be ${DATE_FORM}${orNull}`;
    case 'integer':
      return `must be a whole number${rangeOf(field)}${orNull}`;
    case 'boolean':
      return `must be true or false${orNull}`;
    case 'code':
      return `must be one of the codes of its list as text${orNull} (GET /v1/dataset/code-lists lists them)`;
    case 'codes':
      return 'must be a list of codes, e.g. ["domestic_abuse"] (an empty list when none apply)';
    default:
      return undefined;
  }
}

/**
 * Says what a field takes in words a provider can act on (`a date as YYYY-MM-DD` rather than
 * `must match format "date"`), which code a label was meant to be, and, for fields whose values may
 * be shown, what was sent (`valueEcho`, kept out of anything stored or logged).
 */
function explainValue(problem: FieldProblem, record: unknown, recordTree: readonly FieldDefinition[]): FieldProblem {
  const pointer = problem.pointer ?? '';
  const target = fieldAtPointer(pointer, recordTree);
  if (!target) return problem;
  const { field } = target;
  const value = valueAtPointer(record, pointer);
  let { detail } = problem;
  let reading: string | undefined;
  if (problem.code === 'invalid_format' && field.type === 'date') {
    detail = `must be ${DATE_FORM}`;
    const read = typeof value === 'string' ? readDate(value) : undefined;
    if (read) reading = `as ${read.order} that is ${read.iso}`;
  } else if (problem.code === 'not_in_code_list' && typeof value === 'string') {
    const meant = codeMeant(field, value);
    if (meant) detail = `did you mean ${meant}? Give the code, not its label or another spelling (${detail})`;
  } else if (problem.code === 'wrong_type') {
    const form = expectedForm(field);
    if (form)
      detail =
        typeof value === 'string' && (field.type === 'integer' || field.type === 'boolean')
          ? `${form} (a JSON ${field.type === 'integer' ? 'number' : 'true or false'}, not text)`
          : form;
  } else if (problem.code === 'invalid_format' && field.linkageKey) {
    // Never the pattern's regular expression (nor, ever, the value): what an SLK-581 is.
    detail =
      'must be an SLK-581: 14 characters, upper case: letters 2, 3 and 5 of the family name, 2 and 3 of the given name, the date of birth DDMMYYYY and a sex code (1, 2, 3 or 9)';
  } else if (problem.code === 'invalid_format' && field.type === 'string' && field.patternText) {
    detail = field.patternText;
  } else if (problem.code === 'invalid_format' && field.type === 'string' && field.pattern) {
    detail =
      field.name === 'referralId'
        ? 'may hold only letters, digits and . _ : / -, starting with a letter or digit'
        : 'must be a service id: lower-case letters, digits and hyphens, such as col-vva';
  } else if (problem.code === 'out_of_range' && field.type === 'integer') {
    detail = `must be a whole number${rangeOf(field)}`;
  }
  const excerpt = mayEcho(target) ? excerptOf(value) : undefined;
  return { ...problem, detail, ...(excerpt ? { valueEcho: `you sent ${excerpt}${reading ? `; ${reading}` : ''}` } : {}) };
}

/** The financial quarter a date (YYYY-MM-DD) falls in: 2023-05-31 → 2023-24-Q1. */
export function quarterOfDate(date: string): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const startYear = month >= 4 ? year : year - 1;
  const quarter = month >= 4 ? Math.floor((month - 4) / 3) + 1 : 4;
  return `${startYear}-${String((startYear + 1) % 100).padStart(2, '0')}-Q${quarter}`;
}

/**
 * Checks records one at a time, so a return of any size is validated in one pass without being
 * held in memory: the record schema, the rules across fields of one record, the rules across
 * records (unique referralId), and the counts behind the data-quality warnings.
 */
export interface RecordChecker {
  /** Every problem with this record, located with `locate`. */
  check(record: unknown, at: number): FieldProblem[];
  /**
   * Problems of the return as a whole, once every record has been checked: every referral date of
   * two or more records outside the period says the period is probably wrong.
   */
  finish(): FieldProblem[];
  /** Data-quality warnings over the records checked so far. */
  warnings(): FieldProblem[];
}

/** The echo of a date the checker names (the field types are fixed here: referralDate, closure.closedDate and onwardReferrals[].date are dates). */
function echoOf(value: string, say: (excerpt: string) => string): Pick<FieldProblem, 'valueEcho'> {
  const excerpt = excerptOf(value);
  return excerpt ? { valueEcho: say(excerpt) } : {};
}

/**
 * What the checks across records need of one record, small enough to send from a worker thread:
 * its referralId, its referral date when outside the period, and the answers behind the warnings.
 */
export interface RecordDigest {
  referralId?: string;
  /** The referral date, when it is a date outside the return's period. */
  outsideDate?: string;
  /** Bit k set: the k-th data-quality field (a person answer) is not known. */
  notKnown: number;
  otherSource: boolean;
}

/** A record's problems on its own: the schema's, then the rules across its fields; the duplicate check goes between them. */
export interface RecordFindings {
  schema: FieldProblem[];
  rules: FieldProblem[];
  /** Null for a record that is not an object (the schema says so). */
  digest: RecordDigest | null;
}

/** The checks of one record that need no other record: stateless, so they run in any thread. */
export type RecordValidator = (record: unknown, at: number) => RecordFindings;

/** The data-quality fields (person answers of the victim) a version's warnings count, in a fixed order. */
function qualityFieldsOf(recordTree: readonly FieldDefinition[]): FieldDefinition[] {
  return (recordTree.find((f) => f.name === 'victim')?.fields ?? victimFields).filter((field) => field.personAnswers);
}

function definitionOf(datasetVersion: string) {
  const definition = datasetVersionDefinition(datasetVersion);
  if (!definition) throw new Error('createRecordChecker: not a dataset version of this server');
  return definition;
}

/** `datasetVersion`: the version the return declared (the latest by default), whose schema and field tree the records are checked against. */
export function createRecordValidator(period: string, locate: Locate, datasetVersion: string = DATASET_VERSION): RecordValidator {
  const validateRecord = recordValidator(datasetVersion);
  const recordTree = definitionOf(datasetVersion).fields;
  const quarter = parseQuarter(period);
  // Only a version with onward referral dates (1.1.0 on) checks them; an earlier one refuses the field itself.
  const checksOnwardDates = fieldAtPointer('/onwardReferrals/0/date', recordTree) !== undefined;
  const unknownCodes = new Set(personAnswerCodes.map((c) => c.code));
  const otherSource = codeLists.referralSource.codes.at(-1)!.code;
  const qualityFields = qualityFieldsOf(recordTree);

  function fieldRules(record: Record<string, unknown>, at: number): FieldProblem[] {
    const problems: FieldProblem[] = [];
    const { referralDate } = record;
    if (quarter && typeof referralDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(referralDate) && !isDateInQuarter(referralDate, quarter)) {
      problems.push({
        pointer: locate(at, '/referralDate'),
        code: 'outside_period',
        detail: `must be inside ${period} (${quarter.start} to ${quarter.end})`,
        ...echoOf(referralDate, (excerpt) => `you sent ${excerpt}, in ${quarterOfDate(referralDate)}`),
      });
    }
    if (checksOnwardDates && Array.isArray(record.onwardReferrals) && typeof referralDate === 'string') {
      record.onwardReferrals.forEach((onward: unknown, j) => {
        // ISO dates compare as text; a malformed date is the schema's problem, not this one.
        if (isObject(onward) && typeof onward.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(onward.date) && onward.date < referralDate)
          problems.push({
            pointer: locate(at, `/onwardReferrals/${j}/date`),
            code: 'before_referral_date',
            detail: 'must be on or after referralDate: an onward referral is made at or after the referral',
            ...echoOf(onward.date, (excerpt) => `you sent ${excerpt}`),
          });
      });
    }
    const refuge = record.refuge;
    if (isObject(refuge) && typeof refuge.departureDate === 'string' && typeof refuge.admissionDate === 'string' && refuge.departureDate < refuge.admissionDate)
      problems.push({
        pointer: locate(at, '/refuge/departureDate'),
        code: 'before_admission_date',
        detail: 'must be on or after refuge.admissionDate',
        ...echoOf(refuge.departureDate, (excerpt) => `you sent ${excerpt}`),
      });
    const closure = record.closure;
    if (isObject(closure) && typeof closure.closedDate === 'string' && typeof referralDate === 'string' && closure.closedDate < referralDate) {
      problems.push({
        pointer: locate(at, '/closure/closedDate'),
        code: 'before_referral_date',
        detail: 'must be on or after referralDate',
        ...echoOf(closure.closedDate, (excerpt) => `you sent ${excerpt}`),
      });
    }
    return problems;
  }

  function digestOf(record: Record<string, unknown>): RecordDigest {
    const { referralId, referralDate } = record;
    const victim = isObject(record.victim) ? record.victim : {};
    let notKnown = 0;
    qualityFields.forEach((field, k) => {
      if (unknownCodes.has(victim[field.name] as string)) notKnown |= 1 << k;
    });
    const outside = quarter && typeof referralDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(referralDate) && !isDateInQuarter(referralDate, quarter);
    return {
      ...(typeof referralId === 'string' ? { referralId } : {}),
      ...(outside ? { outsideDate: referralDate } : {}),
      notKnown,
      otherSource: record.referralSource === otherSource,
    };
  }

  return (record, at) => {
    const schema: FieldProblem[] = [];
    if (!validateRecord(record)) {
      for (const p of problemsFromAjv(validateRecord.errors ?? []))
        schema.push({
          ...explainValue(explainAddedLater(explainConditional(p, recordTree), recordTree), record, recordTree),
          pointer: locate(at, p.pointer === '/' ? '' : p.pointer!),
        });
    }
    if (!isObject(record)) return { schema, rules: [], digest: null };
    return { schema, rules: fieldRules(record, at), digest: digestOf(record) };
  };
}

/**
 * The checks across the records of one return, fed each record's digest in order: a referralId
 * used twice, the period that is probably wrong, and the counts behind the data-quality warnings.
 */
export interface ReturnTally {
  /** The record's problems with the records before it (a referralId already used). */
  add(digest: RecordDigest | null, at: number): FieldProblem[];
  finish: RecordChecker['finish'];
  warnings: RecordChecker['warnings'];
}

export function createReturnTally(period: string, locate: Locate, datasetVersion: string = DATASET_VERSION): ReturnTally {
  const quarter = parseQuarter(period);
  const qualityFields = qualityFieldsOf(definitionOf(datasetVersion).fields);
  const firstUse = new Map<string, number>();
  const unknownCounts = new Array<number>(qualityFields.length).fill(0);
  let otherSourceCount = 0;
  let checked = 0;
  // Referral dates outside the period: how many, and the earliest and latest.
  let outside = 0;
  let earliest: string | undefined;
  let latest: string | undefined;

  return {
    add(digest, at) {
      if (digest === null) return [];
      const problems: FieldProblem[] = [];
      const { referralId, outsideDate } = digest;
      if (referralId !== undefined) {
        const first = firstUse.get(referralId);
        if (first === undefined) firstUse.set(referralId, at);
        else
          problems.push({
            pointer: locate(at, '/referralId'),
            code: 'duplicate',
            // The position of the first use, never the value: problems are stored with idempotent replays and job results.
            detail: `the same referralId is also used at ${locate(first, '/referralId')}; it must be unique within the return`,
          });
      }
      if (outsideDate !== undefined) {
        outside++;
        if (earliest === undefined || outsideDate < earliest) earliest = outsideDate;
        if (latest === undefined || outsideDate > latest) latest = outsideDate;
      }
      checked++;
      for (let k = 0; k < qualityFields.length; k++) if (digest.notKnown & (1 << k)) unknownCounts[k]!++;
      if (digest.otherSource) otherSourceCount++;
      return problems;
    },
    finish() {
      // One record outside its period is already told so; the hint is for a whole return sent under the wrong quarter.
      if (!quarter || checked < 2 || outside < checked) return [];
      const span =
        quarterOfDate(earliest!) === quarterOfDate(latest!)
          ? `all fall in ${quarterOfDate(earliest!)}`
          : `fall from ${quarterOfDate(earliest!)} to ${quarterOfDate(latest!)}`;
      return [
        {
          pointer: locate('*', '/referralDate'),
          code: 'period_probably_wrong',
          detail: `every referralDate is outside ${period}, the period given: the referrals ${span}. Is the period right? A return's period is the quarter its referrals were received in`,
        },
      ];
    },
    warnings() {
      const warnings: FieldProblem[] = [];
      if (checked < 10) return warnings;
      qualityFields.forEach((field, k) => {
        const share = unknownCounts[k]! / checked;
        if (share > 0.25)
          warnings.push({
            pointer: locate('*', `/victim/${field.name}`),
            code: 'mostly_not_known',
            detail: `${Math.round(share * 100)}% of records do not record ${field.label.toLowerCase()}`,
          });
      });
      if (otherSourceCount / checked > 0.1) {
        warnings.push({
          pointer: locate('*', '/referralSource'),
          code: 'other_referral_source',
          detail: `${Math.round((otherSourceCount / checked) * 100)}% of referrals have source 'other'; name the source where one of the codes fits`,
        });
      }
      return warnings;
    },
  };
}

/**
 * The record checks and the tally in one, for a caller that reads records one at a time in one
 * thread (the offline `vawg validate`, a JSON return held in memory).
 */
export function createRecordChecker(period: string, locate: Locate, datasetVersion: string = DATASET_VERSION): RecordChecker {
  const validate = createRecordValidator(period, locate, datasetVersion);
  const tally = createReturnTally(period, locate, datasetVersion);
  return {
    check(record, at) {
      const { schema, rules, digest } = validate(record, at);
      return [...schema, ...tally.add(digest, at), ...rules];
    },
    finish: tally.finish,
    warnings: tally.warnings,
  };
}

/** Keeps the first MAX_PROBLEMS problems and counts the rest. */
export class ProblemList {
  readonly problems: FieldProblem[] = [];
  count = 0;
  add(problems: readonly FieldProblem[]): void {
    this.count += problems.length;
    for (const p of problems) if (this.problems.length < MAX_PROBLEMS) this.problems.push(p);
  }
}

/** Validates a whole JSON return held in memory (the offline `vawg validate` uses this too). */
export function validateReturn(body: unknown): ValidationReport {
  const list = new ProblemList();
  list.add(validateEnvelope(body));
  const records = isObject(body) && Array.isArray(body.records) ? (body.records as unknown[]) : [];
  const version = declaredDatasetVersion(isObject(body) ? body.datasetVersion : undefined) ?? DATASET_VERSION;
  const checker = createRecordChecker(isObject(body) && typeof body.period === 'string' ? body.period : '', locateInJson, version);
  records.forEach((record, i) => list.add(checker.check(record, i)));
  list.add(checker.finish());
  return { problems: list.problems, problemCount: list.count, warnings: list.count === 0 ? checker.warnings() : [] };
}
