/**
 * The dataset definition as served by `GET /v1/dataset`: version, fields, code lists and derived
 * groupings, all read from the data in this folder.
 */
import { codeLists } from './code-lists.js';
import { ageBandSets } from './derived.js';
import { acceptedCodes, recordFields, type FieldDefinition } from './fields.js';

/** Semver of the dataset, versioned separately from the API path (`/v1`). */
export const DATASET_VERSION = '1.0.0';

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
