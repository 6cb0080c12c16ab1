/**
 * The fields of one record of a quarterly return (one referral received by a service in the
 * period), as data: the latest dataset version's, each field or code an earlier version lacks
 * marked with the version that added it (`since`); `versions.ts` gives any version's tree. The record JSON Schema, the `/v1/dataset` description, the storage mapping and
 * (later) CSV headers are derived from this tree.
 */
import { SLK581_PATTERN } from '../../lib/slk581.js';
import { codeLists, personAnswerCodes, type CodeList } from './code-lists.js';

export type DataProtection = 'special_category' | 'quasi_identifier';

export type FieldType = 'string' | 'date' | 'integer' | 'boolean' | 'code' | 'codes' | 'object' | 'objects';

export interface FieldDefinition {
  readonly name: string;
  readonly label: string;
  readonly definition: string;
  readonly type: FieldType;
  /** Required unless false; `requiredWhen`: required when another field has a value, and absent otherwise. */
  readonly required: boolean;
  readonly requiredWhen?: { readonly field: string; readonly equals: string; readonly text: string };
  /** Required unless another field has this value, when it is optional (`victim` of a perpetrator's referral). */
  readonly optionalWhen?: { readonly field: string; readonly equals: string; readonly text: string };
  /** Lists only: exactly this many items when another field has this value (the one person a perpetrator's referral is about). */
  readonly itemsWhen?: { readonly field: string; readonly equals: string; readonly items: number; readonly text: string };
  readonly codeList?: CodeList;
  /** Coded person fields also accept `not_known` and `prefer_not_to_say`. */
  readonly personAnswers?: boolean;
  readonly nullable?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  /** What `pattern` accepts, in words, for the problem a value that does not match it gets (the value is never shown). */
  readonly patternText?: string;
  readonly maxLength?: number;
  /** Lists only: the fewest items accepted. */
  readonly minItems?: number;
  /** Linkage keys: turned into keyed hashes on arrival, never stored, logged or returned. */
  readonly linkageKey?: boolean;
  /**
   * What the field could reveal about a person, for docs/data-protection.md: special category data
   * (UK GDPR Art. 9: ethnicity, religion, sexual orientation, health), or a quasi-identifier (a
   * date, an age, a place, a characteristic that in a small area could single a person out). A
   * field inside an object has its object's unless it says otherwise; absent: other case data.
   */
  readonly protection?: DataProtection;
  readonly fields?: readonly FieldDefinition[];
  /** The dataset version that added the field (absent: in 1.0.0); earlier versions do not have it (`versions.ts`). */
  readonly since?: string;
  /**
   * Service modules: the service types the module is for. Any record may carry it; one from a
   * service of another type draws an `unusual_module` warning, never an error.
   */
  readonly serviceTypes?: readonly string[];
}

/** Demographic and protected-characteristic fields shared by victims and alleged perpetrators. */
function personFields(required: boolean): FieldDefinition[] {
  return [
    {
      name: 'genderIdentitySameAsSex',
      protection: 'quasi_identifier',
      label: 'Gender identity same as sex registered at birth',
      definition: 'Census 2021 gender identity question; asked of people aged 16 or over.',
      type: 'code',
      codeList: codeLists.genderIdentitySameAsSex,
      personAnswers: true,
      required,
    },
    {
      name: 'sexualOrientation',
      protection: 'special_category',
      label: 'Sexual orientation',
      definition: 'Self-perceived sexual identity (GSS harmonised standard).',
      type: 'code',
      codeList: codeLists.sexualOrientation,
      personAnswers: true,
      required,
    },
    {
      name: 'ethnicity',
      protection: 'special_category',
      label: 'Ethnic group',
      definition: 'GSS 2021 ethnic group (19 categories). Record ethnicity, never nationality.',
      type: 'code',
      codeList: codeLists.ethnicity,
      personAnswers: true,
      required,
    },
    {
      name: 'religion',
      protection: 'special_category',
      label: 'Religion',
      definition: 'Religious affiliation (GSS harmonised standard).',
      type: 'code',
      codeList: codeLists.religion,
      personAnswers: true,
      required,
    },
    {
      name: 'disability',
      protection: 'special_category',
      label: 'Disability',
      definition: 'Has a physical or mental impairment with a substantial and long-term adverse effect on day-to-day activities (Equality Act 2010).',
      type: 'code',
      codeList: codeLists.yesNo,
      personAnswers: true,
      required,
    },
    {
      name: 'pregnancy',
      protection: 'special_category',
      label: 'Pregnancy and maternity',
      definition: 'Pregnant, or gave birth in the last 26 weeks.',
      type: 'code',
      codeList: codeLists.pregnancy,
      personAnswers: true,
      required: false,
    },
    {
      name: 'maritalStatus',
      protection: 'quasi_identifier',
      label: 'Marriage and civil partnership',
      definition: 'Legal marital or civil partnership status.',
      type: 'code',
      codeList: codeLists.maritalStatus,
      personAnswers: true,
      required: false,
    },
  ];
}

const vulnerabilities: FieldDefinition = {
  name: 'vulnerabilities',
  protection: 'special_category',
  label: 'Vulnerabilities',
  definition: 'Areas of vulnerability that apply (empty when none).',
  type: 'codes',
  codeList: codeLists.vulnerability,
  required: true,
};

const age: FieldDefinition = {
  name: 'age',
  protection: 'quasi_identifier',
  label: 'Age',
  definition: 'Age in whole years at the referral date; null when not known.',
  type: 'integer',
  minimum: 0,
  maximum: 120,
  nullable: true,
  required: true,
};

const sexField: FieldDefinition = {
  name: 'sex',
  protection: 'quasi_identifier',
  label: 'Sex',
  definition: 'Census 2021 sex question.',
  type: 'code',
  codeList: codeLists.sex,
  personAnswers: true,
  required: true,
};

const interpreterRequired: FieldDefinition = {
  name: 'interpreterRequired',
  protection: 'quasi_identifier',
  label: 'Interpreter required',
  definition: 'The person needs an interpreter to use the service; null when not known.',
  type: 'boolean',
  nullable: true,
  required: true,
};

const relationshipToArea: FieldDefinition = {
  name: 'relationshipToArea',
  protection: 'quasi_identifier',
  label: 'Relationship to the area',
  definition: 'Resident, worker or visitor in the area the service covers.',
  type: 'code',
  codeList: codeLists.relationshipToArea,
  personAnswers: true,
  required: true,
};

const residence: FieldDefinition = {
  name: 'residence',
  protection: 'quasi_identifier',
  label: 'Residence',
  definition: 'Where the person lives, as a group rather than a named place.',
  type: 'code',
  codeList: codeLists.residence,
  personAnswers: true,
  required: true,
};

const localAuthority: FieldDefinition = {
  name: 'localAuthority',
  protection: 'quasi_identifier',
  label: 'Local authority of residence',
  definition:
    'The ONS GSS code of the local authority where the person lives (E06, E07, E08, E09, W06, S12 or N09 and 6 digits, e.g. E09000001 for the City of London), or not_known: lets a service covering several areas say which of its users live in each.',
  type: 'string',
  pattern: '^(?:(?:E06|E07|E08|E09|W06|S12|N09)[0-9]{6}|not_known)$',
  patternText:
    'must be the ONS GSS code of a local authority: E06, E07, E08, E09, W06, S12 or N09 followed by 6 digits, e.g. E09000001 (upper case), or not_known',
  maxLength: 9,
  required: false,
  since: '1.1.0',
};

const linkage: FieldDefinition = {
  name: 'linkage',
  label: 'Linkage keys',
  definition:
    'Keys used to count people once across services. Turned into keyed hashes (HMAC-SHA-256) on arrival; the clear key is never stored, logged or returned.',
  type: 'object',
  required: false,
  fields: [
    {
      name: 'slk581',
      label: 'SLK-581',
      definition:
        'The AIHW statistical linkage key 581 computed by the provider: letters 2, 3, 5 of the family name, 2, 3 of the given name, date of birth DDMMYYYY and a sex code (14 characters, upper case).',
      type: 'string',
      pattern: SLK581_PATTERN,
      linkageKey: true,
      required: false,
    },
  ],
};

export const victimFields: readonly FieldDefinition[] = [
  age,
  sexField,
  ...personFields(true),
  interpreterRequired,
  relationshipToArea,
  residence,
  localAuthority,
  vulnerabilities,
  linkage,
];

export const perpetratorFields: readonly FieldDefinition[] = [
  {
    name: 'relationshipToVictim',
    label: 'Relationship to victim',
    definition: "The alleged perpetrator's relationship to the victim.",
    type: 'code',
    codeList: codeLists.relationshipToVictim,
    required: true,
  },
  sexField,
  age,
  ...personFields(false),
  { ...vulnerabilities, required: false, definition: "The alleged perpetrator's areas of vulnerability or need." },
  // 1.1.0: a person who harms is counted once across services (their own persons, never a victim's)
  // and, when they are the person referred (subject perpetrator), described as a victim is.
  {
    ...linkage,
    definition:
      'Keys used to count people who harm once across services, apart from victims. Turned into keyed hashes (HMAC-SHA-256) on arrival; the clear key is never stored, logged or returned.',
    since: '1.1.0',
  },
  { ...localAuthority, since: '1.1.0' },
  { ...relationshipToArea, required: false, since: '1.1.0' },
  { ...residence, required: false, since: '1.1.0' },
  { ...interpreterRequired, required: false, since: '1.1.0' },
];

/** A field of a service module (1.1.0); modules and their fields are all new in 1.1.0. */
function moduleField(name: string, label: string, definition: string, type: FieldType, extra: Partial<FieldDefinition> = {}): FieldDefinition {
  return { name, label, definition, type, required: true, ...extra };
}

const yesNoOrNull = { nullable: true, required: false } as const;

/**
 * Service modules: what the wider partnership's services record beyond a referral (review section
 * 6.2). Any record may carry any module; one unusual for the service type draws a warning
 * (`serviceTypes`), never an error. A module given is given whole: its required fields are
 * required, so "a record with a sanctuary module" is a referral the scheme worked on.
 */
export const moduleFields: readonly FieldDefinition[] = [
  {
    name: 'sanctuary',
    label: 'Sanctuary Scheme',
    definition: 'Security work a Sanctuary Scheme did so the person can stay safely at home.',
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['sanctuary_scheme', 'housing', 'idva', 'vva', 'advocacy_counselling', 'police'],
    fields: [
      moduleField('securityMeasures', 'Security measures', 'The security measures fitted (empty when none yet).', 'codes', {
        codeList: codeLists.securityMeasure,
      }),
      moduleField('propertySecured', 'Property secured', 'The property was made secure.', 'boolean'),
      moduleField('tenure', 'Tenure', 'The tenure of the home.', 'code', { codeList: codeLists.tenure, required: false }),
    ],
  },
  {
    name: 'housing',
    label: 'Housing',
    definition: 'A housing or homelessness service’s work with the household.',
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['housing', 'homelessness_rough_sleeping', 'refuge', 'sanctuary_scheme', 'idva', 'vva', 'advocacy_counselling', 'adult_social_care'],
    fields: [
      moduleField('homelessnessApproach', 'Homelessness approach', 'The household approached the council as homeless or at risk of homelessness.', 'boolean'),
      moduleField('temporaryAccommodation', 'Temporary accommodation', 'The household was placed in temporary accommodation.', 'boolean'),
      moduleField('movedDueToAbuse', 'Moved due to abuse', 'The household moved home because of the abuse.', 'boolean'),
      moduleField('outcome', 'Housing outcome', 'Where the household ended up.', 'code', { codeList: codeLists.housingOutcome, required: false }),
    ],
  },
  {
    name: 'refuge',
    label: 'Refuge',
    definition: 'A stay in refuge.',
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['refuge'],
    fields: [
      moduleField('admissionDate', 'Admission date', 'The date the woman was admitted to the refuge (ISO 8601).', 'date'),
      moduleField('departureDate', 'Departure date', 'The date she left (ISO 8601), on or after the admission date; absent while she is resident.', 'date', {
        required: false,
      }),
      moduleField('childrenAccommodated', 'Children accommodated', 'Children accommodated in the refuge with her.', 'integer', { minimum: 0, maximum: 30 }),
    ],
  },
  {
    name: 'court',
    label: 'Court',
    definition: 'The criminal case, for a specialist domestic abuse court or court support service.',
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['specialist_da_court', 'idva', 'isva', 'vva', 'police', 'advocacy_counselling'],
    fields: [
      moduleField('caseHeard', 'Case heard', 'The case was heard at court.', 'boolean'),
      moduleField('attendedCourt', 'Attended court', 'The victim-survivor attended court.', 'boolean'),
      moduleField('supportAtCourt', 'Support at court', 'The victim-survivor was supported at court (by an IDVA or court advocate).', 'boolean'),
      moduleField('outcome', 'Court outcome', 'The outcome of the case; ongoing until it is finalised.', 'code', { codeList: codeLists.courtOutcome }),
      moduleField(
        'earlyGuiltyPlea',
        'Early guilty plea',
        'The defendant pleaded guilty at the first hearing; null when not known or not applicable.',
        'boolean',
        yesNoOrNull,
      ),
      moduleField(
        'preSentenceReport',
        'Pre-sentence report',
        'A pre-sentence report was prepared; null when not known or not applicable.',
        'boolean',
        yesNoOrNull,
      ),
    ],
  },
  {
    name: 'safeguarding',
    label: 'Safeguarding',
    definition: "Children's and adult social care status.",
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['childrens_social_care', 'adult_social_care', 'marac', 'idva', 'vva', 'police', 'acute_health', 'maternity', 'mental_health'],
    fields: [
      moduleField('childInNeed', 'Child in need', 'A child of the household is a child in need (Children Act 1989 s.17).', 'boolean'),
      moduleField('childProtectionPlan', 'Child protection plan', 'A child of the household is subject to a child protection plan.', 'boolean'),
      moduleField('adultSafeguardingConcern', 'Adult safeguarding concern', 'An adult safeguarding concern was raised (Care Act 2014).', 'boolean'),
      moduleField('section42Enquiry', 'Section 42 enquiry', 'A Care Act 2014 section 42 safeguarding enquiry was made.', 'boolean'),
    ],
  },
  {
    name: 'health',
    protection: 'special_category',
    label: 'Health',
    definition: 'A disclosure or referral in health services.',
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['acute_health', 'maternity', 'sexual_health', 'primary_care', 'mental_health', 'substance_misuse'],
    fields: [
      moduleField('setting', 'Health setting', 'Where in health services the person was seen.', 'code', { codeList: codeLists.healthSetting }),
      moduleField('disclosure', 'Disclosure', 'The person disclosed abuse in this setting.', 'boolean'),
    ],
  },
  {
    name: 'programme',
    label: 'Programme',
    definition: 'A programme for people who harm, young people or survivors, and how far the person got.',
    type: 'object',
    required: false,
    since: '1.1.0',
    serviceTypes: ['perpetrator_programme', 'advocacy_counselling', 'childrens_social_care', 'substance_misuse', 'mental_health', 'other'],
    fields: [
      moduleField('programmeType', 'Programme type', 'The kind of programme.', 'code', { codeList: codeLists.programmeType }),
      moduleField('stage', 'Stage', 'The furthest stage reached: each stage implies the ones before it.', 'code', { codeList: codeLists.programmeStage }),
      moduleField(
        'partnerSupported',
        'Partner supported',
        'The partner or ex-partner was offered support alongside the programme; null when not known.',
        'boolean',
        yesNoOrNull,
      ),
    ],
  },
];

/** The service types each module is for, by module name (`serviceTypes` of `moduleFields`). */
export const moduleServiceTypes: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  moduleFields.map((module) => [module.name, module.serviceTypes ?? []]),
);

/** A yes/no outcome at closure (1.1.0): optional, and null or absent when not asked or not answered. */
function closureOutcome(name: string, label: string, what: string): FieldDefinition {
  return {
    name,
    label,
    definition: `${what} at closure; null (or absent) when not asked or not answered.`,
    type: 'boolean',
    nullable: true,
    required: false,
    since: '1.1.0',
  };
}

export const recordFields: readonly FieldDefinition[] = [
  {
    name: 'referralId',
    protection: 'quasi_identifier',
    label: 'Referral ID',
    definition:
      "The provider's own pseudonymous reference for the referral, unique within the service and period. Never a name: letters, digits and . _ : / - only.",
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$',
    maxLength: 64,
    required: true,
  },
  {
    name: 'referralDate',
    protection: 'quasi_identifier',
    label: 'Referral date',
    definition: 'The date the service received the referral (ISO 8601), inside the return period.',
    type: 'date',
    required: true,
  },
  {
    name: 'referralSource',
    label: 'Referral source',
    definition: 'Who referred the person.',
    type: 'code',
    codeList: codeLists.referralSource,
    required: true,
  },
  {
    name: 'status',
    label: 'Status',
    definition:
      'The outcome of the referral at intake. Absent means accepted, and is stored and shown as absent (not as accepted). Every status counts in the referrals received.',
    type: 'code',
    codeList: codeLists.referralStatus,
    required: false,
    since: '1.1.0',
  },
  {
    name: 'subject',
    label: 'Subject',
    definition:
      'Whom the record is about: victim (absent means victim) or perpetrator, a person who harms referred to a service themselves (perpetrator programmes, probation, or a substance-misuse, mental-health or homelessness service supporting them). With perpetrator, perpetrators holds exactly that one person and victim is optional (the partner or ex-partner, when known).',
    type: 'code',
    codeList: codeLists.subject,
    required: false,
    since: '1.1.0',
  },
  { name: 'category', label: 'Category', definition: 'VAWG or non-VAWG crime.', type: 'code', codeList: codeLists.category, required: true },
  {
    name: 'vawgTypes',
    label: 'VAWG types',
    definition: 'Forms of VAWG involved (at least one).',
    type: 'codes',
    codeList: codeLists.vawgType,
    required: false,
    minItems: 1,
    requiredWhen: { field: 'category', equals: 'vawg', text: 'required when category is vawg, absent otherwise' },
  },
  {
    name: 'nonVawgCrimeType',
    label: 'Non-VAWG crime type',
    definition: 'The kind of crime when the referral is not VAWG.',
    type: 'code',
    codeList: codeLists.nonVawgCrimeType,
    required: false,
    requiredWhen: { field: 'category', equals: 'non_vawg', text: 'required when category is non_vawg, absent otherwise' },
  },
  {
    name: 'policeInvolvement',
    label: 'Police involvement',
    definition: 'Crime, non-crime incident, or not reported.',
    type: 'code',
    codeList: codeLists.policeInvolvement,
    required: true,
  },
  { name: 'riskLevel', label: 'Risk level', definition: 'Risk level identified at referral.', type: 'code', codeList: codeLists.riskLevel, required: true },
  { name: 'riskTool', label: 'Risk tool', definition: 'The risk-assessment tool used.', type: 'code', codeList: codeLists.riskTool, required: false },
  {
    name: 'repeatReferral',
    label: 'Repeat referral',
    definition: 'The person was referred to this service in the previous 12 months.',
    type: 'boolean',
    required: true,
  },
  {
    name: 'childrenInHousehold',
    protection: 'quasi_identifier',
    label: 'Children in household',
    definition: 'Children in the household, who are victims of domestic abuse in their own right (Domestic Abuse Act 2021 s.3).',
    type: 'integer',
    minimum: 0,
    maximum: 30,
    required: true,
  },
  {
    name: 'victim',
    label: 'Victim',
    definition: 'The victim/survivor referred.',
    type: 'object',
    required: true,
    optionalWhen: { field: 'subject', equals: 'perpetrator', text: 'required unless subject is perpetrator, when it is the partner or ex-partner, if known' },
    fields: victimFields,
  },
  {
    name: 'perpetrators',
    label: 'Alleged perpetrators',
    definition: 'Alleged perpetrators, recorded separately from the victim (may be empty).',
    type: 'objects',
    required: true,
    itemsWhen: { field: 'subject', equals: 'perpetrator', items: 1, text: 'must hold exactly one entry, the person referred, when subject is perpetrator' },
    fields: perpetratorFields,
  },
  { name: 'supportNeeds', label: 'Support needs', definition: "The victim's support needs.", type: 'codes', codeList: codeLists.supportNeed, required: false },
  {
    name: 'supportProvided',
    label: 'Support provided',
    definition: 'The support the service actually provided, in the codes of supportNeeds.',
    type: 'codes',
    codeList: codeLists.supportNeed,
    required: false,
    since: '1.1.0',
  },
  {
    name: 'onwardReferrals',
    label: 'Onward referrals',
    definition: 'Referrals this service made to others (e.g. VVA to IDVA), so records can be matched across services.',
    type: 'objects',
    required: true,
    fields: [
      {
        name: 'serviceType',
        label: 'Service type',
        definition: 'The kind of service referred to.',
        type: 'code',
        codeList: codeLists.serviceType,
        required: true,
      },
      {
        name: 'service',
        label: 'Service',
        definition: 'The registered service id referred to, when known.',
        type: 'string',
        pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$',
        maxLength: 64,
        required: false,
      },
      {
        name: 'date',
        label: 'Date',
        definition: 'The date the onward referral was made (ISO 8601): on or after the referral date, possibly after the period.',
        type: 'date',
        required: false,
        since: '1.1.0',
      },
      {
        name: 'for',
        label: 'For',
        definition: 'Whom the onward referral is for; absent means the victim.',
        type: 'code',
        codeList: codeLists.onwardReferralFor,
        required: false,
        since: '1.1.0',
      },
      {
        name: 'outcome',
        label: 'Outcome',
        definition: 'What became of the onward referral; no_service_available is the unmet need.',
        type: 'code',
        codeList: codeLists.onwardOutcome,
        required: false,
        since: '1.1.0',
      },
    ],
  },
  {
    name: 'closure',
    label: 'Closure',
    definition: 'Outcome and service-user feedback at the end of contact (review section 4.6).',
    type: 'object',
    required: false,
    fields: [
      { name: 'closedDate', label: 'Closed date', definition: 'The date contact ended; on or after the referral date.', type: 'date', required: true },
      { name: 'reason', label: 'Reason', definition: 'Why contact ended.', type: 'code', codeList: codeLists.closureReason, required: true },
      {
        name: 'riskReduced',
        label: 'Risk reduced',
        definition: 'Risk was reduced at closure; null when not assessed.',
        type: 'boolean',
        nullable: true,
        required: true,
      },
      {
        name: 'feelsSafer',
        label: 'Feels safer',
        definition: 'The person said they feel safer; null when not asked or not answered.',
        type: 'boolean',
        nullable: true,
        required: true,
      },
      closureOutcome('abuseReduced', 'Abuse reduced', 'The abuse reduced or stopped'),
      closureOutcome('qualityOfLifeImproved', 'Quality of life improved', 'The person said their quality of life improved'),
      closureOutcome('childrenSafer', 'Children safer', 'The children of the household are safer'),
      {
        name: 'riskLevelAtClosure',
        label: 'Risk level at closure',
        definition: 'The risk level at the end of contact, in the codes of riskLevel.',
        type: 'code',
        codeList: codeLists.riskLevel,
        required: false,
        since: '1.1.0',
      },
      {
        name: 'relationshipAtClosure',
        label: 'Relationship at closure',
        definition: 'The relationship with the person who harmed them, at the end of contact.',
        type: 'code',
        codeList: codeLists.relationshipAtClosure,
        required: false,
        since: '1.1.0',
      },
    ],
  },
  ...moduleFields,
];

/** A victim field by name; throws on a name the dataset does not have (a programming error). */
export function victimField(name: string): FieldDefinition {
  const field = victimFields.find((f) => f.name === name);
  if (!field) throw new Error(`no victim field ${name}`);
  return field;
}

/** Codes a coded field accepts, including the person answers where they apply. */
export function acceptedCodes(field: FieldDefinition): string[] {
  const codes = field.codeList ? field.codeList.codes.map((c) => c.code) : [];
  if (field.personAnswers) {
    for (const { code } of personAnswerCodes) if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}
