/**
 * RFC 9457 problem details. Services throw `problem(...)`; the one error handler in
 * `plugins/errors.ts` turns any error into `application/problem+json`.
 */
import { STATUS_CODES } from 'node:http';
import createError from 'http-errors';

export interface FieldProblem {
  /** JSON pointer into the body (`/records/12/victim/ethnicity`) or `row 13, column victim.ethnicity` for CSV. */
  pointer?: string;
  /** The query, path or header parameter at fault. */
  parameter?: string;
  code: string;
  detail: string;
  /**
   * What was sent, for the person fixing it: a short, cleaned excerpt of the value (and what it
   * reads as), set only for coded, date, number and yes/no fields, never for a linkage key or an
   * identifier. Only `vawg validate` shows it, offline, to whoever holds the file: the server never
   * quotes what was sent, in an answer, a log, a stored answer or a job's result.
   */
  valueEcho?: string;
}

/** A request with thousands of broken values would otherwise answer with megabytes of problems: the rest are counted. */
export const MAX_PROBLEMS = 1000;

/** Problem type URIs are stable identifiers documented in the README, not fetched. */
export const problemTypes = {
  validation: 'urn:vawg:problem:validation-error',
  badRequest: 'urn:vawg:problem:bad-request',
  unauthenticated: 'urn:vawg:problem:unauthenticated',
  forbidden: 'urn:vawg:problem:forbidden',
  notFound: 'urn:vawg:problem:not-found',
  methodNotAllowed: 'urn:vawg:problem:method-not-allowed',
  conflict: 'urn:vawg:problem:conflict',
  periodLocked: 'urn:vawg:problem:period-locked',
  idempotencyConflict: 'urn:vawg:problem:idempotency-key-in-use',
  idempotencyMismatch: 'urn:vawg:problem:idempotency-key-reused',
  tooLarge: 'urn:vawg:problem:payload-too-large',
  /** A return with more records than the embedded database takes (`VAWG_EMBEDDED_MAX_RECORDS`). */
  embeddedLimit: 'urn:vawg:problem:embedded-limit',
  unsupportedMediaType: 'urn:vawg:problem:unsupported-media-type',
  internal: 'urn:vawg:problem:internal-error',
  unavailable: 'urn:vawg:problem:unavailable',
  rateLimited: 'urn:vawg:problem:rate-limited',
} as const;

export type ProblemType = keyof typeof problemTypes;

/** An error the handler passes through to the client: a status below 500 and, usually, a problem type. */
export interface ClientError {
  statusCode?: number;
  message: string;
  problemType?: string;
  errors?: FieldProblem[];
  /** How many problems there were in all, when `errors` lists only the first MAX_PROBLEMS. */
  problemCount?: number;
}

const typeByStatus: Record<number, string> = {
  400: problemTypes.badRequest,
  401: problemTypes.unauthenticated,
  403: problemTypes.forbidden,
  404: problemTypes.notFound,
  405: problemTypes.methodNotAllowed,
  409: problemTypes.conflict,
  413: problemTypes.tooLarge,
  415: problemTypes.unsupportedMediaType,
  422: problemTypes.validation,
  429: problemTypes.rateLimited,
};

/** The longest excerpt of a value a problem shows: enough to recognise `31/05/2023` or `White British`, too short to carry much else. */
export const MAX_EXCERPT_CHARS = 20;

// Controls (C0, DEL, C1), bidirectional overrides and zero-width characters: an excerpt is shown as plain, one-line text.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNPRINTABLE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]|[\uD800-\uDFFF]/gu;

/** `"31/05/2023"`: a value as a short, quoted, printable excerpt; undefined for anything but a string, number or boolean. */
export function excerptOf(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).slice(0, MAX_EXCERPT_CHARS);
  if (typeof value !== 'string') return undefined;
  const clean = value.replace(UNPRINTABLE, '').replace(/\s+/g, ' ').trim();
  if (clean === '') return undefined;
  const chars = [...clean];
  return JSON.stringify(chars.length > MAX_EXCERPT_CHARS ? `${chars.slice(0, MAX_EXCERPT_CHARS).join('')}…` : clean);
}

/** The problems as a document shows them: with the value echoed into the detail, or without it (anything kept or logged). */
export function presentProblems(problems: readonly FieldProblem[], echoValues: boolean): FieldProblem[] {
  return problems.map(({ valueEcho, ...rest }) => (echoValues && valueEcho ? { ...rest, detail: `${rest.detail} (${valueEcho})` } : rest));
}

/** The RFC 9457 document for a client error; also what jobs and idempotent replays store. No value is echoed. */
export function problemDocument(status: number, detail: string, instance: string, type?: string, errors?: FieldProblem[], problemCount?: number) {
  return {
    type: type ?? typeByStatus[status] ?? problemTypes.badRequest,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance,
    ...(errors && errors.length > 0 ? { errors: presentProblems(errors, false), problemCount: problemCount ?? errors.length } : {}),
  };
}

export function documentOfClientError(error: ClientError, instance: string) {
  return problemDocument(error.statusCode ?? 400, error.message, instance, error.problemType, error.errors, error.problemCount);
}

export function problem(status: number, type: ProblemType, detail: string, errors?: FieldProblem[], problemCount?: number): createError.HttpError {
  return createError(status, detail, {
    problemType: problemTypes[type],
    ...(errors ? { errors } : {}),
    ...(problemCount !== undefined ? { problemCount } : {}),
  });
}

interface AjvLikeError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

const codeByKeyword: Record<string, string> = {
  required: 'required',
  additionalProperties: 'unknown_field',
  enum: 'not_in_code_list',
  const: 'not_allowed',
  type: 'wrong_type',
  format: 'invalid_format',
  pattern: 'invalid_format',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  minLength: 'too_short',
  maxLength: 'too_long',
  minItems: 'too_few_items',
  maxItems: 'too_many_items',
  uniqueItems: 'duplicate_items',
  'false schema': 'not_allowed',
};

const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$.-]{0,63}$/;

/** One problem per ajv error, pointing at the field itself (for missing and unknown fields too). */
export function problemsFromAjv(errors: readonly AjvLikeError[], prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    // `if`/`then` failures repeat the `required` error they wrap.
    if (error.keyword === 'if') continue;
    let pointer = `${prefix}${error.instancePath}`;
    let detail = error.message ?? 'is invalid';
    if (error.keyword === 'required') {
      pointer += `/${String(error.params.missingProperty)}`;
      detail = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      // A field name is named back only when it looks like one: anything else may be a value typed as a key.
      const name = String(error.params.additionalProperty);
      if (FIELD_NAME.test(name)) {
        pointer += `/${name}`;
        detail = 'is not a known field (unknown fields are rejected, never dropped)';
      } else detail = `has an unknown field whose name (${name.length} characters) is not shown; unknown fields are rejected, never dropped`;
    } else if (error.keyword === 'false schema') {
      detail = 'is not allowed here';
    } else if (error.keyword === 'enum') {
      const allowed = (error.params.allowedValues as unknown[] | undefined) ?? [];
      detail = `must be one of: ${allowed.map(String).join(', ')}`;
    }
    problems.push({ pointer: pointer || '/', code: codeByKeyword[error.keyword] ?? error.keyword, detail });
  }
  return problems;
}
