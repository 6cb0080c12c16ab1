/**
 * Crosswalks from other code systems providers still record in, to the dataset's codes. Published
 * as data (`GET /v1/dataset/code-lists`) and applied to CSV returns on arrival, so a health or
 * social-care export can be submitted as it is.
 */
import { codeLists } from './code-lists.js';

export interface CrosswalkEntry {
  readonly from: string;
  readonly fromLabel: string;
  readonly to: string;
  readonly note?: string;
}

export interface Crosswalk {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  /** The code list the crosswalk maps into. */
  readonly codeList: string;
  readonly entries: readonly CrosswalkEntry[];
}

/**
 * NHS Data Dictionary ETHNIC CATEGORY (2001 census based, single letters) to GSS 2021 (England).
 * 2001 had no Roma or Gypsy/Irish Traveller category (both are in C) and put Chinese under "other
 * ethnic groups" and Arab under S: those map to the nearest 2021 category and lose the detail.
 */
export const nhsEthnicCategory2001: Crosswalk = {
  id: 'nhs-ethnic-category-2001',
  label: 'NHS ethnic category (2001 census letter codes) to GSS 2021 ethnicity',
  source: 'NHS Data Dictionary, ETHNIC CATEGORY; FHIR UKCore-EthnicCategoryEngland',
  codeList: codeLists.ethnicity.id,
  entries: [
    { from: 'A', fromLabel: 'White - British', to: 'white_british' },
    { from: 'B', fromLabel: 'White - Irish', to: 'white_irish' },
    {
      from: 'C',
      fromLabel: 'White - Any other White background',
      to: 'white_other',
      note: 'includes Gypsy, Irish Traveller and Roma, which 2001 did not separate',
    },
    { from: 'D', fromLabel: 'Mixed - White and Black Caribbean', to: 'mixed_white_black_caribbean' },
    { from: 'E', fromLabel: 'Mixed - White and Black African', to: 'mixed_white_black_african' },
    { from: 'F', fromLabel: 'Mixed - White and Asian', to: 'mixed_white_asian' },
    { from: 'G', fromLabel: 'Mixed - Any other mixed background', to: 'mixed_other' },
    { from: 'H', fromLabel: 'Asian or Asian British - Indian', to: 'asian_indian' },
    { from: 'J', fromLabel: 'Asian or Asian British - Pakistani', to: 'asian_pakistani' },
    { from: 'K', fromLabel: 'Asian or Asian British - Bangladeshi', to: 'asian_bangladeshi' },
    { from: 'L', fromLabel: 'Asian or Asian British - Any other Asian background', to: 'asian_other' },
    { from: 'M', fromLabel: 'Black or Black British - Caribbean', to: 'black_caribbean' },
    { from: 'N', fromLabel: 'Black or Black British - African', to: 'black_african' },
    { from: 'P', fromLabel: 'Black or Black British - Any other Black background', to: 'black_other' },
    { from: 'R', fromLabel: 'Other Ethnic Groups - Chinese', to: 'asian_chinese', note: 'Chinese is an Asian category in 2021' },
    { from: 'S', fromLabel: 'Other Ethnic Groups - Any other ethnic group', to: 'other_ethnic_group', note: 'includes Arab, which 2001 did not separate' },
    { from: 'Z', fromLabel: 'Not stated', to: 'prefer_not_to_say', note: 'the person was asked and did not give an answer' },
    { from: '99', fromLabel: 'Not known', to: 'not_known' },
  ],
};

export const crosswalks: readonly Crosswalk[] = [nhsEthnicCategory2001];

/** from-code → dataset code, per code list id: the lookup CSV conversion applies. */
export const crosswalkLookup: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  crosswalks.map((c) => [c.codeList, new Map(c.entries.map((e) => [e.from, e.to]))]),
);
