/**
 * Request and response examples of the OpenAPI document, taken from real responses of this API.
 * `withExamples` puts them on a schema as `x-examples`, which @fastify/swagger moves to the media
 * type's `examples`; `test/app/openapi-examples.test.ts` validates every example against its schema
 * and submits the request examples to the app.
 */
import type { TSchema } from 'typebox';

export interface Example {
  summary: string;
  description?: string;
  value: unknown;
}

export type Examples = Record<string, Example>;

/** The schema with media-type examples (`x-examples`, moved out of the schema by @fastify/swagger). */
export function withExamples<T extends TSchema>(schema: T, examples: Examples): T {
  return { ...schema, 'x-examples': examples } as T;
}

/** Media-type examples for a response given as `content`. */
export const mediaExamples = (examples: Examples) => ({ examples });

const exampleRecords = [
  {
    referralId: 'VVA-2022-0101',
    referralDate: '2022-04-04',
    referralSource: 'police',
    category: 'vawg',
    vawgTypes: ['domestic_abuse'],
    policeInvolvement: 'crime',
    riskLevel: 'high',
    riskTool: 'dash',
    repeatReferral: false,
    childrenInHousehold: 2,
    victim: {
      age: 34,
      sex: 'female',
      genderIdentitySameAsSex: 'yes',
      sexualOrientation: 'heterosexual',
      ethnicity: 'white_british',
      religion: 'no_religion',
      disability: 'no',
      interpreterRequired: false,
      relationshipToArea: 'resident',
      residence: 'in_area',
      vulnerabilities: ['mental_health'],
    },
    perpetrators: [{ relationshipToVictim: 'intimate_partner', sex: 'male', age: 38 }],
    supportNeeds: ['safety_planning', 'housing'],
    onwardReferrals: [{ serviceType: 'idva' }],
  },
  {
    referralId: 'VVA-2022-0102',
    referralDate: '2022-05-17',
    referralSource: 'self',
    category: 'vawg',
    vawgTypes: ['stalking'],
    policeInvolvement: 'not_reported',
    riskLevel: 'medium',
    repeatReferral: true,
    childrenInHousehold: 0,
    victim: {
      age: 27,
      sex: 'female',
      genderIdentitySameAsSex: 'yes',
      sexualOrientation: 'prefer_not_to_say',
      ethnicity: 'asian_indian',
      religion: 'hindu',
      disability: 'not_known',
      interpreterRequired: null,
      relationshipToArea: 'worker',
      residence: 'elsewhere_in_london',
      vulnerabilities: [],
    },
    perpetrators: [{ relationshipToVictim: 'ex_partner', sex: 'male', age: null }],
    onwardReferrals: [],
    closure: { closedDate: '2022-06-20', reason: 'support_completed', riskReduced: true, feelsSafer: true },
  },
];

export const submitReturnJsonExamples: Examples = {
  twoRecords: {
    summary: 'A return of two referrals',
    description: 'The City of London VVA return for April–June 2022. `victim.linkage.slk581` may be added to each victim to count people across services.',
    value: { service: 'col-vva', period: '2022-23-Q1', records: exampleRecords },
  },
};

const csvHeader = [
  'referralId,referralDate,referralSource,category,vawgTypes,nonVawgCrimeType,policeInvolvement,riskLevel,riskTool,repeatReferral,childrenInHousehold',
  'victim.age,victim.sex,victim.genderIdentitySameAsSex,victim.sexualOrientation,victim.ethnicity,victim.religion,victim.disability,victim.pregnancy,victim.maritalStatus,victim.interpreterRequired,victim.relationshipToArea,victim.residence,victim.vulnerabilities,victim.linkage.slk581',
  'perpetrators.1.relationshipToVictim,perpetrators.1.sex,perpetrators.1.age',
  'supportNeeds,onwardReferrals.1.serviceType,onwardReferrals.1.service,closure.closedDate,closure.reason,closure.riskReduced,closure.feelsSafer',
].join(',');

export const submitReturnCsvExamples: Examples = {
  twoRecords: {
    summary: 'The same two referrals as CSV',
    description: 'Send with `?service=col-vva&period=2022-23-Q1`. Empty cells are absent (or null) fields; lists of codes are separated by `;`.',
    value: [
      csvHeader,
      'VVA-2022-0101,2022-04-04,police,vawg,domestic_abuse,,crime,high,dash,false,2,34,female,yes,heterosexual,white_british,no_religion,no,,,false,resident,in_area,mental_health,,intimate_partner,male,38,safety_planning;housing,idva,,,,,',
      'VVA-2022-0102,2022-05-17,self,vawg,stalking,,not_reported,medium,,true,0,27,female,yes,prefer_not_to_say,asian_indian,hindu,not_known,,,,worker,elsewhere_in_london,,,ex_partner,male,,,,,2022-06-20,support_completed,true,true',
      '',
    ].join('\n'),
  },
};

export const returnExamples: Examples = {
  accepted: {
    summary: 'Version 1 of the return, accepted',
    value: {
      id: '1c0a0803-62f1-41c1-9309-04267e68501b',
      service: 'col-vva',
      period: '2022-23-Q1',
      version: 1,
      status: 'current',
      recordCount: 2,
      datasetVersion: '1.0.0',
      receivedAt: '2022-07-14T09:31:02.121Z',
      supersededAt: null,
      warnings: [],
    },
  },
};

export const validationProblemExamples: Examples = {
  invalidRecords: {
    summary: 'Two records with problems: nothing was stored',
    description:
      'Every problem is listed, each with a JSON pointer into the body (or `row N, column …` for CSV) and a machine-readable code. No value is quoted back: a date names the form it must take, a label given for a code names the code.',
    value: {
      type: 'urn:vawg:problem:validation-error',
      title: 'Unprocessable Entity',
      status: 422,
      detail: 'the return has 3 problems; nothing was stored',
      instance: '/v1/returns',
      requestId: '2d8ea66a-0355-4599-8cc0-b723d64f34bd',
      errors: [
        { pointer: '/records/0/riskLevel', code: 'not_in_code_list', detail: 'must be one of: standard, medium, high, not_assessed' },
        {
          pointer: '/records/0/victim/ethnicity',
          code: 'not_in_code_list',
          detail:
            'must be one of: white_british, white_irish, white_gypsy_irish_traveller, white_roma, white_other, mixed_white_black_caribbean, mixed_white_black_african, mixed_white_asian, mixed_other, asian_indian, asian_pakistani, asian_bangladeshi, asian_chinese, asian_other, black_african, black_caribbean, black_other, arab, other_ethnic_group, not_known, prefer_not_to_say',
        },
        { pointer: '/records/1/referralDate', code: 'required', detail: 'is required' },
      ],
    },
  },
};

const disclosure = {
  applied: true,
  rule: 'Counts of 1 or more but below 5 are never published, nor can they be derived from the values that are.',
  threshold: 5,
  primary: 'Every cell, margin and total from 1 to 4 is replaced by null with status "suppressed"; zeros are published.',
  secondary:
    'Further values are suppressed so that no row, column, margin or grand total relation leaves a single suppressed value, and the suppressed values in any published total add up to at least 5; an exact linear audit then confirms that no suppressed value can be recovered by subtraction.',
  rates: 'A rate is suppressed when its numerator or its denominator is suppressed.',
};

export const aggregateExamples: Examples = {
  byRiskLevel: {
    summary: 'Referrals by risk level, as an analyst sees them',
    description:
      '`GET /v1/aggregates?groupBy=riskLevel&period=2022-23-Q1&service=col-idva`. Two small counts are suppressed: one by the threshold, the other so that it cannot be derived from the total.',
    value: {
      measure: 'referrals',
      unit: 'referrals (records)',
      groupBy: ['riskLevel'],
      period: { period: '2022-23-Q1', quarters: ['2022-23-Q1'], service: 'col-idva' },
      multiValued: [],
      cells: [
        { key: { riskLevel: 'standard' }, value: 12, status: 'ok' },
        { key: { riskLevel: 'medium' }, value: 9, status: 'ok' },
        { key: { riskLevel: 'high' }, value: null, status: 'suppressed' },
        { key: { riskLevel: 'not_assessed' }, value: null, status: 'suppressed' },
      ],
      totals: { overall: { value: 27, status: 'ok' }, byDimension: {} },
      disclosure: { ...disclosure, suppressed: 2 },
    },
  },
};

export const indicatorListExamples: Examples = {
  quarter: {
    summary: 'Headline indicators for a quarter (a selection)',
    description: '`GET /v1/indicators?period=2022-23-Q1`: a count, a rate, a suppressed rate and a rate per population with no population figure.',
    value: {
      period: { period: '2022-23-Q1', quarters: ['2022-23-Q1'] },
      indicators: [
        {
          id: 'referrals',
          label: 'Referrals',
          definition: 'Referrals received by the services in scope (one record per referral).',
          numerator: 62,
          denominator: null,
          value: 62,
          unit: 'referrals',
          status: 'ok',
        },
        {
          id: 'highRiskRate',
          label: 'High-risk referrals',
          definition: 'Referrals at high risk ÷ referrals with a risk level other than not_assessed.',
          numerator: 16,
          denominator: 47,
          value: 0.3404255319148936,
          unit: 'rate',
          status: 'ok',
          percent: 34,
        },
        {
          id: 'disabilityRate',
          label: 'Disabled victims',
          definition: 'Victims with a disability ÷ victims answering yes or no.',
          numerator: null,
          denominator: null,
          value: null,
          unit: 'rate',
          status: 'suppressed',
          percent: null,
        },
        {
          id: 'referralsPer1000Population',
          label: 'Referrals per 1,000 population, for the period (not annualised)',
          definition: 'Referrals ÷ the population of the areas of the services in scope × 1,000. Population year used: E09000001: none.',
          numerator: 62,
          denominator: null,
          value: null,
          unit: 'per 1,000 population',
          status: 'not_available',
        },
      ],
      disclosure: { ...disclosure, suppressed: 1 },
    },
  },
};
