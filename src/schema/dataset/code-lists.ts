/**
 * Every code list of the VAWG dataset, as data. Validation, `GET /v1/dataset`, the OpenAPI enums,
 * CSV templates and the aggregate dimensions are all derived from this file: a code is added here
 * or nowhere.
 *
 * Sources: the v1 contract, GSS harmonised standards (ethnicity 2021 England, sexual orientation,
 * religion), SafeLives Marac dataset, Domestic Abuse Act 2021.
 */

export interface Code {
  readonly code: string;
  readonly label: string;
  readonly definition?: string;
  /**
   * The dataset version that added the code (absent: in 1.0.0). A return declaring an earlier
   * version does not accept it, and that version's documents do not list it (`versions.ts`).
   */
  readonly since?: string;
}

export interface CodeList {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly source?: string;
  readonly codes: readonly Code[];
  /** The dataset version that added the list (absent: in 1.0.0); earlier versions' documents do not list it (`versions.ts`). */
  readonly since?: string;
}

/** Codes every coded field about a person also accepts (contract: "Every coded person field…"). */
export const personAnswerCodes: readonly Code[] = [
  { code: 'not_known', label: 'Not known', definition: 'The service does not know the answer (not asked, or not recorded).' },
  { code: 'prefer_not_to_say', label: 'Prefer not to say', definition: 'The person was asked and chose not to answer.' },
];

function list(id: string, label: string, description: string, codes: Array<[string, string, string?, string?]>, source?: string, since?: string): CodeList {
  return {
    id,
    label,
    description,
    ...(source ? { source } : {}),
    ...(since ? { since } : {}),
    codes: codes.map(([code, codeLabel, definition, since]) => ({
      code,
      label: codeLabel,
      ...(definition ? { definition } : {}),
      ...(since ? { since } : {}),
    })),
  };
}

export const serviceType = list(
  'serviceType',
  'Service type',
  'The kind of service that receives referrals (the wider partnership of the City of London VAWG review, section 6.2).',
  [
    ['vva', 'Vulnerable Victims Advocate'],
    ['idva', 'Independent Domestic Violence Advocate (IDVA)'],
    ['isva', 'Independent Sexual Violence Advocate (ISVA)'],
    ['marac', 'Multi-Agency Risk Assessment Conference (MARAC)'],
    ['sanctuary_scheme', 'Sanctuary Scheme'],
    ['housing', 'Housing'],
    ['homelessness_rough_sleeping', 'Homelessness and rough sleeping'],
    ['childrens_social_care', "Children's social care"],
    ['adult_social_care', 'Adult social care'],
    ['substance_misuse', 'Substance misuse service'],
    ['mental_health', 'Mental health service'],
    ['acute_health', 'Acute health (emergency department, hospital)'],
    ['maternity', 'Maternity'],
    ['sexual_health', 'Sexual health'],
    ['primary_care', 'Primary care (GP)'],
    ['police', 'Police'],
    ['specialist_da_court', 'Specialist domestic abuse court'],
    ['refuge', 'Refuge'],
    ['advocacy_counselling', 'Advocacy and counselling'],
    ['helpline', 'Helpline'],
    ['perpetrator_programme', 'Perpetrator programme'],
    ['other', 'Other service'],
  ],
);

export const referralSource = list(
  'referralSource',
  'Referral source',
  "Who referred the person to the service. Named sources replace the catch-all 'other' the review found swallowing referrals.",
  [
    ['police', 'Police'],
    ['self', 'Self-referral'],
    ['family_friend', 'Family member or friend'],
    ['vva', 'Vulnerable Victims Advocate'],
    ['idva', 'IDVA'],
    ['marac', 'MARAC'],
    ['specialist_vawg_service', 'Specialist VAWG service'],
    ['helpline', 'Helpline'],
    ['childrens_social_care', "Children's social care"],
    ['adult_social_care', 'Adult social care'],
    ['housing', 'Housing'],
    ['homelessness_services', 'Homelessness services'],
    ['gp_primary_care', 'GP or primary care'],
    ['hospital', 'Hospital'],
    ['maternity', 'Maternity'],
    ['sexual_health', 'Sexual health'],
    ['mental_health', 'Mental health'],
    ['substance_misuse', 'Substance misuse'],
    ['education', 'Education'],
    ['employer', 'Employer'],
    ['probation', 'Probation'],
    ['courts', 'Courts'],
    ['other_voluntary', 'Other voluntary sector organisation'],
    ['other_statutory', 'Other statutory organisation'],
    ['other', 'Other', 'Use only when no named source fits; its share is reported as a data-quality indicator.'],
  ],
);

export const category = list(
  'category',
  'Category',
  'Whether the referral concerns a form of VAWG or a non-VAWG crime (review section 2.1: the two groups are kept separate).',
  [
    ['vawg', 'Violence against women and girls'],
    ['non_vawg', 'Not VAWG (other crime)'],
  ],
);

export const vawgType = list('vawgType', 'VAWG type', 'The forms of violence against women and girls involved (several may apply).', [
  ['domestic_abuse', 'Domestic abuse'],
  ['rape', 'Rape'],
  ['sexual_assault', 'Sexual assault'],
  ['sexual_harassment', 'Sexual harassment'],
  ['stalking', 'Stalking'],
  ['harassment', 'Harassment'],
  ['honour_based_abuse', "'Honour'-based abuse"],
  ['forced_marriage', 'Forced marriage'],
  ['fgm', 'Female genital mutilation'],
  ['child_sexual_abuse', 'Child sexual abuse'],
  ['child_sexual_exploitation', 'Child sexual exploitation'],
  ['sexual_exploitation', 'Sexual exploitation'],
  ['trafficking_modern_slavery', 'Trafficking and modern slavery'],
  ['intimate_image_abuse', 'Intimate image abuse'],
  [
    'coercive_control',
    'Coercive or controlling behaviour',
    'Controlling or coercive behaviour in an intimate or family relationship (Serious Crime Act 2015 s.76).',
    '1.1.0',
  ],
  [
    'economic_abuse',
    'Economic abuse',
    "Behaviour with a substantial adverse effect on the person's ability to acquire, use or maintain money or other property, or to obtain goods or services (Domestic Abuse Act 2021 s.1).",
    '1.1.0',
  ],
  ['non_fatal_strangulation', 'Non-fatal strangulation or suffocation', 'Strangulation or suffocation (Serious Crime Act 2015 s.75A).', '1.1.0'],
  [
    'tech_facilitated_abuse',
    'Technology-facilitated abuse',
    'Abuse through phones, apps, devices, accounts or tracking (intimate image abuse has its own code).',
    '1.1.0',
  ],
  ['child_to_parent_abuse', 'Child-to-parent abuse', 'Abuse of a parent or carer by their child (adolescent to parent violence and abuse).', '1.1.0'],
  ['other_vawg', 'Other form of VAWG'],
]);

export const nonVawgCrimeType = list('nonVawgCrimeType', 'Non-VAWG crime type', 'The kind of crime when the referral is not VAWG.', [
  ['hate_crime', 'Hate crime'],
  ['violence', 'Violence'],
  ['fraud', 'Fraud'],
  ['theft_robbery', 'Theft or robbery'],
  ['antisocial_behaviour', 'Antisocial behaviour'],
  ['other_crime', 'Other crime'],
]);

export const policeInvolvement = list(
  'policeInvolvement',
  'Police involvement',
  'Whether the abuse was reported to the police, and recorded as a crime or a non-crime incident (review section 3.1).',
  [
    ['crime', 'Recorded as a crime'],
    ['non_crime_incident', 'Recorded as a non-crime incident'],
    ['not_reported', 'Not reported to the police'],
    ['not_known', 'Not known'],
  ],
);

export const riskLevel = list('riskLevel', 'Risk level', 'The risk level identified at referral (DASH / DARA levels).', [
  ['standard', 'Standard'],
  ['medium', 'Medium'],
  ['high', 'High'],
  ['not_assessed', 'Not assessed'],
]);

export const riskTool = list('riskTool', 'Risk tool', 'The risk-assessment tool used.', [
  ['dash', 'DASH risk checklist'],
  ['dara', 'Domestic Abuse Risk Assessment (DARA)'],
  ['other', 'Other tool'],
]);

export const sex = list(
  'sex',
  'Sex',
  'Sex, as in the Census 2021 question "What is your sex?".',
  [
    ['female', 'Female'],
    ['male', 'Male'],
  ],
  'Census 2021',
);

export const genderIdentitySameAsSex = list(
  'genderIdentitySameAsSex',
  'Gender identity same as sex registered at birth',
  'Census 2021: "Is the gender you identify with the same as your sex registered at birth?"',
  [
    ['yes', 'Yes'],
    ['no', 'No'],
  ],
  'Census 2021',
);

export const sexualOrientation = list(
  'sexualOrientation',
  'Sexual orientation',
  'GSS harmonised standard for sexual orientation.',
  [
    ['heterosexual', 'Straight or heterosexual'],
    ['gay_lesbian', 'Gay or lesbian'],
    ['bisexual', 'Bisexual'],
    ['other', 'Other sexual orientation'],
  ],
  'GSS harmonised standard',
);

export const ethnicity = list(
  'ethnicity',
  'Ethnic group',
  'GSS harmonised standard, Census 2021 (England), 19 categories. Ethnicity, not nationality, is recorded (review section 2.1).',
  [
    ['white_british', 'White: English, Welsh, Scottish, Northern Irish or British'],
    ['white_irish', 'White: Irish'],
    ['white_gypsy_irish_traveller', 'White: Gypsy or Irish Traveller'],
    ['white_roma', 'White: Roma'],
    ['white_other', 'White: Any other White background'],
    ['mixed_white_black_caribbean', 'Mixed or Multiple: White and Black Caribbean'],
    ['mixed_white_black_african', 'Mixed or Multiple: White and Black African'],
    ['mixed_white_asian', 'Mixed or Multiple: White and Asian'],
    ['mixed_other', 'Mixed or Multiple: Any other Mixed or Multiple ethnic background'],
    ['asian_indian', 'Asian or Asian British: Indian'],
    ['asian_pakistani', 'Asian or Asian British: Pakistani'],
    ['asian_bangladeshi', 'Asian or Asian British: Bangladeshi'],
    ['asian_chinese', 'Asian or Asian British: Chinese'],
    ['asian_other', 'Asian or Asian British: Any other Asian background'],
    ['black_african', 'Black, Black British, Caribbean or African: African'],
    ['black_caribbean', 'Black, Black British, Caribbean or African: Caribbean'],
    ['black_other', 'Black, Black British, Caribbean or African: Any other Black, Black British or Caribbean background'],
    ['arab', 'Other ethnic group: Arab'],
    ['other_ethnic_group', 'Other ethnic group: Any other ethnic group'],
  ],
  'GSS harmonised standard for ethnicity (Census 2021, England)',
);

export const ethnicityGroup = list(
  'ethnicityGroup',
  'Ethnic group (5 high-level groups)',
  'The GSS high-level ethnic groups, derived from the 19 categories.',
  [
    ['white', 'White'],
    ['mixed', 'Mixed or Multiple ethnic groups'],
    ['asian', 'Asian or Asian British'],
    ['black', 'Black, Black British, Caribbean or African'],
    ['other', 'Other ethnic group'],
  ],
  'GSS harmonised standard for ethnicity (Census 2021, England)',
);

export const religion = list(
  'religion',
  'Religion',
  'GSS harmonised standard for religion (England and Wales census options).',
  [
    ['no_religion', 'No religion'],
    ['christian', 'Christian'],
    ['buddhist', 'Buddhist'],
    ['hindu', 'Hindu'],
    ['jewish', 'Jewish'],
    ['muslim', 'Muslim'],
    ['sikh', 'Sikh'],
    ['other_religion', 'Any other religion'],
  ],
  'GSS harmonised standard for religion',
);

export const yesNo = list('yesNo', 'Yes or no', 'A yes/no answer given by the person.', [
  ['yes', 'Yes'],
  ['no', 'No'],
]);

export const pregnancy = list('pregnancy', 'Pregnancy and maternity', 'Equality Act 2010 protected characteristic: pregnancy and maternity.', [
  ['pregnant', 'Pregnant'],
  ['recently_gave_birth', 'Gave birth in the last 26 weeks'],
  ['no', 'No'],
]);

export const maritalStatus = list('maritalStatus', 'Marriage and civil partnership', 'Legal marital or registered civil partnership status.', [
  ['single', 'Never married and never registered a civil partnership'],
  ['married', 'Married'],
  ['civil_partnership', 'In a registered civil partnership'],
  ['separated', 'Separated, but still legally married or in a civil partnership'],
  ['divorced_dissolved', 'Divorced or civil partnership dissolved'],
  ['widowed', 'Widowed or surviving civil partner'],
]);

export const relationshipToArea = list(
  'relationshipToArea',
  'Relationship to the area',
  'Whether the person lives, works or is visiting the area the service covers (review section 2.1: residents, workers and visitors are kept apart).',
  [
    ['resident', 'Resident'],
    ['worker', 'Works in the area'],
    ['visitor', 'Visitor'],
    ['other', 'Other'],
  ],
);

export const residence = list('residence', 'Residence', 'Where the person lives, as a group rather than a named area (review section 2.1).', [
  ['in_area', 'In the area'],
  ['elsewhere_in_london', 'Elsewhere in London'],
  ['elsewhere_in_uk', 'Elsewhere in the UK'],
  ['outside_uk', 'Outside the UK'],
  ['no_fixed_abode', 'No fixed abode'],
]);

export const vulnerability = list('vulnerability', 'Vulnerability', 'Areas of vulnerability (review sections 3.1 and 6.2).', [
  ['mental_health', 'Mental health'],
  ['substance_misuse', 'Substance misuse'],
  ['care_and_support_needs', 'Care and support needs'],
  ['no_recourse_to_public_funds', 'No recourse to public funds'],
  ['homeless_rough_sleeping', 'Homeless or rough sleeping'],
  ['learning_disability', 'Learning disability'],
]);

export const relationshipToVictim = list('relationshipToVictim', 'Relationship to victim', "The alleged perpetrator's relationship to the victim.", [
  ['intimate_partner', 'Intimate partner'],
  ['ex_partner', 'Ex-partner'],
  ['parent', 'Parent'],
  ['child', 'Child (son or daughter)'],
  ['sibling', 'Sibling'],
  ['other_family', 'Other family member'],
  ['acquaintance', 'Acquaintance'],
  ['stranger', 'Stranger'],
  ['not_known', 'Not known'],
]);

export const supportNeed = list('supportNeed', 'Support need', "The victim's support needs (review section 6.2).", [
  ['criminal_justice', 'Criminal justice'],
  ['court_support', 'Court support'],
  ['civil_justice_legal', 'Civil justice and legal'],
  ['family_law', 'Family law'],
  ['housing', 'Housing'],
  ['health_wellbeing', 'Health and wellbeing'],
  ['mental_health', 'Mental health'],
  ['substance_use', 'Substance use'],
  ['children', 'Children'],
  ['finances_debt', 'Finances and debt'],
  ['immigration', 'Immigration'],
  ['employment_education_training', 'Employment, education and training'],
  ['safety_planning', 'Safety planning'],
  ['other_need', 'Other need'],
]);

export const closureReason = list('closureReason', 'Closure reason', 'Why contact with the service ended.', [
  ['support_completed', 'Support completed'],
  ['referred_on', 'Referred on to another service'],
  ['declined_support', 'Declined further support'],
  ['disengaged', 'Disengaged or could not be contacted'],
  ['moved_away', 'Moved out of the area'],
  ['not_eligible', 'Not eligible for the service'],
  ['other_reason', 'Other reason'],
]);

export const referralStatus = list(
  'referralStatus',
  'Referral status',
  'The outcome of the referral at intake. Every status counts in the referrals received.',
  [
    ['accepted', 'Accepted', 'The service took the referral on (the default when no status is given).'],
    ['duplicate', 'Duplicate', 'The person was already referred to the service for the same episode.'],
    ['inappropriate', 'Inappropriate', 'The referral does not meet the service criteria.'],
    ['declined', 'Declined', 'The person declined the service.'],
    ['no_contact', 'No contact', 'The service could not make contact with the person.'],
  ],
  undefined,
  '1.1.0',
);

export const onwardReferralFor = list(
  'onwardReferralFor',
  'Onward referral for',
  'Whom an onward referral is for.',
  [
    ['victim', 'The victim/survivor', 'The default when not given.'],
    ['child', 'A child of the household'],
    ['perpetrator', 'The person who harmed them'],
  ],
  undefined,
  '1.1.0',
);

export const onwardOutcome = list(
  'onwardOutcome',
  'Onward referral outcome',
  'What became of an onward referral.',
  [
    ['accepted', 'Accepted by the service referred to'],
    ['declined_by_person', 'Declined by the person'],
    ['not_accepted_by_service', 'Not accepted by the service referred to'],
    ['waiting_list', 'On a waiting list'],
    ['no_service_available', 'No service available', 'No service could take the referral: the unmet need of the review.'],
    ['not_known', 'Not known'],
  ],
  undefined,
  '1.1.0',
);

export const relationshipAtClosure = list(
  'relationshipAtClosure',
  'Relationship at closure',
  'The relationship with the person who harmed them, at the end of contact.',
  [
    ['ended', 'Ended'],
    ['continuing', 'Continuing'],
    ['not_applicable', 'Not applicable', 'There was no relationship (e.g. a stranger).'],
    ['not_known', 'Not known'],
  ],
  undefined,
  '1.1.0',
);

export const subject = list(
  'subject',
  'Subject',
  'Whom the record is about: a victim-survivor referred (the default), or a person who harms referred to a service for their own behaviour or needs.',
  [
    ['victim', 'Victim-survivor', 'The person referred is a victim-survivor; perpetrators lists the people alleged to have harmed them.'],
    [
      'perpetrator',
      'Person who harms',
      'The person referred is the person who harms (perpetrator programme, probation, or a substance-misuse, mental-health or homelessness service supporting them): perpetrators holds exactly that one person; victim, when known, is the partner or ex-partner.',
    ],
  ],
  undefined,
  '1.1.0',
);

export const securityMeasure = list(
  'securityMeasure',
  'Security measure',
  'Security measures a Sanctuary Scheme fitted so a victim-survivor can stay safely in their home.',
  [
    ['door_reinforcement', 'Door reinforcement'],
    ['lock_change', 'Lock change'],
    ['window_locks', 'Window locks'],
    ['sanctuary_room', 'Sanctuary room', 'A room made secure to wait in for the police.'],
    ['alarm', 'Alarm'],
    ['cctv_or_video_doorbell', 'CCTV or video doorbell'],
    ['fire_safety', 'Fire safety', 'Letterbox guards, fire-retardant equipment.'],
    ['lighting', 'Lighting'],
    ['other_measure', 'Other measure'],
  ],
  undefined,
  '1.1.0',
);

export const tenure = list(
  'tenure',
  'Tenure',
  'The tenure of the home secured.',
  [
    ['council', 'Council tenancy'],
    ['housing_association', 'Housing association tenancy'],
    ['private_rented', 'Private rented'],
    ['owner_occupier', 'Owner occupier'],
    ['temporary_accommodation', 'Temporary accommodation'],
    ['other_tenure', 'Other tenure'],
    ['not_known', 'Not known'],
  ],
  undefined,
  '1.1.0',
);

export const housingOutcome = list(
  'housingOutcome',
  'Housing outcome',
  'Where the household ended up, for a housing or homelessness service.',
  [
    ['remained_safely', 'Remained safely at home'],
    ['moved_social_housing', 'Moved to social housing'],
    ['moved_private_rented', 'Moved to private rented housing'],
    ['refuge', 'Moved to a refuge'],
    ['temporary_accommodation', 'Placed in temporary accommodation'],
    ['perpetrator_removed', 'The perpetrator was removed from the home'],
    ['managed_reciprocal', 'Managed move or reciprocal arrangement', 'A move to another landlord or area under a reciprocal agreement.'],
    ['other_outcome', 'Other outcome'],
    ['not_known', 'Not known'],
  ],
  undefined,
  '1.1.0',
);

export const courtOutcome = list(
  'courtOutcome',
  'Court outcome',
  'The outcome of the criminal case.',
  [
    ['convicted', 'Convicted', 'A guilty plea or a conviction after trial.'],
    ['acquitted', 'Acquitted'],
    ['discontinued', 'Discontinued', 'Discontinued by the prosecution.'],
    ['withdrawn', 'Withdrawn', 'The victim-survivor withdrew support for the prosecution.'],
    ['ongoing', 'Ongoing', 'Not yet finalised.'],
    ['other_outcome', 'Other outcome'],
  ],
  undefined,
  '1.1.0',
);

export const healthSetting = list(
  'healthSetting',
  'Health setting',
  'Where in health services the disclosure or referral happened.',
  [
    ['emergency_department', 'Emergency department'],
    ['maternity', 'Maternity'],
    ['sexual_health', 'Sexual health'],
    ['gp', 'General practice'],
    ['mental_health', 'Mental health'],
    ['other_setting', 'Other setting'],
  ],
  undefined,
  '1.1.0',
);

export const programmeType = list(
  'programmeType',
  'Programme type',
  'The kind of programme a person was referred to.',
  [
    ['community_perpetrator_programme', 'Community perpetrator programme'],
    ['young_people', "Young people's programme"],
    ['child_to_parent', 'Child-to-parent abuse programme'],
    ['survivor_group', 'Survivor group programme'],
    ['one_to_one', 'One-to-one programme'],
    ['other_programme', 'Other programme'],
  ],
  undefined,
  '1.1.0',
);

export const programmeStage = list(
  'programmeStage',
  'Programme stage',
  'The furthest stage of a programme the person reached, in order; each stage implies the ones before it.',
  [
    ['referred', 'Referred'],
    ['contacted', 'Contacted'],
    ['assessed', 'Assessed'],
    ['suitable', 'Assessed as suitable'],
    ['started', 'Started the programme'],
    ['midway', 'Reached the midway point'],
    ['completed', 'Completed the programme'],
  ],
  undefined,
  '1.1.0',
);

export const codeLists = {
  serviceType,
  referralSource,
  category,
  vawgType,
  nonVawgCrimeType,
  policeInvolvement,
  riskLevel,
  riskTool,
  sex,
  genderIdentitySameAsSex,
  sexualOrientation,
  ethnicity,
  ethnicityGroup,
  religion,
  yesNo,
  pregnancy,
  maritalStatus,
  relationshipToArea,
  residence,
  vulnerability,
  relationshipToVictim,
  supportNeed,
  closureReason,
  referralStatus,
  onwardReferralFor,
  onwardOutcome,
  relationshipAtClosure,
  subject,
  securityMeasure,
  tenure,
  housingOutcome,
  courtOutcome,
  healthSetting,
  programmeType,
  programmeStage,
} as const satisfies Record<string, CodeList>;

export function listCodes(list: CodeList): string[] {
  return list.codes.map((c) => c.code);
}
