/**
 * API schemas of count returns and the count-measure catalogue (contract 1.1 §5). Measure ids,
 * breakdown dimensions and codes come from `schema/counts/measures.ts`, never repeated here.
 */
import { Type } from 'typebox';
import { PERIOD_PATTERN } from '../../lib/periods.js';
import { countAreaPattern, countBreakdownIds, countMeasures } from '../counts/measures.js';
import { PaginationQuery, ServiceIdSchema } from './common.js';
import { QuarterSchema, ReturnStatusSchema } from './returns.js';

const CodeSchema = Type.Object({ code: Type.String(), label: Type.String(), definition: Type.Optional(Type.String()) });

export const CountMeasureSchema = Type.Object({
  id: Type.String(),
  label: Type.String(),
  definition: Type.String(),
  unit: Type.String({ description: 'What one unit of a count is, e.g. `calls`, `offences`.' }),
  breakdowns: Type.Array(
    Type.Object({
      id: Type.String({ description: "The dimension, named as in a count's `breakdown` and as a CSV column." }),
      label: Type.String(),
      codeList: Type.Optional(Type.String({ description: 'The dataset code list the codes come from (`GET /v1/dataset`).' })),
      codes: Type.Array(CodeSchema),
    }),
    { description: 'The dimensions a count of this measure may be broken down by; empty: totals only.' },
  ),
});

export const DerivedCountMeasureSchema = Type.Object({
  id: Type.String(),
  label: Type.String(),
  definition: Type.String(),
  numerator: Type.String({ description: 'The reported measure divided.' }),
  denominator: Type.String({ description: 'The reported measure it is divided by, for the same area and period.' }),
});

export const CountMeasureCatalogueSchema = Type.Object({
  measures: Type.Array(CountMeasureSchema, { description: 'Measures a count return reports.' }),
  derived: Type.Array(DerivedCountMeasureSchema, { description: 'Measures computed from two reported ones (numerator ÷ denominator), never reported.' }),
  csvColumns: Type.Array(Type.String(), { description: 'The columns of a CSV count return: `measure,area,value`, then one per breakdown dimension.' }),
});

const measureIds = countMeasures.map((m) => m.id);
const BreakdownSchema = Type.Record(Type.String(), Type.String(), {
  description: `The breakdown the count is for, one code per dimension (dimensions: ${countBreakdownIds.join(', ')}; which a measure allows: \`GET /v1/count-measures\`). Absent: the total.`,
  examples: [{ sex: 'female' }],
});

export const CountCellSchema = Type.Object(
  {
    measure: Type.String({ enum: measureIds, description: 'A measure of the catalogue (`GET /v1/count-measures`).' }),
    area: Type.String({ pattern: countAreaPattern, description: 'The ONS GSS code of the local authority the count is for, e.g. `E09000007` (Camden).' }),
    value: Type.Integer({ minimum: 0, maximum: 2147483647, description: 'The count: a whole number, 0 when there were none.' }),
    breakdown: Type.Optional(BreakdownSchema),
  },
  { additionalProperties: false },
);

export const SubmitCountReturnSchema = Type.Object(
  {
    service: ServiceIdSchema,
    period: QuarterSchema,
    counts: Type.Array(CountCellSchema, { description: 'Each (measure, area, breakdown) at most once.' }),
  },
  {
    additionalProperties: false,
    // Validated as a whole by the count validator (every problem listed): services/counts/validate-count-return.ts.
    'x-validated-by': 'count-returns-validator',
    examples: [{ service: 'met-police-ce', period: '2022-23-Q4', counts: [{ measure: 'police_da_incidents', area: 'E09000003', value: 1262 }] }],
  },
);

export const CsvCountReturnBody = Type.String({
  description:
    'RFC 4180 CSV, UTF-8: header `measure,area,value`, then optional breakdown columns named by dimension (`sex`; an empty cell: no breakdown). Problems are reported as `row 4, column value` (the header is row 1).',
  'x-validated-by': 'count-returns-validator',
  examples: ['measure,area,value,sex\nhelpline_calls,E09000007,120,\nhelpline_calls,E09000007,101,female\n'],
});

export const SubmitCountReturnQuery = Type.Object({
  dryRun: Type.Boolean({ default: false, description: 'Validate and report without storing anything.' }),
  service: Type.Optional({
    ...ServiceIdSchema,
    description: 'CSV only: the service the count return is for (JSON carries it in the body).',
    examples: ['met-police-ce'],
  }),
  period: Type.Optional({ ...QuarterSchema, description: 'CSV only: the quarter the count return is for.', examples: ['2022-23-Q4'] }),
});

export const CountReturnSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    service: Type.String(),
    period: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    status: ReturnStatusSchema,
    cellCount: Type.Integer({ minimum: 0, description: 'How many counts the version carries.' }),
    receivedAt: Type.String({ format: 'date-time' }),
    supersededAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    warnings: Type.Array(Type.Ref('FieldProblem')),
  },
  { description: 'One version of a count return, without its counts. Only the current version of a service and period counts.' },
);

export const CountDryRunSchema = Type.Object({
  dryRun: Type.Literal(true),
  service: Type.String(),
  period: Type.String(),
  cellCount: Type.Integer(),
  wouldBeVersion: Type.Integer(),
  warnings: Type.Array(Type.Ref('FieldProblem')),
});

export const CountReturnListQuery = Type.Object({
  service: Type.Optional(ServiceIdSchema),
  period: Type.Optional(Type.String({ pattern: PERIOD_PATTERN, description: 'A quarter (`2022-23-Q1`) or a financial year (`2022-23`).' })),
  status: Type.String({ enum: ['current', 'all'], default: 'all' }),
  ...PaginationQuery,
});

export const CountReturnListSchema = Type.Object({
  items: Type.Array(CountReturnSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const CountReturnIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CountReturnDetailSchema = Type.Object({
  ...CountReturnSchema.properties,
  versions: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      version: Type.Integer(),
      status: ReturnStatusSchema,
      cellCount: Type.Integer(),
      receivedAt: Type.String({ format: 'date-time' }),
      submittedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: 'The API key that submitted this version (see `GET /v1/audit`).',
      }),
    }),
    { description: 'Every version of this service and period, oldest first.' },
  ),
  counts: Type.Array(CountCellSchema, { description: 'The counts as submitted, in order.' }),
});
