/**
 * Synthetic referral records with known identities, for measuring linkage accuracy. Names and
 * dates of birth are built as a provider would record them (typos, day and month swapped, missing
 * given names, a new family name after marriage…), then turned into SLK-581 keys, so errors reach
 * the key exactly as they would in a real return: a typo in a letter the key does not use changes
 * nothing, and a dropped letter shifts the ones after it.
 *
 * Each person also has the attributes every service records (ethnicity, religion, sexual
 * orientation, disability), drawn from London-like shares; a record reports each as not known at
 * one rate and wrongly at another. They are drawn from a random stream of their own, so the keys
 * of a seed are the same with or without them. They are drawn independently of the names, which
 * real data is not (a family name says something about ethnicity and religion): two namesakes
 * here disagree on attributes more often than real namesakes would, so the gain attributes give
 * is an upper bound.
 *
 * Names (2026-11, `names: 'long-tail'`, the default): the hand-written lists (330 family, 210
 * female and 20 male given names) are the frequent head, followed by long tails built from
 * syllables (about 25,700 family names, 5,000 female and 2,000 male given names), with
 * frequencies falling as 1 / (rank + c): the commonest family name is about 1% of people and
 * family letters agree for 0.46% of pairs of people. Before, the head lists alone, falling as
 * 1/√rank, put everyone in a few hundred families (family letters agreeing for 0.74% of pairs), far
 * more collisions than a real population of hundreds of thousands of women would give; that
 * generator is kept as `names: 'short'` and bench/README.md reports both. Given-name letters
 * agree about as often either way (2.2–2.6% of pairs): two letters of a given name collide a lot
 * in real data too. The error rates are unchanged; only the names differ (the random stream
 * diverges after the first name drawn differently, so the people are not the same ones).
 */
import { createSeededRandom } from '../../src/lib/seeded-random.js';
import { computeSlk581 } from '../../src/lib/slk581.js';

/** Per-record error rates (each applied independently). */
export interface ErrorRates {
  /** One letter of the family name substituted or dropped. */
  familyTypo: number;
  /** One letter of the given name substituted or dropped. */
  givenTypo: number;
  /** Day and month recorded the wrong way round (only where the result is a valid, different date). */
  dayMonthSwap: number;
  /** Date of birth one day out, or the year one out. */
  birthDateOff: number;
  /** Given name not recorded. */
  givenMissing: number;
  /** A different family name altogether (marriage, separation, an alias). */
  familyChanged: number;
  /** Sex not stated. */
  sexMissing: number;
  /** Each attribute (ethnicity, religion, sexual orientation, disability) recorded as not known. */
  attributeNotKnown: number;
  /** Each attribute recorded as a different value than the person's (a recording error). */
  attributeWrong: number;
}

export const DEFAULT_ERROR_RATES: ErrorRates = {
  familyTypo: 0.03,
  givenTypo: 0.03,
  dayMonthSwap: 0.02,
  birthDateOff: 0.01,
  givenMissing: 0.03,
  familyChanged: 0.02,
  sexMissing: 0.01,
  attributeNotKnown: 0.15,
  attributeWrong: 0.03,
};

export interface PopulationOptions {
  people: number;
  /** Mean records per person (each record in a different service, 1 to `services.length` of them). */
  recordsPerPersonMean?: number;
  services?: readonly string[];
  errorRates?: Partial<ErrorRates>;
  /** Share of people who have a twin in the data: the same family name, birth date and (usually) sex. */
  twinRate?: number;
  /** See NameLists; `long-tail` unless told. */
  names?: NameLists;
  /**
   * Areas the services are spread over (1 unless told): each person lives in one, areas differ
   * in size (the largest about four times the smallest), and each record is received in the
   * person's own area except at `outOfAreaRate`.
   */
  areas?: number;
  /** Share of records received by a service in another area than the person's (a refuge elsewhere, work, a visit). */
  outOfAreaRate?: number;
  seed?: number;
}

/** Refuges are often out of area by design, and the City's victims are often workers or visitors. */
export const DEFAULT_OUT_OF_AREA_RATE = 0.2;

export interface SyntheticRecord {
  /** 1..n, in shuffled order (so ids say nothing about identity). */
  id: number;
  personId: number;
  service: string;
  /** The area of the service that received the referral (`A001`, `A002`…). */
  area: string;
  slk581: string;
  /** As the service recorded them; null is not known. */
  attributes: SyntheticAttributes;
}

export interface SyntheticAttributes {
  ethnicity: string | null;
  religion: string | null;
  sexualOrientation: string | null;
  disability: string | null;
}

export interface Population {
  records: SyntheticRecord[];
  people: number;
}

function splitWords(text: string): string[] {
  return text.trim().split(/\s+/);
}

export const DEFAULT_SERVICES: readonly string[] = ['VVA', 'IDVA', 'MARAC', 'ISVA', 'Refuge', 'Outreach'];

// A mix of British, Irish, South Asian, African, Caribbean, Eastern European and East Asian
// family names, most frequent first (within each origin). Short names (Ng, Li, Ali, Ho) exercise
// the key's padding with 2.
export const FAMILY_NAMES: readonly string[] = splitWords(`
  Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker
  White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris
  Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young
  Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan
  Marshall Anderson Simpson Ellis Adams Singh Begum Ali Wilkinson Foster Chapman Powell Webb Rogers Gray Mason
  Ahmed Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher
  Stevens Jenkins Murray Dixon Harvey Graham Pearson Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott
  Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson
  Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman
  Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins
  Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates
  Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls
  Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss
  McCarthy Chambers O'Neill Griffin Sharp Hardy Doyle Gallagher Doherty Lynch Quinn Connolly Daly Brennan Burke
  Nolan Keane Kavanagh Maguire Reilly Fitzgerald O'Sullivan McLoughlin Hegarty Flanagan Carroll Iqbal Rahman
  Islam Uddin Miah Chowdhury Mahmood Malik Akhtar Bibi Sharma Kumar Gupta Das Mistry Parmar Chauhan Bhatti Butt
  Qureshi Mehta Joshi Sandhu Sidhu Dhillon Nair Rao Siddiqui Javed Rana Okafor Adeyemi Okonkwo Mensah Boateng
  Owusu Asante Osei Adebayo Nwosu Eze Abdi Mohamed Hassan Osman Ibrahim Yusuf Mwangi Diallo Moyo Henry Samuels
  Forbes Gayle McKenzie Blackwood Douglas Ferguson Lindo Spence Nowak Kowalski Wisniewski Wojcik Kaminski
  Lewandowski Zielinski Wozniak Popescu Ionescu Popa Horvath Kovacs Szabo Petrov Ivanov Kazlauskas Berzins
  Shevchenko Melnyk Ng Li Wu Wong Chen Lin Liu Zhang Wang Chan Lam Ho Tan Lim Nguyen Tran Le Pham Kim Park
`);

export const FEMALE_GIVEN_NAMES: readonly string[] = splitWords(`
  Sarah Emma Laura Rebecca Jessica Charlotte Hannah Amy Lauren Sophie Emily Chloe Rachel Lucy Katie Jade
  Danielle Samantha Nicola Michelle Kelly Lisa Claire Louise Gemma Stacey Natalie Amanda Karen Joanne Helen
  Julie Tracey Donna Susan Elizabeth Victoria Zoe Kirsty Leanne Jennifer Catherine Margaret Mary Patricia Linda
  Sandra Deborah Angela Dawn Jo Ellie Megan Holly Olivia Grace Ruby Mia Amelia Isla Ava Lily Freya Poppy Evie
  Molly Leah Abigail Bethany Courtney Shannon Paige Kayleigh Jasmine Naomi Siobhan Aoife Niamh Ciara Orla Roisin
  Sinead Bridget Maureen Fatima Aisha Ayesha Amina Zainab Maryam Nadia Samina Shabana Nasreen Parveen Rukhsana
  Yasmin Sana Hina Priya Anjali Pooja Neha Sunita Kiran Manpreet Harpreet Gurpreet Jaspreet Simran Sonia Rani
  Shirin Nazia Farah Halima Khadija Hodan Fadumo Amal Asha Chioma Ngozi Adaeze Funmilayo Folake Yetunde Abena
  Akosua Ama Efua Blessing Precious Joy Faith Patience Comfort Mercy Esther Ruth Marcia Sharon Beverley Yvonne
  Paulette Jacqueline Tanisha Keisha Shanice Aaliyah Anna Agnieszka Katarzyna Magdalena Joanna Monika Ewa Marta
  Natalia Oksana Olena Irina Elena Ioana Andreea Alina Daria Kristina Ilona Li Mei Ying Xin Hui Lan Thi Linh Hoa
  Mai Ji Yuna Eva Ana Ada Ivy Eve Mae Bella Nina Tara
  Rosie Jodie Kerry Lorraine Wendy Carly Toni Zara Noor Alicia
`);

export const MALE_GIVEN_NAMES: readonly string[] = splitWords(`
  John David Michael Paul James Mark Daniel Mohammed Ali Adam Ryan Tom Lee Ben Kwame Tomasz Raj Wei Sam Chris
`);

/** The same seed gives the same population. */
export const createRandom = createSeededRandom;

/**
 * Long tails of plausible names, built deterministically from syllables (the same lists every
 * run, whatever the seed), in a fixed pseudo-random order: British place-name surnames
 * (Ashworth, Thornley), and names in the style of the other origins of the head lists (Kowalenko,
 * Adeyola, Hakimi). None repeats a head name. They stand for the tens of thousands of rare
 * surnames and thousands of given names of a real population, which the head lists cannot.
 */
function syllableNames(parts: ReadonlyArray<readonly string[]>, exclude: readonly string[], count: number, seed: number): string[] {
  const seen = new Set(exclude.map((name) => name.toLowerCase()));
  const names: string[] = [];
  const combine = (prefix: string, k: number): void => {
    if (k === parts.length) {
      const name = prefix[0]!.toUpperCase() + prefix.slice(1);
      // Three letters at least, and no syllable or vowel doubled by the joins (Warleyley, Lii).
      if (name.length >= 3 && !/(..+)\1|([aeiou])\2|(.)\3\3/i.test(name) && !seen.has(name.toLowerCase())) {
        seen.add(name.toLowerCase());
        names.push(name);
      }
      return;
    }
    for (const part of parts[k]!) combine(prefix + part, k + 1);
  };
  combine('', 0);
  const random = createRandom(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  return names.slice(0, count);
}

const BRITISH_ONSETS = splitWords(`
  ash bar bel ber black brad bram brook cal car chad cham cor cran dal dar den dor dun ed el fair far
  fen fin gar gil glen gold good gor hal ham har hath hay hol hor kel ken kir lang lar lea lin lock mal
  man mar mel mer mor nor oak pem pen rad ram red ros ruth sal sand shel stan stock strat tal tam thorn
  tor wal war wes whit wil win wood wor yar ald ask bick bud crom dick east fal hart kim mid pick rush
`);
const BRITISH_MIDDLES = ['', 'a', 'e', 'i', 'ing', 'er', 'en', 'ley'];
const BRITISH_ENDINGS = splitWords(`
  ton ley son ford field well wood by ham worth more er man ard ett ins ock ridge stone dale hurst cott ell ow ick
`);
const OTHER_ONSETS = splitWords(`
  ad ak ba cho da de ha ja ka ko ma na ok ra sa ta wi ya zu bo fa go hu ke lu mo nu pa ri so ti u vo
`);
const OTHER_MIDDLES = ['', 'ba', 'di', 'fe', 'ko', 'lu', 'mi', 'ni', 'ra', 'si', 'to', 'wa', 'ye', 'ha', 'ka'];
const OTHER_ENDINGS = splitWords(`
  wski ak enko escu ovic ani ova ez ian ine oglu ola emi ayo ah uk ich oso ide uma eke ski ri ndo
`);
const FEMALE_ONSETS = splitWords(`
  a be ca da e fe ga ha i ja ka la ma na o pa ra sa ta va ya za li mi ro lu jo ce se te sha cha bri ele ade ama chi fa ni
`);
const GIVEN_MIDDLES = [
  '',
  'la',
  'li',
  'na',
  'ne',
  'ri',
  'ra',
  'ma',
  'mi',
  'da',
  'de',
  'sa',
  'si',
  'ta',
  'ya',
  'lo',
  'ro',
  'vi',
  'bel',
  'nel',
  'ren',
  'lin',
  'min',
  'ris',
];
const FEMALE_ENDINGS = splitWords('a e ie ine ia elle ette ah y een ana ina i ya');
const MALE_ONSETS = splitWords('a be ca da e fe ga ha i ja ka la ma na o pa ra sa ta ya ro lu jo se te ke ni mo de');
const MALE_ENDINGS = splitWords('o an el on ir us im ek en ar ew iel');

/** Family names beyond the head list: about 25,700 (16,000 British in style, the rest of other origins). */
export const FAMILY_NAME_TAIL: readonly string[] = [
  ...syllableNames([BRITISH_ONSETS, BRITISH_MIDDLES, BRITISH_ENDINGS], FAMILY_NAMES, 16_000, 581),
  ...syllableNames([OTHER_ONSETS, OTHER_MIDDLES, OTHER_ENDINGS], FAMILY_NAMES, 12_000, 582),
];
export const FEMALE_GIVEN_NAME_TAIL: readonly string[] = syllableNames([FEMALE_ONSETS, GIVEN_MIDDLES, FEMALE_ENDINGS], FEMALE_GIVEN_NAMES, 5_000, 583);
export const MALE_GIVEN_NAME_TAIL: readonly string[] = syllableNames([MALE_ONSETS, GIVEN_MIDDLES, MALE_ENDINGS], MALE_GIVEN_NAMES, 2_000, 584);

/**
 * Which names a population draws from:
 * - `long-tail` (the default): each head list followed by its syllable-built tail, frequencies
 *   falling as 1 / (rank + c), a Zipf law flattened at the top: the most frequent family name is
 *   about 1% of people (Smith is about 1.2% in Britain), the 100 most frequent about a quarter,
 *   and the tail of about 25,700 spreads the rest thin; the most frequent given name is about 2% of
 *   women, of 5,200 female given names.
 * - `short`: the head lists alone (330 family, 210 female and 20 male given names), frequencies
 *   falling as 1/√rank: the generator before the tails existed, much harder than real data
 *   because key components collide far more often; kept so earlier figures can be reproduced.
 */
export type NameLists = 'long-tail' | 'short';

function buildSampler(names: readonly string[], random: () => number, weightOf: (rank: number) => number = (rank) => 1 / Math.sqrt(rank + 1)): () => string {
  const cumulative = new Float64Array(names.length);
  let total = 0;
  names.forEach((_, rank) => {
    total += weightOf(rank);
    cumulative[rank] = total;
  });
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = names.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return names[lo]!;
  };
}

/**
 * Shares of each value among victims (London-like, from the 2021 census); where the shares of a
 * list sum to less than 1, the rest is people who never state it (every record not known).
 */
export const ATTRIBUTE_DISTRIBUTIONS: Readonly<Record<keyof SyntheticAttributes, ReadonlyArray<readonly [string, number]>>> = {
  ethnicity: [
    ['white_british', 0.37],
    ['white_other', 0.16],
    ['black_african', 0.08],
    ['asian_indian', 0.065],
    ['black_caribbean', 0.04],
    ['asian_other', 0.05],
    ['asian_bangladeshi', 0.03],
    ['asian_pakistani', 0.03],
    ['other_ethnic_group', 0.04],
    ['white_irish', 0.02],
    ['black_other', 0.025],
    ['asian_chinese', 0.017],
    ['mixed_white_black_caribbean', 0.015],
    ['arab', 0.015],
    ['mixed_other', 0.017],
    ['mixed_white_asian', 0.013],
    ['mixed_white_black_african', 0.008],
    ['white_roma', 0.004],
    ['white_gypsy_irish_traveller', 0.001],
  ],
  religion: [
    ['christian', 0.4],
    ['no_religion', 0.27],
    ['muslim', 0.15],
    ['hindu', 0.05],
    ['jewish', 0.02],
    ['sikh', 0.016],
    ['buddhist', 0.01],
    ['other_religion', 0.01],
  ],
  sexualOrientation: [
    ['heterosexual', 0.89],
    ['bisexual', 0.03],
    ['gay_lesbian', 0.025],
    ['other', 0.005],
  ],
  disability: [
    ['no', 0.83],
    ['yes', 0.17],
  ],
};

const ATTRIBUTE_KEYS = Object.keys(ATTRIBUTE_DISTRIBUTIONS) as Array<keyof SyntheticAttributes>;

/** A value drawn from shares that sum to at most 1 (null for the rest). */
export function drawValue(distribution: ReadonlyArray<readonly [string, number]>, random: () => number): string | null {
  let roll = random();
  for (const [value, share] of distribution) {
    if (roll < share) return value;
    roll -= share;
  }
  return null;
}

function drawAttributes(random: () => number): SyntheticAttributes {
  return {
    ethnicity: drawValue(ATTRIBUTE_DISTRIBUTIONS.ethnicity, random),
    religion: drawValue(ATTRIBUTE_DISTRIBUTIONS.religion, random),
    sexualOrientation: drawValue(ATTRIBUTE_DISTRIBUTIONS.sexualOrientation, random),
    disability: drawValue(ATTRIBUTE_DISTRIBUTIONS.disability, random),
  };
}

/** A person's attributes as one service records them: not known, wrong, or right. */
function recordAttributes(person: SyntheticAttributes, rates: ErrorRates, random: () => number): SyntheticAttributes {
  const recorded = { ...person };
  for (const key of ATTRIBUTE_KEYS) {
    const value = person[key];
    if (value === null || random() < rates.attributeNotKnown) {
      recorded[key] = null;
      continue;
    }
    if (random() < rates.attributeWrong) {
      // Another value of the list, in proportion to its share.
      const others = ATTRIBUTE_DISTRIBUTIONS[key].filter(([v]) => v !== value);
      const total = others.reduce((sum, [, share]) => sum + share, 0);
      recorded[key] =
        drawValue(
          others.map(([v, share]) => [v, share / total] as const),
          random,
        ) ?? others[others.length - 1]![0];
    }
  }
  return recorded;
}

interface Person {
  family: string;
  given: string;
  /** Days since 1970-01-01 (UTC). */
  birthDay: number;
  sex: 'female' | 'male' | 'other';
}

const DAY_MS = 86_400_000;
const REFERENCE_DATE = Date.UTC(2024, 3, 1);

/**
 * Ages 16–80, skewed young as victims of domestic abuse are (mode around 30): 16 + 64 × Beta(2, 4),
 * drawn as the second smallest of five uniforms.
 */
function drawBirthDay(random: () => number): number {
  const draws = [random(), random(), random(), random(), random()].sort((a, b) => a - b);
  const age = 16 + 64 * draws[1]!;
  return Math.floor((REFERENCE_DATE - age * 365.25 * DAY_MS) / DAY_MS);
}

function formatIsoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A one-letter typo: a letter substituted (half the time) or dropped. */
function corruptName(name: string, random: () => number): string {
  const letters = name.replace(/[^A-Za-z]/g, '');
  if (letters.length < 2) return letters;
  const position = Math.floor(random() * letters.length);
  if (random() < 0.5) return letters.slice(0, position) + letters.slice(position + 1);
  let replacement = letters[position]!;
  while (replacement.toUpperCase() === letters[position]!.toUpperCase()) replacement = LETTERS[Math.floor(random() * 26)]!;
  return letters.slice(0, position) + replacement + letters.slice(position + 1);
}

function swapDayMonth(iso: string): string | null {
  const [year, month, day] = iso.split('-') as [string, string, string];
  if (day === month || Number(day) > 12) return null;
  return `${year}-${day}-${month}`;
}

function shiftBirthDate(day: number, random: () => number): string {
  if (random() < 0.5) return formatIsoDate(day + (random() < 0.5 ? -1 : 1));
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear() + (random() < 0.5 ? -1 : 1);
  const month = date.getUTCMonth();
  // 29 February a year out becomes 28 February, as a person recalling it would write it.
  const shifted = new Date(Date.UTC(year, month, date.getUTCDate()));
  if (shifted.getUTCMonth() !== month) shifted.setUTCDate(0);
  return shifted.toISOString().slice(0, 10);
}

/** Truncated geometric over 1..max with ratio q; returns q giving the requested mean. */
function solveGeometricRatio(mean: number, max: number): number {
  const meanOf = (q: number) => {
    let weight = 0;
    let total = 0;
    for (let k = 1; k <= max; k++) {
      weight += q ** (k - 1);
      total += k * q ** (k - 1);
    }
    return total / weight;
  };
  let lo = 0;
  let hi = 50;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (meanOf(mid) < mean) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function drawPerson(random: () => number, family: () => string, female: () => string, male: () => string): Person {
  const roll = random();
  const sex = roll < 0.92 ? 'female' : roll < 0.995 ? 'male' : 'other';
  return { family: family(), given: sex === 'male' ? male() : female(), birthDay: drawBirthDay(random), sex };
}

/** One record of a person as a provider would key it in, errors included. */
function buildRecordSlk(person: Person, rates: ErrorRates, random: () => number, family: () => string): string {
  let familyName = person.family;
  if (random() < rates.familyChanged) {
    while (familyName === person.family) familyName = family();
  }
  if (random() < rates.familyTypo) familyName = corruptName(familyName, random);
  let givenName: string | null = person.given;
  if (random() < rates.givenTypo) givenName = corruptName(givenName, random);
  if (random() < rates.givenMissing) givenName = null;
  let birthDate = formatIsoDate(person.birthDay);
  if (random() < rates.birthDateOff) birthDate = shiftBirthDate(person.birthDay, random);
  if (random() < rates.dayMonthSwap) birthDate = swapDayMonth(birthDate) ?? birthDate;
  const sex = random() < rates.sexMissing ? 'not_known' : person.sex;
  return computeSlk581({ familyName, givenName, birthDate, sex });
}

/**
 * Draws an area index in proportion to the areas' sizes (sizes between 1 and 4, so the largest
 * is about four times the smallest).
 */
function buildAreaSampler(count: number, random: () => number): (except?: number) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let a = 0; a < count; a++) cumulative.push((total += 1 + 3 * random()));
  const draw = () => {
    const roll = random() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > roll) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return (except) => {
    if (count < 2 || except === undefined) return draw();
    let area = draw();
    while (area === except) area = draw();
    return area;
  };
}

export function generatePopulation(options: PopulationOptions): Population {
  const services = options.services ?? DEFAULT_SERVICES;
  const rates: ErrorRates = { ...DEFAULT_ERROR_RATES, ...options.errorRates };
  const twinRate = options.twinRate ?? 0.002;
  const random = createRandom(options.seed ?? 1);
  const attributeRandom = createRandom(((options.seed ?? 1) * 2654435761 + 0x9e3779b9) >>> 0);
  const longTail = (options.names ?? 'long-tail') === 'long-tail';
  const zipf = (offset: number) => (rank: number) => 1 / (rank + 1 + offset);
  const family = longTail ? buildSampler([...FAMILY_NAMES, ...FAMILY_NAME_TAIL], random, zipf(10)) : buildSampler(FAMILY_NAMES, random);
  const female = longTail ? buildSampler([...FEMALE_GIVEN_NAMES, ...FEMALE_GIVEN_NAME_TAIL], random, zipf(6)) : buildSampler(FEMALE_GIVEN_NAMES, random);
  const male = longTail ? buildSampler([...MALE_GIVEN_NAMES, ...MALE_GIVEN_NAME_TAIL], random, zipf(6)) : buildSampler(MALE_GIVEN_NAMES, random);
  const maxRecords = Math.min(4, services.length);
  const ratio = solveGeometricRatio(Math.min(Math.max(options.recordsPerPersonMean ?? 1.7, 1), maxRecords), maxRecords);
  const countWeights = Array.from({ length: maxRecords }, (_, k) => ratio ** k);
  const countTotal = countWeights.reduce((sum, w) => sum + w, 0);

  // Areas come from a random stream of their own, so a seed's keys and attributes are the same
  // whatever the number of areas.
  const areaRandom = createRandom(((options.seed ?? 1) * 2246822519 + 0x85ebca6b) >>> 0);
  const areaCount = Math.max(1, Math.floor(options.areas ?? 1));
  const outOfArea = options.outOfAreaRate ?? DEFAULT_OUT_OF_AREA_RATE;
  const drawArea = buildAreaSampler(areaCount, areaRandom);
  const areaCode = (index: number) => `A${String(index + 1).padStart(3, '0')}`;

  const drafts: Array<{ personId: number; service: string; area: string; slk581: string; attributes: SyntheticAttributes }> = [];
  let previous: Person | null = null;
  let previousAttributes: SyntheticAttributes | null = null;
  for (let personId = 1; personId <= options.people; personId++) {
    let person = drawPerson(random, family, female, male);
    const attributes = drawAttributes(attributeRandom);
    if (previous && random() < twinRate) {
      // A twin: same family name and birth date, a different given name, usually the same sex;
      // the same ethnicity, other attributes their own.
      person = { ...person, family: previous.family, birthDay: previous.birthDay, sex: random() < 0.8 ? previous.sex : person.sex };
      while (person.given === previous.given) person.given = person.sex === 'male' ? male() : female();
      attributes.ethnicity = previousAttributes!.ethnicity;
    }
    previous = person;
    previousAttributes = attributes;
    let roll = random() * countTotal;
    let count = 1;
    while (count < maxRecords && roll >= countWeights[count - 1]!) roll -= countWeights[count++ - 1]!;
    const chosen = [...services];
    const home = drawArea();
    for (let r = 0; r < count; r++) {
      const pick = r + Math.floor(random() * (chosen.length - r));
      [chosen[r], chosen[pick]] = [chosen[pick]!, chosen[r]!];
      drafts.push({
        personId,
        service: chosen[r]!,
        area: areaCode(areaCount > 1 && areaRandom() < outOfArea ? drawArea(home) : home),
        slk581: buildRecordSlk(person, rates, random, family),
        attributes: recordAttributes(attributes, rates, attributeRandom),
      });
    }
  }
  for (let i = drafts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [drafts[i], drafts[j]] = [drafts[j]!, drafts[i]!];
  }
  return { records: drafts.map((draft, index) => ({ id: index + 1, ...draft })), people: options.people };
}
