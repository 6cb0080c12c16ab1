import t from 'tap';
import { victimFields } from '../../src/schema/dataset/fields.js';
import { computeSlk581, mapSexCode, parseSlk581, SLK581_PATTERN, Slk581Error, type Slk581Input } from '../../src/lib/slk581.js';

const base: Slk581Input = { familyName: 'Smith', givenName: 'Mary', birthDate: '1980-01-01', sex: 'female' };
const key = (overrides: Partial<Slk581Input>): string => computeSlk581({ ...base, ...overrides });
const familyPart = (familyName: string | null | undefined): string => key({ familyName }).slice(0, 3);
const givenPart = (givenName: string | null | undefined): string => key({ givenName }).slice(3, 5);
const datePart = (birthDate: Slk581Input['birthDate']): string => key({ birthDate }).slice(5, 13);

function slkErrorOf(input: Partial<Slk581Input>): Slk581Error {
  try {
    key(input);
  } catch (error) {
    if (error instanceof Slk581Error) return error;
    throw error;
  }
  throw new Error('expected an Slk581Error');
}

t.test('the documented example', async (t) => {
  t.equal(computeSlk581(base), 'MIHAR010119802', 'Smith, Mary, 1 January 1980, female');
  t.match(computeSlk581(base), new RegExp(SLK581_PATTERN));
});

t.test('family name: letters 2, 3 and 5 after removing non-letters', async (t) => {
  t.equal(familyPart('Smith-Jones'), 'MIH', 'hyphen removed: SMITHJONES');
  t.equal(familyPart("D'Arcy"), 'ARY', 'apostrophe removed: DARCY');
  t.equal(familyPart("O'Brien"), 'BRE', 'apostrophe removed: OBRIEN');
  t.equal(familyPart('Van Der Berg'), 'ANE', 'spaces removed: VANDERBERG');
  t.equal(familyPart('St. John'), 'TJH', 'full stop and space removed: STJOHN');
  t.equal(familyPart('Smith2'), 'MIH', 'digits removed, not confused with the padding 2');
  t.equal(familyPart('  smith  '), 'MIH', 'surrounding whitespace and lower case');
  t.equal(familyPart('sMiTh'), 'MIH', 'mixed case');
});

t.test('family name: short names are padded with 2', async (t) => {
  t.equal(familyPart('Bell'), 'EL2', 'four letters: 5th missing');
  t.equal(familyPart('Lee'), 'EE2');
  t.equal(familyPart('Ng'), 'G22');
  t.equal(familyPart('A'), '222', 'one letter: every position missing');
  t.equal(familyPart('Ng-'), 'G22', 'non-letters do not count towards length');
});

t.test('family name: missing is 999', async (t) => {
  t.equal(familyPart(''), '999');
  t.equal(familyPart('   '), '999');
  t.equal(familyPart(null), '999');
  t.equal(familyPart(undefined), '999');
  t.equal(familyPart("-'."), '999', 'only non-letters counts as missing');
  t.equal(familyPart('123'), '999', 'only digits counts as missing');
});

t.test('given name: letters 2 and 3', async (t) => {
  t.equal(givenPart('Mary'), 'AR');
  t.equal(givenPart('mary '), 'AR');
  t.equal(givenPart('Jo'), 'O2');
  t.equal(givenPart('Al'), 'L2');
  t.equal(givenPart('A'), '22');
  t.equal(givenPart('Mary-Ann'), 'AR');
  t.equal(givenPart('Jo Anne'), 'OA', 'the space is removed like any non-letter: JOANNE');
  t.equal(givenPart(''), '99');
  t.equal(givenPart(null), '99');
  t.equal(givenPart('?'), '99');
});

t.test('diacritics are removed; other Latin letters are transliterated', async (t) => {
  t.equal(givenPart('Zoë'), 'OE', 'Zoë counts as ZOE');
  t.equal(givenPart('Zoe\u0308'), 'OE', 'decomposed input gives the same key');
  t.equal(familyPart('Müller'), 'ULE', 'MULLER');
  t.equal(familyPart('Brontë'), 'ROT', 'BRONTE');
  t.equal(familyPart('Ødegård'), 'DEA', 'Ø has no decomposition: mapped to O, ODEGARD');
  t.equal(familyPart('Straße'), 'TRS', 'ß → SS: STRASSE');
  t.equal(familyPart('Łukasz'), 'UKS', 'Ł → L: LUKASZ');
});

t.test('letters outside the Latin alphabet are an error, not silently dropped', async (t) => {
  const error = slkErrorOf({ familyName: 'Иванов' });
  t.equal(error.field, 'familyName');
  t.notMatch(error.message, 'Иванов', 'the name is not in the message');
  t.equal(slkErrorOf({ givenName: 'Smith Ωmega' }).field, 'givenName', 'even mixed with Latin letters');
});

t.test('date of birth', async (t) => {
  t.equal(datePart('1980-01-01'), '01011980', 'ISO');
  t.equal(datePart('01/01/1980'), '01011980', 'DD/MM/YYYY');
  t.equal(datePart('02/03/1975'), '02031975', 'day first, not month first');
  t.equal(datePart('2/3/1975'), '02031975', 'single-digit day and month');
  t.equal(datePart(' 1975-03-02 '), '02031975', 'surrounding whitespace');
  t.equal(datePart('29/02/2000'), '29022000', 'leap day in a leap year');
  t.equal(datePart(new Date(Date.UTC(1980, 0, 1))), '01011980', 'Date, read in UTC');
  t.equal(datePart(new Date('1980-12-31')), '31121980', 'ISO-parsed Date is UTC midnight');
});

t.test('invalid or missing dates of birth are errors', async (t) => {
  for (const birthDate of [
    '31/02/1990',
    '1990-02-31',
    '29/02/1900',
    '1990-13-01',
    '00/01/1990',
    '1990/01/01',
    '01-01-1990',
    '01/01/90',
    'yesterday',
    '0999-01-01',
  ]) {
    const error = slkErrorOf({ birthDate });
    t.equal(error.field, 'birthDate', `${birthDate} is rejected`);
    t.notMatch(error.message, birthDate, 'the value is not in the message');
  }
  t.equal(slkErrorOf({ birthDate: new Date('not a date') }).field, 'birthDate', 'invalid Date');
  t.equal(slkErrorOf({ birthDate: new Date(Date.UTC(10000, 0, 1)) }).field, 'birthDate', 'Date beyond four-digit years');
  for (const birthDate of ['', '  ', null, undefined]) {
    const error = slkErrorOf({ birthDate });
    t.equal(error.field, 'birthDate', `missing (${JSON.stringify(birthDate)})`);
    t.match(error.reason, /missing/);
  }
  t.match(slkErrorOf({ birthDate: '31/02/1990' }).message, 'birthDate: not a valid date');
});

t.test('sex codes', async (t) => {
  const cases: Array<[Slk581Input['sex'], string]> = [
    ['male', '1'],
    ['Male', '1'],
    ['M', '1'],
    ['1', '1'],
    [1, '1'],
    ['female', '2'],
    ['F', '2'],
    [' f ', '2'],
    ['2', '2'],
    ['other', '3'],
    ['intersex', '3'],
    ['indeterminate', '3'],
    ['X', '3'],
    ['3', '3'],
    [3, '3'],
    ['not_known', '9'],
    ['prefer_not_to_say', '9'],
    ['prefer not to say', '9'],
    ['not stated', '9'],
    ['9', '9'],
    ['', '9'],
    [null, '9'],
    [undefined, '9'],
  ];
  for (const [sex, code] of cases) t.equal(mapSexCode(sex), code, `${JSON.stringify(sex)} → ${code}`);
  t.equal(key({ sex: 'male' }).slice(13), '1', 'last character of the key');
  t.equal(slkErrorOf({ sex: 'banana' }).field, 'sex');
  t.equal(slkErrorOf({ sex: '4' }).field, 'sex');
});

t.test('whole keys', async (t) => {
  t.equal(computeSlk581({ familyName: 'Smith-Jones', givenName: 'Jo', birthDate: '02/03/1975', sex: 'male' }), 'MIHO2020319751');
  t.equal(computeSlk581({ familyName: 'Ng', givenName: 'Al', birthDate: '1990-12-31' }), 'G22L2311219909');
  t.equal(computeSlk581({ familyName: '', givenName: '', birthDate: '1990-12-31', sex: 'other' }), '99999311219903');
  t.equal(computeSlk581({ familyName: 'A', givenName: 'B', birthDate: '2001-07-04', sex: 'F' }), '22222040720012');
  const pattern = new RegExp(SLK581_PATTERN);
  for (const input of [base, { familyName: 'Ng', givenName: 'A', birthDate: '2000-02-29' }, { birthDate: '1900-01-01', sex: 9 }]) {
    t.match(computeSlk581(input), pattern, 'every key built matches the pattern');
  }
});

t.test('SLK581_PATTERN is the pattern the dataset validates with', async (t) => {
  const linkage = victimFields.find((f) => f.name === 'linkage')!;
  t.equal(linkage.fields!.find((f) => f.name === 'slk581')!.pattern, SLK581_PATTERN);
  const pattern = new RegExp(SLK581_PATTERN);
  t.ok(pattern.test('99999010119809'));
  t.notOk(pattern.test('MIHAR01011980'), '13 characters');
  t.notOk(pattern.test('mihar010119802'), 'lower case');
  t.notOk(pattern.test('MIHAR320119802'), 'day 32');
});

t.test('parseSlk581', async (t) => {
  t.same(parseSlk581('MIHAR010119802'), { familyPart: 'MIH', givenPart: 'AR', birthDate: '1980-01-01', sexCode: '2' });
  t.same(parseSlk581('99999311219909'), { familyPart: '999', givenPart: '99', birthDate: '1990-12-31', sexCode: '9' });
  t.same(parseSlk581('G22L2290220003'), { familyPart: 'G22', givenPart: 'L2', birthDate: '2000-02-29', sexCode: '3' });
  t.same(parseSlk581(' mihar010119802 '), { familyPart: 'MIH', givenPart: 'AR', birthDate: '1980-01-01', sexCode: '2' }, 'case and whitespace ignored');
  for (const malformed of [
    '',
    'MIHAR01011980',
    'MIHAR0101198022',
    'MIHAR310219902',
    'MIHAR290219002',
    'MIHAR010119804',
    'M9HAR010119802',
    'MIH9A010119802',
    'MIHAR011319802',
  ]) {
    t.equal(parseSlk581(malformed), null, `${JSON.stringify(malformed)} is malformed`);
  }
  const built = computeSlk581({ familyName: "D'Arcy", givenName: 'Zoë', birthDate: '15/08/1969', sex: 'female' });
  t.equal(built, 'ARYOE150819692');
  t.same(parseSlk581(built), { familyPart: 'ARY', givenPart: 'OE', birthDate: '1969-08-15', sexCode: '2' }, 'round trip');
});
