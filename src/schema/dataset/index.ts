/**
 * The dataset definition by version, as served by `GET /v1/dataset/{version}`: fields, code lists
 * and derived groupings, all read from the data in this folder (`versions.ts` says which versions
 * exist and what each has). A version other than the current one is frozen: its documents are the
 * committed snapshot in `published/{version}/`, served byte for byte.
 */
import { readFileSync } from 'node:fs';
import { ageBandSets } from './derived.js';
import { acceptedCodes, type FieldDefinition } from './fields.js';
import { buildRecordJsonSchema } from './record-schema.js';
import { UPDATE_EVENT_DATES, UPDATES_SINCE, updatableGroups } from './update-schema.js';
import {
  codeListsAt,
  compareVersions,
  DATASET_VERSION_LIST,
  datasetVersionStatus,
  fieldsAt,
  LATEST_DATASET_VERSION,
  type DatasetVersionStatus,
} from './versions.js';

/** Semver of the current dataset, versioned separately from the API path (`/v1`): what a return is validated against unless it names another. */
export const DATASET_VERSION = LATEST_DATASET_VERSION;

/** Every dataset version this server can describe and validate (served under `/v1/dataset/{version}`), oldest first. */
export const DATASET_VERSIONS: readonly string[] = DATASET_VERSION_LIST.map((v) => v.version);

/**
 * The record schema's `$id`: a URN, like the problem types, because it names the schema wherever a
 * copy of it lives (a supplier's repository, a validator's cache) and does not depend on the host a
 * server is reached at; `GET /v1/dataset/{version}/record.schema.json` is where it is served.
 */
export function recordSchemaId(version: string): string {
  return `urn:vawg:schema:record:${version}`;
}

/** The current version's record schema `$id`. */
export const RECORD_SCHEMA_ID = recordSchemaId(DATASET_VERSION);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The record JSON Schema 2020-12 of a version, as built from its field tree. */
export function buildVersionRecordSchema(version: string): Record<string, unknown> {
  const { $schema: _schema, $id: _id, ...schema } = buildRecordJsonSchema(fieldsAt(version));
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: recordSchemaId(version), ...schema };
}

/** Where a frozen version's documents are kept (in `src`, so the Docker image has them). */
function publishedFile(version: string, name: string): string {
  return readFileSync(new URL(`./published/${version}/${name}`, import.meta.url), 'utf8');
}

export interface DatasetVersionDefinition {
  readonly version: string;
  readonly status: DatasetVersionStatus;
  readonly publishedAt: string;
  /** Frozen: served from the committed snapshot in `published/{version}/`. */
  readonly frozen: boolean;
  /** The version's field tree: CSV columns, cross-field checks and problem wording read it. */
  readonly fields: readonly FieldDefinition[];
  /**
   * The record JSON Schema: the returns validator compiles this very object and
   * `GET /v1/dataset/{version}/record.schema.json` serves it (for a frozen version: the snapshot),
   * so a supplier validating with the published schema gets the server's verdict. Frozen.
   */
  readonly recordJsonSchema: Readonly<Record<string, unknown>>;
  /** The schema document as served, byte for byte. */
  readonly recordSchemaBody: string;
  describe(): Record<string, unknown>;
}

const definitions = new Map<string, DatasetVersionDefinition>();

/** The definition of a version this server has; undefined for any other. */
export function datasetVersionDefinition(version: string): DatasetVersionDefinition | undefined {
  const entry = DATASET_VERSION_LIST.find((v) => v.version === version);
  if (!entry) return undefined;
  let found = definitions.get(version);
  if (!found) {
    const status = datasetVersionStatus(entry);
    const frozen = status !== 'current';
    const recordSchemaBody = frozen ? publishedFile(version, 'record.schema.json') : `${JSON.stringify(buildVersionRecordSchema(version), null, 2)}\n`;
    const description = frozen ? deepFreeze(JSON.parse(publishedFile(version, 'dataset.json')) as Record<string, unknown>) : undefined;
    found = {
      version,
      status,
      publishedAt: entry.publishedAt,
      frozen,
      fields: fieldsAt(version),
      recordJsonSchema: deepFreeze(JSON.parse(recordSchemaBody) as Record<string, unknown>),
      recordSchemaBody,
      describe: () => description ?? describeDataset(version),
    };
    definitions.set(version, found);
  }
  return found;
}

/** The current version's definition. */
export function currentDatasetVersion(): DatasetVersionDefinition {
  return datasetVersionDefinition(DATASET_VERSION)!;
}

/** The current version's record JSON Schema (see `DatasetVersionDefinition.recordJsonSchema`). */
export const recordJsonSchema: Readonly<Record<string, unknown>> = currentDatasetVersion().recordJsonSchema;

/** Every version with its status and publication date, as `GET /v1/dataset/versions` lists them. */
export function listDatasetVersions(): Array<{ version: string; status: DatasetVersionStatus; publishedAt: string }> {
  return DATASET_VERSION_LIST.map((entry) => ({ version: entry.version, status: datasetVersionStatus(entry), publishedAt: entry.publishedAt }));
}

interface DescribedField {
  path: string;
  label: string;
  definition: string;
  type: string;
  required: boolean;
  requiredWhen?: string;
  optionalWhen?: string;
  itemsWhen?: string;
  nullable: boolean;
  codeList?: string;
  codes?: string[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  pattern?: string;
  linkageKey?: boolean;
  /** The version that added the field (absent: in 1.0.0). */
  since?: string;
  /** Service modules: the service types the module is for. */
  serviceTypes?: readonly string[];
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
    ...(field.optionalWhen ? { optionalWhen: field.optionalWhen.text } : {}),
    ...(field.itemsWhen ? { itemsWhen: field.itemsWhen.text } : {}),
    nullable: field.nullable ?? false,
    ...(field.codeList ? { codeList: field.codeList.id, codes: acceptedCodes(field) } : {}),
    ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
    ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
    ...(field.minItems !== undefined ? { minItems: field.minItems } : {}),
    ...(field.pattern ? { pattern: field.pattern } : {}),
    ...(field.linkageKey ? { linkageKey: true } : {}),
    ...(field.since ? { since: field.since } : {}),
    ...(field.serviceTypes ? { serviceTypes: field.serviceTypes } : {}),
    ...(field.fields ? { fields: field.fields.map((f) => describeField(f, `${path}.${f.name}`)) } : {}),
  };
}

/** The description of a version built from its field tree (a frozen version is served from its snapshot instead). */
export function describeDataset(version: string = DATASET_VERSION) {
  return {
    datasetVersion: version,
    unit: 'One record per referral received by a service in a quarter.',
    fields: fieldsAt(version).map((f) => describeField(f, f.name)),
    ...(compareVersions(version, UPDATES_SINCE) >= 0
      ? {
          updates: {
            since: UPDATES_SINCE,
            definition:
              "Later events about referrals the same service received in earlier quarters, carried by a return's top-level `updates` (CSV: POST with ?kind=updates). Each names the referral (referralId, referralPeriod: an earlier quarter whose current return has it) and gives any of these groups with any of their fields: applied field by field in quarter order (null sets null, a field left out keeps its value), and the referral as updated must still be a valid record. Superseding the return withdraws its updates.",
            groups: updatableGroups.filter((group) => fieldsAt(version).some((f) => f.name === group.name)).map((group) => group.name),
            eventDatesInPeriod: UPDATE_EVENT_DATES,
          },
        }
      : {}),
    codeLists: Object.values(codeListsAt(version)),
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
