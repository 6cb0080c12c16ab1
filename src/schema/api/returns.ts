import { Type } from 'typebox';
import { DATASET_VERSION } from '../dataset/index.js';
import { buildRecordJsonSchema } from '../dataset/record-schema.js';
import { buildUpdateJsonSchema, UPDATES_SINCE } from '../dataset/update-schema.js';
import { PERIOD_PATTERN, QUARTER_PATTERN } from '../../lib/periods.js';
import { PaginationQuery, ServiceIdSchema } from './common.js';

/**
 * The record, named `DatasetRecord` in the OpenAPI document: a component named `Record` would hide
 * TypeScript's own `Record<K, V>` in generated clients. It was called `Record` before; the wire
 * format is the same, and the compatibility check knows the rename (openapi/baseline/renamed-components.json).
 */
export const RecordSchema = Type.Unsafe<Record<string, unknown>>({ ...buildRecordJsonSchema(), $id: 'DatasetRecord' });

/** One update of an earlier referral (contract 1.1 section 3), derived from the field tree; inline, its code lists as enums. */
export const RecordUpdateSchema = Type.Unsafe<Record<string, unknown>>(buildUpdateJsonSchema());

export const QuarterSchema = Type.String({ pattern: QUARTER_PATTERN, description: 'UK financial quarter, e.g. `2022-23-Q1` (April–June 2022).' });

export const SubmitReturnSchema = Type.Object(
  {
    service: ServiceIdSchema,
    period: QuarterSchema,
    datasetVersion: Type.Optional(
      Type.String({
        maxLength: 32,
        description: `The dataset version the records follow (\`GET /v1/dataset/versions\`), which they are validated against: a \`1.0.0\` return is held to 1.0.0 (a field or code 1.0.0 lacks is refused). The current one, \`${DATASET_VERSION}\`, when absent.`,
        examples: [DATASET_VERSION],
      }),
    ),
    records: Type.Array(Type.Ref('DatasetRecord')),
    updates: Type.Optional(
      Type.Array(RecordUpdateSchema, {
        description: `Dataset ${UPDATES_SINCE} and later: events of this quarter about referrals the service received in earlier quarters (a closure, a status, a refuge departure, a court outcome, a programme stage…). Each names the referral (\`referralId\`, \`referralPeriod\`: its quarter, earlier than this return's) in the current version of that quarter's return. Its fields replace the referral's, fields left out keep their values, an explicit null sets a nullable field to null; a later quarter's update replaces an earlier one's fields. \`closure.closedDate\` and \`refuge.departureDate\`, when given, fall inside this return's quarter, and the referral once updated is still a valid record (a closure an update adds has its closedDate and reason). Superseding this return withdraws its updates.`,
      }),
    ),
  },
  {
    additionalProperties: false,
    // The body is validated as a whole by the returns validator (every problem listed, plus rules
    // across records); see `services/returns/validate-return.ts`.
    'x-validated-by': 'returns-validator',
  },
);

export const SubmitReturnQuery = Type.Object({
  dryRun: Type.Boolean({ default: false, description: 'Validate and report without storing anything.' }),
  service: Type.Optional({
    ...ServiceIdSchema,
    description: 'CSV returns only: the service the return is for (JSON returns carry it in the body).',
    examples: ['col-vva'],
  }),
  period: Type.Optional({ ...QuarterSchema, description: 'CSV returns only: the quarter the return is for.', examples: ['2022-23-Q1'] }),
  kind: Type.Optional(
    Type.String({
      enum: ['records', 'updates'],
      description:
        "CSV returns only: what the file carries. `records` (the default): the quarter's records; the new version keeps the updates of the current version of this service and period. `updates` (dataset 1.1.0 on): updates of referrals of earlier quarters, columns `referralId`, `referralPeriod` and the status, closure and module columns as the records CSV names them (an empty cell leaves the field as it is; `null` sets a nullable field to null); the new version keeps the records of the current version (none when there is none). Either way the new version is the whole quarter's return and supersedes the current one.",
      examples: ['updates'],
    }),
  ),
  datasetVersion: Type.Optional(
    Type.String({
      maxLength: 32,
      description:
        'CSV returns only: the dataset version the records follow (`GET /v1/dataset/versions`); the current one when absent. JSON returns carry `datasetVersion` in the body.',
      examples: [DATASET_VERSION],
    }),
  ),
});

export const SubmitReturnHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Makes retries safe: the same key with the same request replays the first response (with `Idempotent-Replayed: true`); with a different request it is 422; while the first is still being processed it is 409. Kept at least 24 hours.',
    }),
  ),
});

export const CsvReturnBody = Type.String({
  description:
    'RFC 4180 CSV, UTF-8 (with or without BOM), CRLF or LF. The header row names the fields, nested ones joined with dots (`victim.ethnicity`) and lists of objects numbered from 1 (`perpetrators.1.sex`); lists of codes separated by `;`. GET /v1/dataset/template.csv has every column. Problems are reported as `row 13, column victim.ethnicity` (the header is row 1).',
  'x-validated-by': 'returns-validator',
});

const WarningSchema = Type.Ref('FieldProblem');

/** Whether a version of a return is the one that counts. */
export const RETURN_STATUSES = ['current', 'superseded'] as const;
export const ReturnStatusSchema = Type.String({
  enum: [...RETURN_STATUSES],
  description: 'Only the current version of a service and period counts in aggregates; an earlier one is superseded.',
});

export const ReturnSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    service: Type.String(),
    period: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    status: ReturnStatusSchema,
    recordCount: Type.Integer(),
    updateCount: Type.Optional(
      Type.Integer({ minimum: 0, description: 'How many updates of referrals of earlier quarters the version carries (dataset 1.1.0); absent when none.' }),
    ),
    datasetVersion: Type.String({ description: 'The dataset version the return declared, and was validated against.' }),
    receivedAt: Type.String({ format: 'date-time' }),
    supersededAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    warnings: Type.Array(WarningSchema),
  },
  {
    $id: 'Return',
    description: 'One version of a quarterly return: what was received and when, without its records. Warnings do not reject a return.',
  },
);

export const DryRunResultSchema = Type.Object(
  {
    dryRun: Type.Literal(true),
    service: Type.String(),
    period: Type.String(),
    recordCount: Type.Integer(),
    updateCount: Type.Optional(Type.Integer({ minimum: 0, description: 'How many updates the return carries, all valid; absent when none.' })),
    wouldBeVersion: Type.Integer(),
    warnings: Type.Array(WarningSchema),
  },
  { $id: 'DryRunResult' },
);

export const ReturnListQuery = Type.Object({
  service: Type.Optional(ServiceIdSchema),
  period: Type.Optional(Type.String({ pattern: PERIOD_PATTERN, description: 'A quarter (`2022-23-Q1`) or a financial year (`2022-23`).' })),
  status: Type.String({ enum: ['current', 'all'], default: 'all' }),
  ...PaginationQuery,
});

export const ReturnListSchema = Type.Object({
  items: Type.Array(Type.Ref('Return')),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const ReturnIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ReturnDetailSchema = Type.Object({
  ...ReturnSchema.properties,
  versions: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      version: Type.Integer(),
      status: ReturnStatusSchema,
      recordCount: Type.Integer(),
      receivedAt: Type.String({ format: 'date-time' }),
      submittedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: 'The API key that submitted this version (see `GET /v1/audit`).',
      }),
    }),
    { description: 'Every version of this service and period, oldest first, with who submitted it and when.' },
  ),
  records: Type.Array(Type.Ref('DatasetRecord'), { description: 'The records as submitted; linkage keys are never returned.' }),
  updates: Type.Array(RecordUpdateSchema, {
    description:
      "The version's updates of referrals of earlier quarters, in order, each as it was sent (the fields it gave). They count only while this version is current; the referrals' current state is what analytics use.",
  }),
});
