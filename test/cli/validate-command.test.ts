import path from 'node:path';
import t from 'tap';
import { makeTempDir, runCommand, writeIn } from './cli-helper.js';
import { runValidateCommand } from '../../src/cli/validate-command.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const run = (args: string[]) => runCommand((io) => runValidateCommand(args, io));

/** Records 2, 9 and 15 broken: a code not in the list, a date outside the quarter, a word for a number. */
function threeBadRows(period: string) {
  const records = makeRecords(20, period);
  records[2] = makeRecord(2, period, { victim: { ...(records[2]!.victim as object), ethnicity: 'british' } });
  records[9] = makeRecord(9, period, { referralDate: '2022-01-15' });
  records[15] = makeRecord(15, period, { childrenInHousehold: 'two' });
  return records;
}

t.test('a valid CSV file', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const file = await writeIn(dir, 'returns.csv', recordsToCsv(makeRecords(25, '2022-23-Q1'), { bom: true, eol: '\r\n' }));
  const { code, stdout, stderr } = await run([file, '--period', '2022-23-Q1', '--service', 'col-vva']);
  t.equal(code, 0, stdout);
  t.equal(stderr, '');
  t.match(stdout, /\nvalid: 25 records\n$/, 'the verdict is the last line');
  t.match(stdout, /not checked offline: .*registered.*period is not locked/, 'says what only the server can check');
  t.notMatch(stdout, /no --period/);

  const withoutPeriod = await run([file]);
  t.equal(withoutPeriod.code, 0);
  t.match(withoutPeriod.stdout, /no --period given: referral dates were not checked/, 'says the quarter was not checked');
});

t.test('a CSV with errors in three rows reports all three by row and column', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const file = await writeIn(dir, 'returns.csv', recordsToCsv(threeBadRows('2022-23-Q2')));
  const { code, stdout } = await run([file, '--period', '2022-23-Q2']);
  t.equal(code, 1);
  t.match(stdout, /^row 4, column victim\.ethnicity: must be one of: .*white_british/m, 'says what would be valid');
  t.match(stdout, /^row 11, column referralDate: must be inside 2022-23-Q2/m);
  t.match(stdout, /^row 17, column childrenInHousehold: must be a whole number/m);
  t.match(stdout, /\ninvalid: 3 problems in 3 rows\n$/);

  const withoutPeriod = await run([file]);
  t.equal(withoutPeriod.code, 1);
  t.notMatch(withoutPeriod.stdout, /referralDate/, 'without a quarter the date is not judged');
  t.match(withoutPeriod.stdout, /invalid: 2 problems in 2 rows/);
});

t.test('--json prints the machine-readable report', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const file = await writeIn(dir, 'returns.csv', recordsToCsv(threeBadRows('2022-23-Q2')));
  const { code, stdout } = await run([file, '--period', '2022-23-Q2', '--json']);
  t.equal(code, 1);
  const report = JSON.parse(stdout);
  t.match(report, { valid: false, format: 'csv', period: '2022-23-Q2', recordCount: 20, problemCount: 3, rowsWithProblems: 3, rowsExact: true });
  t.same(
    report.problems.map((p: { pointer: string }) => p.pointer),
    ['row 4, column victim.ethnicity', 'row 11, column referralDate', 'row 17, column childrenInHousehold'],
  );
  t.same(report.byColumn.map((s: { column: string }) => s.column).sort(), ['childrenInHousehold', 'referralDate', 'victim.ethnicity']);
});

t.test('many problems: the first 50 listed, the rest counted and summarised per column', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const records = makeRecords(120, '2022-23-Q1').map((record, i) => (i % 2 === 0 ? { ...record, riskLevel: 'very' } : record));
  const file = await writeIn(dir, 'returns.csv', recordsToCsv(records));
  const { code, stdout } = await run([file, '--period', '2022-23-Q1']);
  t.equal(code, 1);
  t.equal(stdout.match(/^row \d+, column riskLevel:/gm)?.length, 50, 'fifty problems printed');
  t.match(stdout, /… and 10 more problems/);
  t.match(stdout, /Problems by column[^\n]*\n\s+riskLevel\s+60 rows\s+not_in_code_list: must be one of/);
  t.match(stdout, /invalid: 60 problems in 60 rows\n$/);
});

t.test('header problems and malformed CSV', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const csv = recordsToCsv(makeRecords(3, '2022-23-Q1'));
  const [header, ...rows] = csv.split('\n');
  const badHeader = await writeIn(dir, 'header.csv', [header!.replace('referralSource', 'referralSorce'), ...rows].join('\n'));
  const headerRun = await run([badHeader]);
  t.equal(headerRun.code, 1);
  t.match(headerRun.stdout, /^row 1, column referralSorce: /m);
  t.match(headerRun.stdout, /^row 1, column referralSource: the column is required/m);

  const unclosed = await writeIn(dir, 'unclosed.csv', `${header}\n"A-1,2022-04-01`);
  const unclosedRun = await run([unclosed]);
  t.equal(unclosedRun.code, 1);
  t.match(unclosedRun.stdout, /^row 2, column 1: a quoted cell is never closed$/m, 'malformed CSV is located by row and column');
  t.notMatch(unclosedRun.stdout, /A-1/, 'and the cell is not quoted');

  const empty = await writeIn(dir, 'empty.csv', '');
  t.equal((await run([empty])).code, 1, 'an empty file is invalid');
});

t.test('a JSON return', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const good = await writeIn(dir, 'good.json', JSON.stringify({ service: 'col-vva', period: '2022-23-Q1', records: makeRecords(12, '2022-23-Q1') }));
  const goodRun = await run([good]);
  t.equal(goodRun.code, 0, goodRun.stdout);
  t.match(goodRun.stdout, /valid: 12 records\n$/);

  const bad = await writeIn(dir, 'bad.json', JSON.stringify({ service: 'col-vva', period: '2022-23-Q2', records: threeBadRows('2022-23-Q2') }));
  const badRun = await run([bad, '--period', '2022-23-Q3']);
  t.equal(badRun.code, 1);
  t.match(badRun.stdout, /^\/records\/2\/victim\/ethnicity: must be one of/m);
  t.match(badRun.stdout, /^\/records\/9\/referralDate: must be inside 2022-23-Q2/m, "the file's own period is used");
  t.match(badRun.stdout, /^\/records\/15\/childrenInHousehold: /m);
  t.match(badRun.stdout, /--period 2022-23-Q3 differs from the file's period 2022-23-Q2/);
  t.match(badRun.stdout, /invalid: 3 problems in 3 records\n$/);

  const envelope = await writeIn(dir, 'envelope.json', JSON.stringify({ records: [], extra: 1 }));
  const envelopeRun = await run([envelope]);
  t.equal(envelopeRun.code, 1);
  t.match(envelopeRun.stdout, /^\/service: /m);
  t.match(envelopeRun.stdout, /^\/period: /m);
  t.match(envelopeRun.stdout, /^\/extra: /m);

  const notJson = await writeIn(dir, 'broken.json', '{"service": ');
  const notJsonRun = await run([notJson]);
  t.equal(notJsonRun.code, 1);
  t.match(notJsonRun.stdout, /not valid JSON/);
});

t.test('usage errors exit 2; an unreadable file exits 1', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const file = await writeIn(dir, 'returns.csv', recordsToCsv(makeRecords(2)));
  for (const args of [
    [],
    [file, file],
    [file, '--period', '2022-Q1'],
    [file, '--period', '2022-24-Q1'],
    [file, '--service', 'Col VVA'],
    [file, '--nope'],
    [path.join(dir, 'returns.txt')],
    [file, '--format', 'xml'],
  ]) {
    const { code, stderr } = await run(args);
    t.equal(code, 2, `${args.join(' ')}: usage error`);
    t.match(stderr, /^vawg validate: .*\n\nUsage: vawg validate/);
  }
  const txt = await writeIn(dir, 'returns.txt', recordsToCsv(makeRecords(2)));
  t.equal((await run([txt, '--format', 'csv'])).code, 0, '--format names the format of any file');
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: vawg validate/);
  const missing = await run([path.join(dir, 'missing.csv')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read .*missing\.csv \(ENOENT\)/);
  t.equal((await run([dir + '/.', '--format', 'csv'])).code, 1, 'a directory is not a file');
});

t.test('the offline verdicts are the server verdicts', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  const dir = await makeTempDir(t, 'validate');
  const period = '2022-23-Q2';
  const records = threeBadRows(period);
  records[4] = makeRecord(4, period, { referralId: records[1]!.referralId, riskLevel: 'severe' });
  records[6] = makeRecord(6, period, { category: 'non_vawg', nonVawgCrimeType: 'theft', vawgTypes: ['stalking'] });
  records[7] = makeRecord(7, period, { closure: { closedDate: '2022-04-01', reason: 'support_completed', riskReduced: 'maybe', feelsSafer: true } });
  records[8] = makeRecord(8, period, { victim: { ...(records[8]!.victim as object), age: -3, ethnicity: 'A' } });
  const files = {
    'mixed.csv': recordsToCsv(records),
    'good.csv': recordsToCsv(makeRecords(15, period)),
    'short-row.csv': `${recordsToCsv(makeRecords(3, period)).trimEnd()}\nA-9,2022-07-01\n`,
    'header.csv': recordsToCsv(makeRecords(3, period)).replace('victim.religion,', 'victim.religon,'),
  };
  for (const [name, csv] of Object.entries(files)) {
    const file = await writeIn(dir, name, csv);
    const offline = JSON.parse((await run([file, '--period', period, '--json'])).stdout);
    const res = await app.inject({
      method: 'POST',
      url: `/v1/returns?service=col-vva&period=${period}&dryRun=true`,
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csv,
    });
    const server = res.statusCode === 200 ? { valid: true, problems: [], warnings: res.json().warnings } : { valid: false, problems: res.json().errors ?? [] };
    t.equal(offline.valid, server.valid, `${name}: same verdict (${res.statusCode})`);
    t.same(
      new Set(offline.problems.map((p: { pointer: string; code: string }) => `${p.pointer} ${p.code}`)),
      new Set(server.problems.map((p: { pointer: string; code: string }) => `${p.pointer} ${p.code}`)),
      `${name}: the same problems at the same pointers`,
    );
    if (server.valid) t.same(offline.warnings, server.warnings, `${name}: the same warnings`);
  }
  t.ok(JSON.parse((await run([path.join(dir, 'mixed.csv'), '--period', period, '--json'])).stdout).problemCount >= 8, 'the mixed file exercises many rules');
});

t.test('offline, the same actionable messages, with what was sent, and the period that is probably wrong', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  // Q3 referrals, one date written day first and a label for a code, checked as Q1.
  const records = makeRecords(6, '2022-23-Q3');
  records[1] = makeRecord(1, '2022-23-Q3', { riskLevel: 'High', victim: { ...(records[1]!.victim as object), linkage: { slk581: 'SECRETSLK' } } });
  const csv = await writeIn(dir, 'q3.csv', recordsToCsv(records));
  const { code, stdout } = await run([csv, '--period', '2022-23-Q1']);
  t.equal(code, 1);
  t.match(stdout, /^row 3, column riskLevel: did you mean high\? Give the code, not its label .*\(you sent "High"\)$/m);
  t.match(stdout, /^row 3, column victim\.linkage\.slk581: must be an SLK-581: 14 characters/m);
  t.notMatch(stdout, /SECRETSLK/, 'a linkage key is never shown, even offline');
  t.match(stdout, /^row 2, column referralDate: must be inside 2022-23-Q1 \(2022-04-01 to 2022-06-30\) \(you sent "2022-10-01", in 2022-23-Q3\)$/m);
  t.match(
    stdout,
    /^column referralDate: every referralDate is outside 2022-23-Q1, the period given: the referrals all fall in 2022-23-Q3\. Is the period right\?/m,
  );

  const json = await writeIn(
    dir,
    'q3.json',
    JSON.stringify({ service: 'col-vva', period: '2022-23-Q1', records: [makeRecord(0, '2022-23-Q1', { referralDate: '31/05/2022' })] }),
  );
  const fromJson = await run([json]);
  t.equal(fromJson.code, 1);
  t.match(
    fromJson.stdout,
    /^\/records\/0\/referralDate: must be a date as YYYY-MM-DD, e\.g\. 2023-05-31 \(you sent "31\/05\/2022"; as day\/month\/year that is 2022-05-31\)$/m,
  );
});

t.test('--dataset-version: a CSV file checked against the version it follows', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const records = makeRecords(5, '2022-23-Q1');
  records[1] = makeRecord(1, '2022-23-Q1', { category: 'vawg', vawgTypes: ['coercive_control'] });
  // 1.0.0's columns: a file of either version but for the one code.
  const file = await writeIn(dir, 'returns.csv', recordsToCsv(records, { datasetVersion: '1.0.0' }));
  const current = await run([file, '--period', '2022-23-Q1']);
  t.equal(current.code, 0, `the current version (1.1.0) has coercive_control: ${current.stdout}`);
  const old = await run([file, '--period', '2022-23-Q1', '--dataset-version', '1.0.0']);
  t.equal(old.code, 1, '1.0.0 does not');
  t.match(old.stdout, /row 3, column vawgTypes/);
  t.match(old.stdout, /invalid: 1 problem/);
  const unknown = await run([file, '--dataset-version', '0.9.0']);
  t.equal(unknown.code, 2, 'a version this build does not know is a usage error');
  t.match(unknown.stderr, /--dataset-version must be one of 1\.0\.0, 1\.1\.0/);
  const json = await writeIn(dir, 'return.json', JSON.stringify({ service: 'col-vva', period: '2022-23-Q1', datasetVersion: '1.0.0', records }));
  const jsonOld = await run([json]);
  t.equal(jsonOld.code, 1, 'a JSON return is held to the version it declares: 1.0.0 has no coercive_control');
  t.match(jsonOld.stdout, /\/records\/1\/vawgTypes\/0/);
  const flagWithJson = await run([json, '--dataset-version', '1.0.0']);
  t.equal(flagWithJson.code, 2, 'a JSON return names its own version');
});

t.test('a JSON return with updates: their own rules are checked offline, the referrals they name by the server', async (t) => {
  const dir = await makeTempDir(t, 'validate');
  const body = {
    service: 'col-vva',
    period: '2022-23-Q2',
    records: makeRecords(2, '2022-23-Q2'),
    updates: [
      {
        referralId: 'R-1',
        referralPeriod: '2022-23-Q1',
        closure: { closedDate: '2022-08-01', reason: 'support_completed', riskReduced: true, feelsSafer: null },
      },
      { referralId: 'R-2', referralPeriod: '2022-23-Q2', status: 'declined' },
      { referralId: 'R-3', referralPeriod: '2022-23-Q1', refuge: { departureDate: '2022-12-01' } },
      { referralId: 'R-1', referralPeriod: '2022-23-Q1', court: { outcome: 'not_a_code' } },
    ],
  };
  const file = await writeIn(dir, 'returns.json', JSON.stringify(body));
  const { code, stdout } = await run([file]);
  t.equal(code, 1, stdout);
  t.match(stdout, /^\/updates\/1\/referralPeriod: must be a quarter before 2022-23-Q2/m, 'an update of this quarter');
  t.match(stdout, /^\/updates\/2\/refuge\/departureDate: an event an update reports must fall inside this return's quarter/m);
  t.match(stdout, /^\/updates\/3\/referralId: an update of the same referral/m, 'one update per referral');
  t.match(stdout, /^\/updates\/3\/court\/outcome: must be one of/m);
  t.notMatch(stdout, /^\/updates\/0/m, 'the first is valid offline');
  t.match(stdout, /not checked offline: .*the referrals updates name exist/);

  const valid = await writeIn(dir, 'valid.json', JSON.stringify({ ...body, updates: body.updates.slice(0, 1) }));
  const ok = await run([valid]);
  t.equal(ok.code, 0, ok.stdout);
});
