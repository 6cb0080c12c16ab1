/**
 * The dataset definition as served by `GET /v1/dataset`: version, fields, code lists and derived
 * groupings, all read from the data in this folder.
 */
import { codeLists } from './code-lists.js';
import { ageBandSets } from './derived.js';
import { acceptedCodes, recordFields, type FieldDefinition } from './fields.js';
import { buildRecordJsonSchema } from './record-schema.js';

/** Semver of the dataset, versioned separately from the API path (`/v1`). */
export const DATASET_VERSION = '1.0.0';

/** Every dataset version this server can describe and validate (served under `/v1/dataset/{version}`). */
export const DATASET_VERSIONS: readonly string[] = [DATASET_VERSION];

/**
 * The record schema's `$id`: a URN, like the problem types, because it names the schema wherever a
 * copy of it lives (a supplier's repository, a validator's cache) and does not depend on the host a
 * server is reached at; `GET /v1/dataset/{version}/record.schema.json` is where it is served.
 */
export const RECORD_SCHEMA_ID = `urn:vawg:schema:record:${DATASET_VERSION}`;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The record's JSON Schema 2020-12, built once: the returns validator compiles this very object and
 * `GET /v1/dataset/{version}/record.schema.json` serves it, so a supplier validating with the
 * published schema gets the server's verdict. Frozen, so nothing can change one and not the other.
 */
export const recordJsonSchema: Readonly<Record<string, unknown>> = deepFreeze(
  (() => {
    const { $schema: _schema, $id: _id, ...schema } = buildRecordJsonSchema();
    return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: RECORD_SCHEMA_ID, ...schema };
  })(),
);

interface DescribedField {
  path: string;
  label: string;
  definition: string;
  type: string;
  required: boolean;
  requiredWhen?: string;
  nullable: boolean;
  codeList?: string;
  codes?: string[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  pattern?: string;
  linkageKey?: boolean;
  fields?: DescribedField[];
}

function describeField(field: FieldDefinition, path: string): DescribedField {
  return {
    path,
    label: field.label,
    definition: field.definition,
    type: field.type,
    required: field.required,
    ...(field.requiredWhen ? { requiredWhen: field.requiredWhen.text } : {}),
    nullable: field.nullable ?? false,
    ...(field.codeList ? { codeList: field.codeList.id, codes: acceptedCodes(field) } : {}),
    ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
    ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
    ...(field.minItems !== undefined ? { minItems: field.minItems } : {}),
    ...(field.pattern ? { pattern: field.pattern } : {}),
    ...(field.linkageKey ? { linkageKey: true } : {}),
    ...(field.fields ? { fields: field.fields.map((f) => describeField(f, `${path}.${f.name}`)) } : {}),
  };
}

export function describeDataset() {
  return {
    datasetVersion: DATASET_VERSION,
    unit: 'One record per referral received by a service in a quarter.',
    fields: recordFields.map((f) => describeField(f, f.name)),
    codeLists: Object.values(codeLists),
    ageBandSets: Object.values(ageBandSets),
    derived: [
      { id: 'ethnicityGroup', definition: 'GSS five high-level ethnic groups, from victim.ethnicity.', codeList: 'ethnicityGroup' },
      {
        id: 'minoritisedEthnicity',
        definition:
          'Black, Asian or racially minoritised: any ethnicity other than white_british; not_known and prefer_not_to_say are excluded from the denominator.',
      },
      { id: 'lgbtPlus', definition: 'sexualOrientation is gay_lesbian, bisexual or other, or genderIdentitySameAsSex is no.' },
      { id: 'ageBand', definition: 'Age at the referral date in a named band set (marac, five_year, csew).' },
    ],
  };
}

export { codeLists } from './code-lists.js';
export { recordFields } from './fields.js';
