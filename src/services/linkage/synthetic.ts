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
 * The name lists are short (300 family names and 200 given names stand in for tens of thousands),
 * which makes key components collide far more often than in a real population: accuracy measured
 * here is a lower bound, not a flattering figure.
 */
import { computeSlk581 } from '../../lib/slk581.js';

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
  seed?: number;
}

export interface SyntheticRecord {
  /** 1..n, in shuffled order (so ids say nothing about identity). */
  id: number;
  personId: number;
  service: string;
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

/** mulberry32: small, fast and good enough for test data; the same seed gives the same population. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Name frequencies fall off as 1/√rank: a real surname distribution has a much longer tail, but
 * with only a few hundred names a steeper (Zipf) law would put a sixth of everyone in one family.
 */
function buildSampler(names: readonly string[], random: () => number): () => string {
  const cumulative = new Float64Array(names.length);
  let total = 0;
  names.forEach((_, rank) => {
    total += 1 / Math.sqrt(rank + 1);
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

function drawValue(distribution: ReadonlyArray<readonly [string, number]>, random: () => number): string | null {
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

export function generatePopulation(options: PopulationOptions): Population {
  const services = options.services ?? DEFAULT_SERVICES;
  const rates: ErrorRates = { ...DEFAULT_ERROR_RATES, ...options.errorRates };
  const twinRate = options.twinRate ?? 0.002;
  const random = createRandom(options.seed ?? 1);
  const attributeRandom = createRandom(((options.seed ?? 1) * 2654435761 + 0x9e3779b9) >>> 0);
  const family = buildSampler(FAMILY_NAMES, random);
  const female = buildSampler(FEMALE_GIVEN_NAMES, random);
  const male = buildSampler(MALE_GIVEN_NAMES, random);
  const maxRecords = Math.min(4, services.length);
  const ratio = solveGeometricRatio(Math.min(Math.max(options.recordsPerPersonMean ?? 1.7, 1), maxRecords), maxRecords);
  const countWeights = Array.from({ length: maxRecords }, (_, k) => ratio ** k);
  const countTotal = countWeights.reduce((sum, w) => sum + w, 0);

  const drafts: Array<{ personId: number; service: string; slk581: string; attributes: SyntheticAttributes }> = [];
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
    for (let r = 0; r < count; r++) {
      const pick = r + Math.floor(random() * (chosen.length - r));
      [chosen[r], chosen[pick]] = [chosen[pick]!, chosen[r]!];
      drafts.push({
        personId,
        service: chosen[r]!,
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
