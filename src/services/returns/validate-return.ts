/**
 * The one validator for quarterly returns, whatever format they arrive in: the record JSON Schema
 * (compiled once, all errors collected, nothing coerced or dropped) and then the rules across fields
 * and records that a schema cannot state. Every problem is listed.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { codeLists, personAnswerCodes } from '../../schema/dataset/code-lists.js';
import { recordFields, victimFields } from '../../schema/dataset/fields.js';
import { recordJsonSchema } from '../../schema/dataset/index.js';
import { isDateInQuarter, parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import { MAX_PROBLEMS, problemsFromAjv, type FieldProblem } from '../../lib/problem.js';
import type { RecordInput } from './record-rows.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export { MAX_PROBLEMS };

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
addFormats(ajv);
// The very object `GET /v1/dataset/{version}/record.schema.json` serves.
const validateRecord = ajv.compile(recordJsonSchema);

export interface ReturnEnvelope {
  service: string;
  period: string;
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

/** Checks the envelope (`service`, `period`, `records`) of a JSON return. */
export function validateEnvelope(body: unknown): FieldProblem[] {
  if (!isObject(body)) return [{ pointer: '/', code: 'wrong_type', detail: 'the body must be an object with service, period and records' }];
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(body)) {
    if (!['service', 'period', 'records'].includes(key))
      problems.push({ pointer: `/${key}`, code: 'unknown_field', detail: 'is not a field of a return (service, period, records)' });
  }
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

const conditionalFields = new Map(recordFields.filter((f) => f.requiredWhen).map((f) => [`/${f.name}`, f.requiredWhen!]));

/** A conditional field given where it is not allowed: say which value of which field allows it. */
function explainConditional(problem: FieldProblem): FieldProblem {
  const rule = problem.code === 'not_allowed' ? conditionalFields.get(problem.pointer ?? '') : undefined;
  return rule ? { ...problem, detail: `must be absent unless ${rule.field} is ${rule.equals}` } : problem;
}

/**
 * Checks records one at a time, so a return of any size is validated in one pass without being
 * held in memory: the record schema, the rules across fields of one record, the rules across
 * records (unique referralId), and the counts behind the data-quality warnings.
 */
export interface RecordChecker {
  /** Every problem with this record, located with `locate`. */
  check(record: unknown, at: number): FieldProblem[];
  /** Data-quality warnings over the records checked so far. */
  warnings(): FieldProblem[];
}

export function createRecordChecker(period: string, locate: Locate): RecordChecker {
  const quarter = parseQuarter(period);
  const firstUse = new Map<string, number>();
  const unknownCodes = new Set(personAnswerCodes.map((c) => c.code));
  const otherSource = codeLists.referralSource.codes.at(-1)!.code;
  const qualityFields = victimFields.filter((field) => field.personAnswers);
  const unknownCounts = new Array<number>(qualityFields.length).fill(0);
  let otherSourceCount = 0;
  let checked = 0;

  function crossFieldProblems(record: Record<string, unknown>, at: number): FieldProblem[] {
    const problems: FieldProblem[] = [];
    const { referralId, referralDate } = record;
    if (typeof referralId === 'string') {
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
    if (quarter && typeof referralDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(referralDate) && !isDateInQuarter(referralDate, quarter)) {
      problems.push({ pointer: locate(at, '/referralDate'), code: 'outside_period', detail: `must be inside ${period} (${quarter.start} to ${quarter.end})` });
    }
    const closure = record.closure;
    if (isObject(closure) && typeof closure.closedDate === 'string' && typeof referralDate === 'string' && closure.closedDate < referralDate) {
      problems.push({ pointer: locate(at, '/closure/closedDate'), code: 'before_referral_date', detail: 'must be on or after referralDate' });
    }
    return problems;
  }

  function countQuality(record: Record<string, unknown>): void {
    checked++;
    const victim = isObject(record.victim) ? record.victim : {};
    qualityFields.forEach((field, k) => {
      if (unknownCodes.has(victim[field.name] as string)) unknownCounts[k]!++;
    });
    if (record.referralSource === otherSource) otherSourceCount++;
  }

  return {
    check(record, at) {
      const problems: FieldProblem[] = [];
      if (!validateRecord(record)) {
        for (const p of problemsFromAjv(validateRecord.errors ?? []))
          problems.push({ ...explainConditional(p), pointer: locate(at, p.pointer === '/' ? '' : p.pointer!) });
      }
      if (isObject(record)) {
        problems.push(...crossFieldProblems(record, at));
        countQuality(record);
      }
      return problems;
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
  const checker = createRecordChecker(isObject(body) && typeof body.period === 'string' ? body.period : '', locateInJson);
  records.forEach((record, i) => list.add(checker.check(record, i)));
  return { problems: list.problems, problemCount: list.count, warnings: list.count === 0 ? checker.warnings() : [] };
}
