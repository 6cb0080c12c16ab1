import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { makeTempDir, runCommand } from './cli-helper.js';
import { runSlkCommand, SLK_COLUMN } from '../../src/cli/slk-command.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const run = (args: string[]) => runCommand((io) => runSlkCommand(args, io));

const names = ['Smith', 'Mary', 'Smith-Jones', 'Jones', 'Ng', 'Al', "O'Brien", 'Brien', 'Zoë', 'Jo'];
const birthDates = ['1980-01-01', '02/03/1975', '1990-12-31', '29/02/2000'];

const input = [
  'referralId,familyName,givenName,birthDate,victim.sex,riskLevel',
  'R1,Smith,Mary,1980-01-01,female,high',
  'R2,Smith-Jones,Jo,02/03/1975,male,medium',
  'R3,Ng,Al,1990-12-31,,standard',
  `R4,O'Brien,Zoë,29/02/2000,prefer_not_to_say,"high, escalated"`,
  '',
].join('\n');

const expected = [
  `referralId,victim.sex,riskLevel,${SLK_COLUMN}`,
  'R1,female,high,MIHAR010119802',
  'R2,male,medium,MIHO2020319751',
  'R3,,standard,G22L2311219909',
  'R4,prefer_not_to_say,"high, escalated",BREOE290220009',
  '',
].join('\n');

function assertNoIdentifiers(t: Test, text: string): void {
  for (const value of [...names, ...birthDates]) t.notOk(text.includes(value), `${JSON.stringify(value)} does not appear`);
}

t.test('writes the CSV with the SLK and without names or dates of birth to stdout', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, input);
  const { code, stdout, stderr } = await run([file]);
  t.equal(code, 0);
  t.equal(stderr, '');
  t.equal(stdout, expected, 'other columns kept in order; SLK appended; hyphenated and short names');
  assertNoIdentifiers(t, stdout);
});

t.test('--out writes a file and nothing to stdout', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  const out = path.join(dir, 'out.csv');
  await writeFile(file, input);
  const { code, stdout } = await run([file, '--out', out]);
  t.equal(code, 0);
  t.equal(stdout, '');
  const written = await readFile(out, 'utf8');
  t.equal(written, expected);
  assertNoIdentifiers(t, written);
  t.same((await readdir(dir)).sort(), ['in.csv', 'out.csv'], 'no temporary file left behind');
});

t.test('a UTF-8 BOM and CRLF line endings are handled', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, `\uFEFF${input.replaceAll('\n', '\r\n')}`);
  const { code, stdout } = await run([file]);
  t.equal(code, 0);
  t.equal(stdout, expected, 'the BOM is not part of the first column name');
});

t.test('a row with an invalid date fails the run, names the row and column, and writes nothing', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  const out = path.join(dir, 'out.csv');
  const bad = input.replace('02/03/1975', '31/02/1990').replace('1990-12-31', '');
  await writeFile(file, bad);
  const { code, stdout, stderr } = await run([file, '--out', out]);
  t.equal(code, 1);
  t.equal(stdout, '');
  t.match(stderr, 'row 3, column birthDate: not a valid date', 'header is row 1, so R2 is row 3');
  t.match(stderr, 'row 4, column birthDate: missing', 'every bad row is reported');
  t.match(stderr, '2 row(s) could not be given an SLK-581; no output was written');
  t.notOk(stderr.includes('31/02/1990'), 'the bad value is not printed');
  assertNoIdentifiers(t, stderr);
  t.same(await readdir(dir), ['in.csv'], 'no output file and no temporary file');

  const toStdout = await run([file]);
  t.equal(toStdout.code, 1);
  t.equal(toStdout.stdout, '', 'nothing on stdout either, even for the rows before the bad one');
});

t.test('row numbers match a spreadsheet: blank lines count, quoted line breaks do not', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, 'note,familyName,givenName,birthDate\r\n\r\n"two\nlines",Smith,Mary,1980-01-01\nx,Smith,Mary,1980-02-30\r\n');
  const { code, stderr } = await run([file]);
  t.equal(code, 1);
  t.match(stderr, 'row 4, column birthDate: not a valid date', 'header row 1, blank row 2, multi-line record row 3, mixed CRLF/LF');
});

t.test('a systematic problem is summarised rather than listed row by row', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  const rows = Array.from({ length: 25 }, (_, index) => `Smith,Mary,1980-01-${String(index + 1).padStart(2, '0')}X`);
  await writeFile(file, ['familyName,givenName,birthDate', ...rows].join('\n'));
  const { code, stderr } = await run([file]);
  t.equal(code, 1);
  t.equal(stderr.match(/column birthDate/g)?.length, 20);
  t.match(stderr, '… and 5 more rows');
  t.match(stderr, '25 row(s) could not be given an SLK-581');
});

t.test('an existing SLK column is replaced in place', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, `referralId,${SLK_COLUMN},familyName,givenName,birthDate,victim.sex\nR1,STALE,Smith,Mary,1980-01-01,female\n`);
  const { code, stdout } = await run([file]);
  t.equal(code, 0);
  t.equal(stdout, `referralId,${SLK_COLUMN},victim.sex\nR1,MIHAR010119802,female\n`);
});

t.test('column options, and sex 9 when the sex column is absent', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, 'id,surname,forename,dob\nR1,Lee,A,01/01/1980\n');
  const { code, stdout } = await run([file, '--family-name-column', 'surname', '--given-name-column', 'forename', '--birth-date-column', 'dob']);
  t.equal(code, 0);
  t.equal(stdout, `id,${SLK_COLUMN}\nR1,EE222010119809\n`);
});

t.test('an unrecognised sex code names the sex column', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, 'familyName,givenName,birthDate,gender\nSmith,Mary,1980-01-01,banana\n');
  const { code, stderr } = await run([file, '--sex-column', 'gender']);
  t.equal(code, 1);
  t.match(stderr, 'row 2, column gender: not a recognised sex code');
});

t.test('input problems', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const missingColumn = path.join(dir, 'missing-column.csv');
  await writeFile(missingColumn, 'familyName,birthDate\nSmith,1980-01-01\n');
  let result = await run([missingColumn]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'column givenName not found (set it with --given-name-column)');

  const duplicate = path.join(dir, 'duplicate.csv');
  await writeFile(duplicate, 'familyName,givenName,birthDate,familyName\nSmith,Mary,1980-01-01,Smith\n');
  result = await run([duplicate]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'column familyName appears more than once');

  const unclosedQuote = path.join(dir, 'unclosed.csv');
  await writeFile(unclosedQuote, 'familyName,givenName,birthDate\n"Smith,Mary,1980-01-01\n');
  result = await run([unclosedQuote]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'the input is not valid CSV');
  assertNoIdentifiers(t, result.stderr);

  const ragged = path.join(dir, 'ragged.csv');
  await writeFile(ragged, 'familyName,givenName,birthDate\nSmith,Mary\n');
  result = await run([ragged]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'the input is not valid CSV near line 2');
  assertNoIdentifiers(t, result.stderr);

  const empty = path.join(dir, 'empty.csv');
  await writeFile(empty, '');
  result = await run([empty]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'the input is empty');

  result = await run([path.join(dir, 'absent.csv')]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'cannot read the input file (ENOENT)');

  const file = path.join(dir, 'in.csv');
  await writeFile(file, input);
  result = await run([file, '--out', path.join(dir, 'no-such-dir', 'out.csv')]);
  t.equal(result.code, 1);
  t.match(result.stderr, 'cannot write the output (ENOENT)');
});

t.test('usage errors exit 2', async (t) => {
  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, input);
  let result = await run([]);
  t.equal(result.code, 2);
  t.match(result.stderr, 'expected one input file, got 0 arguments');
  result = await run([file, 'Smith']);
  t.equal(result.code, 2);
  t.notOk(result.stderr.includes('Smith'), 'a stray argument is not echoed');
  result = await run([file, '--bogus']);
  t.equal(result.code, 2);
  t.match(result.stderr, 'Usage: vawg slk');
  result = await run([file, '--out', file]);
  t.equal(result.code, 2);
  t.match(result.stderr, '--out must not be the input file');
  result = await run(['--help']);
  t.equal(result.code, 0);
  t.match(result.stdout, 'Usage: vawg slk');
});

t.test('bin/vawg.js runs the TypeScript CLI', async (t) => {
  const execFileAsync = promisify(execFile);
  const bin = path.join(repoRoot, 'bin', 'vawg.js');
  const help = await execFileAsync(process.execPath, [bin, '--help'], { cwd: repoRoot });
  t.match(help.stdout, 'slk');

  const dir = await makeTempDir(t, 'slk');
  const file = path.join(dir, 'in.csv');
  await writeFile(file, input);
  const slk = await execFileAsync(process.execPath, [bin, 'slk', file], { cwd: repoRoot });
  t.equal(slk.stdout, expected);

  const unknown = await execFileAsync(process.execPath, [bin, 'nope'], { cwd: repoRoot }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, 'unknown command "nope"');
});
