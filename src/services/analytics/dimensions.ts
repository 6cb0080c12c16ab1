/**
 * The dimensions analysts can group by. Each has a domain (every code it can take, so tables are
 * complete with zeros) derived from the dataset's code lists, and a SQL expression over the current
 * records (`r`, the analytic projection, holding its return's `period` and `service_id`), services
 * (`s`) and, for perpetrator dimensions, one perpetrator (`p`). Codes are inlined as SQL literals:
 * they are constants of the dataset, never user input.
 */
import { sql, type SQL } from 'drizzle-orm';
import { codeLists, listCodes, type CodeList } from '../../schema/dataset/code-lists.js';
import { fieldColumn, fieldSql, type FieldPath } from '../../schema/dataset/columns.js';
import {
  ageBandSets,
  ethnicityGroupOf,
  isLgbtPlus,
  minoritisedEthnicityCodes,
  minoritisedEthnicityOf,
  type AgeBandSetId,
} from '../../schema/dataset/derived.js';
import { acceptedCodes, perpetratorFields, recordFields, victimField, type FieldDefinition } from '../../schema/dataset/fields.js';
import { personLocalAuthoritySql, type Scope } from './scope.js';

/** Records with no value for a multi-valued dimension (no perpetrator, no vulnerability…). */
export const NONE = 'none';
/** Optional fields the provider left out. */
export const NOT_RECORDED = 'not_recorded';

export interface DimensionContext {
  scope: Scope;
  ageBands: AgeBandSetId;
  /**
   * The local authorities the records in scope name (`localAuthority`'s open domain), read by
   * `presentLocalAuthorities` before the table is built; absent, only the codes every table has.
   */
  localAuthorities?: readonly string[];
}

export interface Dimension {
  id: string;
  label: string;
  /** Counts a record once per value (lists such as vawgTypes, or one row per perpetrator). */
  multiValued: boolean;
  domain(context: DimensionContext): string[];
  expression(context: DimensionContext): SQL;
  /** A lateral join the expression needs; dimensions sharing one are joined once. */
  lateral?: Lateral;
  /** The code list its codes are labelled from, when not found by its id (csv-tables.ts). */
  codeList?: CodeList;
}

export type Lateral =
  'perpetrator' | 'perpetratorVulnerability' | 'vawgType' | 'vulnerability' | 'supportNeed' | 'supportProvided' | 'securityMeasure' | 'onward';

/** Laterals over a record's perpetrators: a record counts once per perpetrator (or per perpetrator's value). */
export function isPerPerpetrator(d: Dimension): boolean {
  return d.lateral === 'perpetrator' || d.lateral === 'perpetratorVulnerability';
}

/** Onward-referral dimensions count onward-referral entries, not records (contract 1.1 section 4). */
export function isPerOnwardReferral(d: Dimension): boolean {
  return d.lateral === 'onward';
}

export function literal(code: string): SQL {
  if (!/^[A-Za-z0-9_+\-.]+$/.test(code)) throw new Error(`not a code: ${code}`);
  return sql.raw(`'${code}'`);
}

function caseOf(column: SQL, mapping: Array<[string, string]>, otherwise: string): SQL {
  return sql`(case ${column} ${sql.join(
    mapping.map(([from, to]) => sql`when ${literal(from)} then ${literal(to)}`),
    sql` `,
  )} else ${literal(otherwise)} end)`;
}

export function ageBandSql(age: SQL, set: AgeBandSetId): SQL {
  const bands = ageBandSets[set].bands;
  return sql`(case when ${age} is null then 'not_known' ${sql.join(
    bands.map((b) =>
      b.max === null
        ? sql`when ${age} >= ${sql.raw(String(b.min))} then ${literal(b.code)}`
        : sql`when ${age} between ${sql.raw(String(b.min))} and ${sql.raw(String(b.max))} then ${literal(b.code)}`,
    ),
    sql` `,
  )} else 'not_known' end)`;
}

export function ethnicityGroupSql(ethnicity: SQL): SQL {
  const codes = acceptedCodes(victimField('ethnicity'));
  return caseOf(
    ethnicity,
    codes.map((c) => [c, ethnicityGroupOf(c)]),
    'not_known',
  );
}

/**
 * The answer a derived rule gives, as a decision tree over its inputs' codes: a leaf, or a branch
 * per code with `otherwise` for any other value (in SQL, also null).
 */
type Decision = string | { branches: Array<[string, Decision]>; otherwise: Decision };

/** Stands for "any value not in the list" when the rule is tabulated; no code list has it. */
const UNLISTED = '';

function tabulate(codes: ReadonlyArray<readonly string[]>, rule: (...inputs: string[]) => string, bound: string[] = []): Decision {
  if (bound.length === codes.length) return rule(...bound);
  const otherwise = tabulate(codes, rule, [...bound, UNLISTED]);
  const same = (a: Decision, b: Decision) => JSON.stringify(a) === JSON.stringify(b);
  // Codes answering as any other value would need no branch of their own.
  const branches = codes[bound.length]!.map((code): [string, Decision] => [code, tabulate(codes, rule, [...bound, code])]).filter(
    ([, d]) => !same(d, otherwise),
  );
  return branches.length ? { branches, otherwise } : otherwise;
}

function decisionSql(inputs: readonly SQL[], decision: Decision, depth = 0): SQL {
  if (typeof decision === 'string') return literal(decision);
  return sql`(case ${inputs[depth]!} ${sql.join(
    decision.branches.map(([code, d]) => sql`when ${literal(code)} then ${decisionSql(inputs, d, depth + 1)}`),
    sql` `,
  )} else ${decisionSql(inputs, decision.otherwise, depth + 1)} end)`;
}

/**
 * A derived grouping in SQL, generated from its one TypeScript rule by evaluating the rule on every
 * combination of the inputs' codes (and on an unlisted value, which null and stray values take),
 * so the two cannot drift apart.
 */
export function ruleSql(inputs: ReadonlyArray<{ value: SQL; codes: readonly string[] }>, rule: (...codes: string[]) => string): SQL {
  return decisionSql(
    inputs.map((i) => i.value),
    tabulate(
      inputs.map((i) => i.codes),
      rule,
    ),
  );
}

/** `isLgbtPlus` as yes / no / not_known. */
export function lgbtPlusOf(sexualOrientation: string, genderIdentitySameAsSex: string): 'yes' | 'no' | 'not_known' {
  const lgbtPlus = isLgbtPlus(sexualOrientation, genderIdentitySameAsSex);
  return lgbtPlus === null ? 'not_known' : lgbtPlus ? 'yes' : 'no';
}

/** LGBT+ as yes / no / not_known, generated from `isLgbtPlus`. */
export function lgbtPlusSql(orientation: SQL, sameAsSex: SQL): SQL {
  return ruleSql(
    [
      { value: orientation, codes: acceptedCodes(victimField('sexualOrientation')) },
      { value: sameAsSex, codes: acceptedCodes(victimField('genderIdentitySameAsSex')) },
    ],
    lgbtPlusOf,
  );
}

/** `minoritisedEthnicityOf` (yes / no / not_known) in SQL, generated from the rule. */
export function minoritisedEthnicitySql(ethnicity: SQL): SQL {
  return ruleSql([{ value: ethnicity, codes: acceptedCodes(victimField('ethnicity')) }], minoritisedEthnicityOf);
}

/** A dimension read straight from a coded victim field. */
function victimDimension(name: string, id = name): Dimension {
  const { field } = fieldColumn(['victim', name]);
  const optional = !field.required;
  const column = fieldSql(['victim', name]);
  return {
    id,
    label: field.label,
    multiValued: false,
    // A perpetrator's referral may name no victim (fields.ts): then even a required field is not recorded.
    domain: ({ scope }) => [...acceptedCodes(field), ...(optional || scope.subject === 'perpetrator' ? [NOT_RECORDED] : [])],
    expression: () => sql`coalesce(${column}, ${literal(NOT_RECORDED)})`,
  };
}

/** A dimension read straight from a coded record field, over its code list (and `extra`, which a missing value takes). */
function recordCodeDimension(path: FieldPath, extra: string[] = [], id?: string): Dimension {
  const { field } = fieldColumn(path);
  const list = field.codeList;
  if (!list) throw new Error(`${field.name} is not a coded field`);
  const column = fieldSql(path);
  return {
    id: id ?? field.name,
    label: id ? field.label : list.label,
    multiValued: false,
    codeList: list,
    domain: () => [...listCodes(list), ...extra],
    expression: () => (extra.length ? sql`coalesce(${column}, ${literal(extra[0]!)})` : column),
  };
}

/** A module of the record (`sanctuary`, `closure`…) by name. */
function moduleOf(name: string): FieldDefinition {
  const module = recordFields.find((f) => f.name === name && f.type === 'object');
  if (!module) throw new Error(`no record module ${name}`);
  return module;
}

/**
 * The record carries the module: a module is given whole (fields.ts), so its first required,
 * non-nullable field is present exactly when the module is. Shared with completeness.
 */
export function modulePresentSql(name: string, alias = 'r'): SQL {
  const module = moduleOf(name);
  const marker = module.fields?.find((f) => f.required && !f.nullable && f.type !== 'object');
  if (!marker) throw new Error(`module ${name} has no field that marks it present`);
  return sql`${fieldSql([name, marker.name], alias)} is not null`;
}

function listDimension(id: Lateral & string, list: keyof typeof codeLists, label: string): Dimension {
  return {
    id,
    label,
    multiValued: true,
    lateral: id,
    domain: () => [...listCodes(codeLists[list]), NONE],
    expression: () => sql`coalesce(${sql.raw(`${id}_value.code`)}, ${literal(NONE)})`,
  };
}

/** A list field of a module as a multi-valued dimension: `not_recorded` without the module, `none` for an empty list. */
function moduleListDimension(id: Lateral & string, path: string, label: string): Dimension {
  const { field } = fieldColumn(path);
  const list = field.codeList!;
  return {
    id,
    label,
    multiValued: true,
    lateral: id,
    codeList: list,
    domain: () => [...listCodes(list), NONE, NOT_RECORDED],
    expression: () =>
      sql`(case when not (${modulePresentSql(path.split('.')[0]!)}) then ${literal(NOT_RECORDED)} else coalesce(${sql.raw(`${id}_value.code`)}, ${literal(NONE)}) end)`,
  };
}

/** A coded field of each perpetrator (one row per perpetrator): `none` without perpetrators, `not_recorded` when left out. */
function perpetratorCodeDimension(name: string, id: string, label: string): Dimension {
  const field = perpetratorFields.find((f) => f.name === name)!;
  return {
    id,
    label,
    multiValued: true,
    lateral: 'perpetrator',
    ...(field.codeList ? { codeList: field.codeList } : {}),
    domain: () => [...acceptedCodes(field), NOT_RECORDED, NONE],
    expression: () => sql`(case when p.value is null then ${literal(NONE)} else coalesce(p.value->>${literal(name)}, ${literal(NOT_RECORDED)}) end)`,
  };
}

const perpetratorSexField = perpetratorFields.find((f) => f.name === 'sex')!;
const relationshipField = perpetratorFields.find((f) => f.name === 'relationshipToVictim')!;

const dimensionList: Dimension[] = [
  { id: 'period', label: 'Quarter', multiValued: false, domain: ({ scope }) => scope.quarters.map((q) => q.id), expression: () => sql`r.period` },
  { id: 'service', label: 'Service', multiValued: false, domain: ({ scope }) => scope.services.map((s) => s.id), expression: () => sql`r.service_id` },
  { id: 'serviceType', label: 'Service type', multiValued: false, domain: () => listCodes(codeLists.serviceType), expression: () => sql`s.service_type` },
  {
    id: 'area',
    label: 'Area',
    multiValued: false,
    domain: ({ scope }) => [...new Set(scope.services.map((s) => s.area))].sort(),
    expression: () => sql`s.area`,
  },
  recordCodeDimension('referralSource'),
  recordCodeDimension('category'),
  listDimension('vawgType', 'vawgType', 'VAWG type'),
  recordCodeDimension('nonVawgCrimeType', [NONE]),
  recordCodeDimension('policeInvolvement'),
  recordCodeDimension('riskLevel'),
  {
    id: 'repeatReferral',
    label: 'Repeat referral (provider-reported)',
    multiValued: false,
    domain: () => ['yes', 'no'],
    expression: () => sql`(case when ${fieldSql('repeatReferral')} then 'yes' else 'no' end)`,
  },
  {
    id: 'ageBand',
    label: 'Age band',
    multiValued: false,
    domain: ({ ageBands }) => [...ageBandSets[ageBands].bands.map((b) => b.code), 'not_known'],
    expression: ({ ageBands }) => ageBandSql(fieldSql('victim.age'), ageBands),
  },
  victimDimension('sex'),
  victimDimension('genderIdentitySameAsSex'),
  victimDimension('sexualOrientation'),
  {
    id: 'lgbtPlus',
    label: 'LGBT+',
    multiValued: false,
    domain: () => ['yes', 'no', 'not_known'],
    expression: () => lgbtPlusSql(fieldSql('victim.sexualOrientation'), fieldSql('victim.genderIdentitySameAsSex')),
  },
  victimDimension('ethnicity'),
  {
    id: 'ethnicityGroup',
    label: codeLists.ethnicityGroup.label,
    multiValued: false,
    domain: () => [...listCodes(codeLists.ethnicityGroup), 'not_known', 'prefer_not_to_say'],
    expression: () => ethnicityGroupSql(fieldSql('victim.ethnicity')),
  },
  {
    // The definition minoritisedEthnicityRate counts, with a population share of its own: the five
    // groups above put White British and White minorities together.
    id: 'minoritisedEthnicity',
    label: 'Racially minoritised: any ethnic group other than White British',
    multiValued: false,
    domain: () => [...minoritisedEthnicityCodes],
    expression: () => minoritisedEthnicitySql(fieldSql('victim.ethnicity')),
  },
  victimDimension('religion'),
  victimDimension('disability'),
  victimDimension('pregnancy'),
  victimDimension('maritalStatus'),
  {
    id: 'interpreterRequired',
    label: 'Interpreter required',
    multiValued: false,
    domain: () => ['yes', 'no', 'not_known'],
    expression: () => {
      const interpreter = fieldSql('victim.interpreterRequired');
      return sql`(case when ${interpreter} then 'yes' when not ${interpreter} then 'no' else 'not_known' end)`;
    },
  },
  victimDimension('relationshipToArea'),
  victimDimension('residence'),
  listDimension('vulnerability', 'vulnerability', 'Vulnerability'),
  listDimension('supportNeed', 'supportNeed', 'Support need'),
  {
    id: 'relationshipToVictim',
    label: relationshipField.label,
    multiValued: true,
    lateral: 'perpetrator',
    domain: () => [...acceptedCodes(relationshipField), NONE],
    expression: () => sql`coalesce(p.value->>'relationshipToVictim', ${literal(NONE)})`,
  },
  {
    id: 'perpetratorSex',
    label: 'Perpetrator sex',
    multiValued: true,
    lateral: 'perpetrator',
    domain: () => [...acceptedCodes(perpetratorSexField), NONE],
    expression: () => sql`coalesce(p.value->>'sex', ${literal(NONE)})`,
  },
  {
    id: 'perpetratorAgeBand',
    label: 'Perpetrator age band',
    multiValued: true,
    lateral: 'perpetrator',
    domain: ({ ageBands }) => [...ageBandSets[ageBands].bands.map((b) => b.code), 'not_known', NONE],
    expression: ({ ageBands }) => sql`(case when p.value is null then ${literal(NONE)} else ${ageBandSql(sql`(p.value->>'age')::int`, ageBands)} end)`,
  },
  // Dataset 1.1.0 (contract section 4).
  {
    id: 'subject',
    label: codeLists.subject.label,
    multiValued: false,
    codeList: codeLists.subject,
    domain: () => listCodes(codeLists.subject),
    // Absent means a victim (fields.ts).
    expression: () => sql`coalesce(${fieldSql('subject')}, ${literal('victim')})`,
  },
  {
    id: 'status',
    label: codeLists.referralStatus.label,
    multiValued: false,
    codeList: codeLists.referralStatus,
    domain: () => listCodes(codeLists.referralStatus),
    // Section 8: a record with no status was accepted.
    expression: () => sql`coalesce(${fieldSql('status')}, ${literal('accepted')})`,
  },
  {
    // An open set (GSS codes): the domain is the codes the records in scope name, plus the two
    // every table has. Listing a code tells no more than its cell does: a code in the domain is a
    // cell above zero, which a complete table over every GSS code would show as a suppressed or
    // published count anyway; cells get the same suppression and noise as any other dimension.
    id: 'localAuthority',
    label: victimField('localAuthority').label,
    multiValued: false,
    domain: ({ localAuthorities = [] }) => [...[...localAuthorities].filter((c) => c !== 'not_known' && c !== NOT_RECORDED).sort(), 'not_known', NOT_RECORDED],
    expression: () => sql`coalesce(${personLocalAuthoritySql()}, ${literal(NOT_RECORDED)})`,
  },
  recordCodeDimension('closure.reason', [NOT_RECORDED], 'closureReason'),
  recordCodeDimension('closure.riskLevelAtClosure', [NOT_RECORDED], 'riskLevelAtClosure'),
  recordCodeDimension('closure.relationshipAtClosure', [NOT_RECORDED], 'relationshipAtClosure'),
  {
    id: 'onwardServiceType',
    label: 'Onward referral: service type',
    multiValued: true,
    lateral: 'onward',
    codeList: codeLists.serviceType,
    domain: () => [...listCodes(codeLists.serviceType), NONE],
    expression: () => sql`coalesce(o.value->>'serviceType', ${literal(NONE)})`,
  },
  {
    id: 'onwardOutcome',
    label: codeLists.onwardOutcome.label,
    multiValued: true,
    lateral: 'onward',
    codeList: codeLists.onwardOutcome,
    domain: () => [...listCodes(codeLists.onwardOutcome), NOT_RECORDED, NONE],
    expression: () => sql`(case when o.value is null then ${literal(NONE)} else coalesce(o.value->>'outcome', ${literal(NOT_RECORDED)}) end)`,
  },
  {
    ...listDimension('supportProvided', 'supportNeed', 'Support provided'),
    codeList: codeLists.supportNeed,
  },
  moduleListDimension('securityMeasure', 'sanctuary.securityMeasures', 'Security measure'),
  recordCodeDimension('sanctuary.tenure', [NOT_RECORDED], 'tenure'),
  recordCodeDimension('housing.outcome', [NOT_RECORDED], 'housingOutcome'),
  recordCodeDimension('court.outcome', [NOT_RECORDED], 'courtOutcome'),
  recordCodeDimension('health.setting', [NOT_RECORDED], 'healthSetting'),
  recordCodeDimension('programme.programmeType', [NOT_RECORDED], 'programmeType'),
  recordCodeDimension('programme.stage', [NOT_RECORDED], 'programmeStage'),
  {
    id: 'perpetratorEthnicityGroup',
    label: 'Perpetrator ethnic group',
    multiValued: true,
    lateral: 'perpetrator',
    codeList: codeLists.ethnicityGroup,
    domain: () => [...listCodes(codeLists.ethnicityGroup), 'not_known', 'prefer_not_to_say', NOT_RECORDED, NONE],
    expression: () => {
      const ethnicity = sql`(p.value->>'ethnicity')`;
      return sql`(case when p.value is null then ${literal(NONE)} when ${ethnicity} is null then ${literal(NOT_RECORDED)} else ${ethnicityGroupSql(ethnicity)} end)`;
    },
  },
  perpetratorCodeDimension('disability', 'perpetratorDisability', 'Perpetrator disability'),
  {
    id: 'perpetratorVulnerability',
    label: 'Perpetrator vulnerability',
    multiValued: true,
    lateral: 'perpetratorVulnerability',
    codeList: codeLists.vulnerability,
    domain: () => [...listCodes(codeLists.vulnerability), NOT_RECORDED, NONE],
    // No perpetrator, or a perpetrator with an empty list: none; the optional list left out: not_recorded.
    expression: () =>
      sql`(case when p.value is null then ${literal(NONE)} when jsonb_typeof(p.value->'vulnerabilities') is distinct from 'array' then ${literal(NOT_RECORDED)} else coalesce(pv.code, ${literal(NONE)}) end)`,
  },
];

export const dimensions: Record<string, Dimension> = Object.fromEntries(dimensionList.map((d) => [d.id, d]));

export const dimensionIds = Object.keys(dimensions);

/**
 * The lateral joins the chosen dimensions need, each once. `p` (one row per perpetrator, with its
 * 0-based `position` in `perpetrators`, as `perpetrator_keys` numbers them) comes before the
 * perpetrators' own lists; `o` is one row per onward referral. With `perpetratorRows` (the
 * perpetrators measure) `p` is an inner join: a record without perpetrators has no one to count.
 */
export function lateralJoins(chosen: readonly Dimension[], options: { perpetratorRows?: boolean } = {}): SQL {
  const wanted = new Set(chosen.flatMap((d) => (d.lateral ? [d.lateral] : [])));
  if (wanted.has('perpetratorVulnerability') || options.perpetratorRows) wanted.add('perpetrator');
  const order: Lateral[] = [
    'perpetrator',
    'perpetratorVulnerability',
    'vawgType',
    'vulnerability',
    'supportNeed',
    'supportProvided',
    'securityMeasure',
    'onward',
  ];
  const needed = order.filter((l) => wanted.has(l));
  const perpetrators = sql`lateral (select e.value, e.n - 1 as position from jsonb_array_elements(${fieldSql('perpetrators')}) with ordinality as e(value, n)) as p`;
  const joins: Record<Lateral, SQL> = {
    perpetrator: options.perpetratorRows ? sql`join ${perpetrators} on true` : sql`left join ${perpetrators} on true`,
    perpetratorVulnerability: sql`left join lateral jsonb_array_elements_text(case when jsonb_typeof(p.value->'vulnerabilities') = 'array' then p.value->'vulnerabilities' else '[]'::jsonb end) as pv(code) on true`,
    vawgType: sql`left join lateral unnest(${fieldSql('vawgTypes')}) with ordinality as vawgType_value(code, ord) on true`,
    vulnerability: sql`left join lateral unnest(${fieldSql('victim.vulnerabilities')}) with ordinality as vulnerability_value(code, ord) on true`,
    supportNeed: sql`left join lateral unnest(${fieldSql('supportNeeds')}) with ordinality as supportNeed_value(code, ord) on true`,
    supportProvided: sql`left join lateral unnest(${fieldSql('supportProvided')}) with ordinality as supportProvided_value(code, ord) on true`,
    securityMeasure: sql`left join lateral unnest(${fieldSql('sanctuary.securityMeasures')}) with ordinality as securityMeasure_value(code, ord) on true`,
    onward: sql`left join lateral (select e.value, e.n - 1 as position from jsonb_array_elements(${fieldSql('onwardReferrals')}) with ordinality as e(value, n)) as o on true`,
  };
  return sql.join(
    needed.map((n) => joins[n]!),
    sql` `,
  );
}

/**
 * Whether a row is its record's first of a lateral (or the row of a record with none): a count
 * taken across the lateral's dimensions counts those rows alone, so a record counts once.
 */
export function firstLateralRow(lateral: Lateral): SQL {
  if (lateral === 'onward') return sql`(o.position is null or o.position = 0)`;
  if (lateral === 'perpetrator' || lateral === 'perpetratorVulnerability') throw new Error('perpetrator dimensions are counted as distinct records');
  return sql.raw(`(${lateral}_value.ord is null or ${lateral}_value.ord = 1)`);
}
