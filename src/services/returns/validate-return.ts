/**
 * The one validator for quarterly returns, whatever format they arrive in: the record JSON Schema
 * (compiled once, all errors collected, nothing coerced or dropped) and then the rules across fields
 * and records that a schema cannot state. Every problem is listed.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildRecordJsonSchema } from '../../schema/dataset/record-schema.js';
import { codeLists, personAnswerCodes } from '../../schema/dataset/code-lists.js';
import { victimFields } from '../../schema/dataset/fields.js';
import { isDateInQuarter, parseQuarter, QUARTER_PATTERN } from '../../lib/periods.js';
import { problemsFromAjv, type FieldProblem } from '../../lib/problem.js';
import type { RecordInput } from './record-rows.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** A return with thousands of broken rows would otherwise answer with megabytes of problems. */
export const MAX_PROBLEMS = 1000;

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
addFormats(ajv);
const validateRecord = ajv.compile(buildRecordJsonSchema());

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

/** Rules across fields of one record and across the records of a return. */
function crossRecordProblems(records: readonly unknown[], period: string): FieldProblem[] {
  const quarter = parseQuarter(period);
  const problems: FieldProblem[] = [];
  const seen = new Map<string, number>();
  records.forEach((record, i) => {
    if (!isObject(record)) return;
    const at = `/records/${i}`;
    const { referralId, referralDate, category } = record;
    if (typeof referralId === 'string') {
      const first = seen.get(referralId);
      if (first === undefined) seen.set(referralId, i);
      else
        problems.push({
          pointer: `${at}/referralId`,
          code: 'duplicate',
          detail: `referralId ${referralId} is also used by /records/${first}; it must be unique within the return`,
        });
    }
    if (quarter && typeof referralDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(referralDate) && !isDateInQuarter(referralDate, quarter)) {
      problems.push({ pointer: `${at}/referralDate`, code: 'outside_period', detail: `must be inside ${period} (${quarter.start} to ${quarter.end})` });
    }
    if (category === 'vawg' && record.nonVawgCrimeType !== undefined) {
      problems.push({ pointer: `${at}/nonVawgCrimeType`, code: 'not_allowed', detail: 'must be absent when category is vawg (use vawgTypes)' });
    }
    if (category === 'non_vawg' && record.vawgTypes !== undefined) {
      problems.push({ pointer: `${at}/vawgTypes`, code: 'not_allowed', detail: 'must be absent when category is non_vawg (use nonVawgCrimeType)' });
    }
    if (category === 'vawg' && Array.isArray(record.vawgTypes) && record.vawgTypes.length === 0) {
      problems.push({ pointer: `${at}/vawgTypes`, code: 'too_few_items', detail: 'must list at least one VAWG type when category is vawg' });
    }
    const closure = record.closure;
    if (isObject(closure) && typeof closure.closedDate === 'string' && typeof referralDate === 'string' && closure.closedDate < referralDate) {
      problems.push({ pointer: `${at}/closure/closedDate`, code: 'before_referral_date', detail: 'must be on or after referralDate' });
    }
  });
  return problems;
}

/** Data-quality warnings: the return is accepted, but the provider is told what weakens it. */
function qualityWarnings(records: readonly RecordInput[]): FieldProblem[] {
  const warnings: FieldProblem[] = [];
  if (records.length < 10) return warnings;
  const unknownCodes = new Set(personAnswerCodes.map((c) => c.code));
  for (const field of victimFields) {
    if (!field.personAnswers) continue;
    const unknown = records.filter((r) => unknownCodes.has((r.victim as Record<string, unknown>)[field.name] as string)).length;
    const share = unknown / records.length;
    if (share > 0.25)
      warnings.push({
        pointer: `/records/*/victim/${field.name}`,
        code: 'mostly_not_known',
        detail: `${Math.round(share * 100)}% of records do not record ${field.label.toLowerCase()}`,
      });
  }
  const other = records.filter((r) => r.referralSource === codeLists.referralSource.codes.at(-1)!.code).length;
  if (other / records.length > 0.1) {
    warnings.push({
      pointer: '/records/*/referralSource',
      code: 'other_referral_source',
      detail: `${Math.round((other / records.length) * 100)}% of referrals have source 'other'; name the source where one of the codes fits`,
    });
  }
  return warnings;
}

export function validateReturn(body: unknown): ValidationReport {
  const problems = validateEnvelope(body);
  const records = isObject(body) && Array.isArray(body.records) ? (body.records as unknown[]) : [];
  records.forEach((record, i) => {
    if (!validateRecord(record)) problems.push(...problemsFromAjv(validateRecord.errors ?? [], `/records/${i}`));
  });
  if (isObject(body) && typeof body.period === 'string') problems.push(...crossRecordProblems(records, body.period));
  const warnings = problems.length === 0 ? qualityWarnings(records as RecordInput[]) : [];
  return { problems: problems.slice(0, MAX_PROBLEMS), problemCount: problems.length, warnings };
}
