/**
 * Groupings analysts need that are derived from recorded codes: the GSS five ethnic groups and a
 * "Black, Asian or racially minoritised" flag, an LGBT+ flag, and named age-band sets.
 */
import { codeLists } from './code-lists.js';

type EthnicityGroup = (typeof codeLists.ethnicityGroup.codes)[number]['code'];

/** GSS 2021 category → high-level group: the prefix of the code names the group. */
export function ethnicityGroupOf(ethnicity: string): EthnicityGroup | 'not_known' | 'prefer_not_to_say' {
  if (ethnicity === 'not_known' || ethnicity === 'prefer_not_to_say') return ethnicity;
  if (ethnicity === 'arab' || ethnicity === 'other_ethnic_group') return 'other';
  const prefix = ethnicity.split('_')[0];
  if (prefix === 'white' || prefix === 'mixed' || prefix === 'asian' || prefix === 'black') return prefix;
  throw new Error(`unknown ethnicity code ${ethnicity}`);
}

/**
 * Racially minoritised: every group other than White British. White Irish, Gypsy or Irish
 * Traveller, Roma and other White backgrounds count as minoritised, as in SafeLives' "Black, Asian
 * or racially minoritised" measure. Unknown answers are neither (null).
 */
export function isMinoritisedEthnicity(ethnicity: string): boolean | null {
  if (ethnicity === 'not_known' || ethnicity === 'prefer_not_to_say') return null;
  return ethnicity !== 'white_british';
}

/**
 * The codes of the `minoritisedEthnicity` grouping (`isMinoritisedEthnicity` as yes / no /
 * not_known): what `groupBy=minoritisedEthnicity` and an area's population by that grouping use,
 * so referrals and population are compared on the definition `minoritisedEthnicityRate` counts.
 */
export const minoritisedEthnicityCodes = ['yes', 'no', 'not_known'] as const;
export type MinoritisedEthnicity = (typeof minoritisedEthnicityCodes)[number];

const ethnicityCodes: ReadonlySet<string> = new Set(codeLists.ethnicity.codes.map((c) => c.code));

/** A value outside the ethnicity list (which a stray or null column takes in SQL) is not known, never minoritised. */
export function minoritisedEthnicityOf(ethnicity: string): MinoritisedEthnicity {
  const minoritised = ethnicityCodes.has(ethnicity) ? isMinoritisedEthnicity(ethnicity) : null;
  return minoritised === null ? 'not_known' : minoritised ? 'yes' : 'no';
}

/** LGBT+: sexual orientation other than heterosexual, or gender identity not the same as sex. */
export function isLgbtPlus(sexualOrientation: string, genderIdentitySameAsSex: string): boolean | null {
  if (['gay_lesbian', 'bisexual', 'other'].includes(sexualOrientation) || genderIdentitySameAsSex === 'no') return true;
  if (sexualOrientation === 'heterosexual' && genderIdentitySameAsSex === 'yes') return false;
  return null;
}

export interface AgeBand {
  readonly code: string;
  readonly label: string;
  readonly min: number;
  readonly max: number | null;
}

export interface AgeBandSet {
  readonly id: string;
  readonly label: string;
  readonly bands: readonly AgeBand[];
}

function fiveYearBands(): AgeBand[] {
  const bands: AgeBand[] = [];
  for (let min = 0; min < 85; min += 5) bands.push({ code: `${min}-${min + 4}`, label: `${min} to ${min + 4}`, min, max: min + 4 });
  bands.push({ code: '85+', label: '85 and over', min: 85, max: null });
  return bands;
}

export const ageBandSets = {
  marac: {
    id: 'marac',
    label: 'SafeLives Marac age bands',
    bands: [
      { code: 'under_16', label: 'Under 16', min: 0, max: 15 },
      { code: '16-17', label: '16 to 17', min: 16, max: 17 },
      { code: '18+', label: '18 and over', min: 18, max: null },
    ],
  },
  five_year: { id: 'five_year', label: 'Five-year bands (Census 2021)', bands: fiveYearBands() },
  csew: {
    id: 'csew',
    label: 'Crime Survey for England and Wales bands',
    bands: [
      { code: 'under_16', label: 'Under 16', min: 0, max: 15 },
      { code: '16-19', label: '16 to 19', min: 16, max: 19 },
      { code: '20-24', label: '20 to 24', min: 20, max: 24 },
      { code: '25-34', label: '25 to 34', min: 25, max: 34 },
      { code: '35-44', label: '35 to 44', min: 35, max: 44 },
      { code: '45-54', label: '45 to 54', min: 45, max: 54 },
      { code: '55-64', label: '55 to 64', min: 55, max: 64 },
      { code: '65-74', label: '65 to 74', min: 65, max: 74 },
      { code: '75+', label: '75 and over', min: 75, max: null },
    ],
  },
} as const satisfies Record<string, AgeBandSet>;

export type AgeBandSetId = keyof typeof ageBandSets;

export function ageBandOf(age: number | null, set: AgeBandSetId = 'marac'): string {
  if (age === null) return 'not_known';
  const band = ageBandSets[set].bands.find((b) => age >= b.min && (b.max === null || age <= b.max));
  return band ? band.code : 'not_known';
}
