import t from 'tap';
import { makeTempDir, runCommand, writeIn } from './cli-helper.js';
import { runValidateCommand } from '../../src/cli/validate-command.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const validate = (args: string[]) => runCommand((io) => runValidateCommand(args, io));

const cells = [
  { measure: 'helpline_calls', area: 'E09000007', value: 120 },
  { measure: 'helpline_calls', area: 'E09000007', value: 101, breakdown: { sex: 'female' } },
  { measure: 'police_da_incidents', area: 'E09000003', value: 1262 },
];

t.test('vawg validate: JSON count returns', async (t) => {
  const dir = await makeTempDir(t, 'counts');
  const good = await writeIn(dir, 'counts.json', JSON.stringify({ service: 'met-police-ce', period: '2022-23-Q4', counts: cells }));
  const ok = await validate([good]);
  t.equal(ok.code, 0, ok.stdout);
  t.match(ok.stdout, /\nvalid: 3 cells\n$/);
  t.match(ok.stdout, /not checked offline: .*registered.*period is not locked/);

  const bad = await writeIn(
    dir,
    'bad.json',
    JSON.stringify({
      service: 'met-police-ce',
      period: '2022-23-Q4',
      counts: [cells[0], { measure: 'helpline_calls', area: 'E09000007', value: -1 }, { ...cells[2], value: 1.5 }],
    }),
  );
  const no = await validate([bad]);
  t.equal(no.code, 1);
  t.match(no.stdout, /^\/counts\/1\/value: a count cannot be negative$/m);
  t.match(no.stdout, /^\/counts\/2\/value: must be a whole number/m);
  t.match(no.stdout, /\ninvalid: 2 problems\n$/);
});

t.test('vawg validate: CSV count files give the server’s problems at the server’s pointers', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'met-police-ce', 'police');
  const dir = await makeTempDir(t, 'counts');
  const files = {
    'good.csv': 'measure,area,value,sex\nhelpline_calls,E09000007,120,\nhelpline_calls,E09000007,101,female\n',
    'bad-cell.csv': 'measure,area,value,sex\nhelpline_calls,E09000007,120,\nhelpline_calls,E09000007,many,female\npolice_da_incidents,E09000003,5,male\n',
    'header.csv': 'measure,value,colour\nhelpline_calls,3,red\n',
    'warns.csv': 'measure,area,value,sex\nhelpline_calls,E09000007,10,\nhelpline_calls,E09000007,11,female\nhelpline_calls,E09000001,7,male\n',
  };
  for (const [name, csv] of Object.entries(files)) {
    const file = await writeIn(dir, name, csv);
    const run = await validate([file, '--service', 'met-police-ce', '--period', '2022-23-Q4', '--json']);
    const offline = JSON.parse(run.stdout);
    t.equal(offline.kind, 'counts', `${name}: told from its header`);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/count-returns?service=met-police-ce&period=2022-23-Q4&dryRun=true',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csv,
    });
    const server = res.statusCode === 200 ? { valid: true, problems: [] } : { valid: false, problems: res.json().errors ?? [] };
    t.equal(offline.valid, server.valid, `${name}: same verdict (${res.statusCode})`);
    t.equal(run.code, server.valid ? 0 : 1);
    t.same(
      new Set(offline.problems.map((p: { pointer: string; code: string }) => `${p.pointer} ${p.code}`)),
      new Set(server.problems.map((p: { pointer: string; code: string }) => `${p.pointer} ${p.code}`)),
      `${name}: the same problems at the same pointers`,
    );
    const key = (w: { pointer: string; code: string }) => `${w.pointer} ${w.code}`;
    t.same(
      (offline.warnings ?? []).map(key),
      server.valid ? (res.json().warnings as Array<{ pointer: string; code: string }>).map(key) : [],
      `${name}: the same warnings`,
    );
  }
  const warned = JSON.parse((await validate([`${dir}/warns.csv`, '--json'])).stdout);
  t.same(
    warned.warnings.map((w: { pointer: string; code: string }) => `${w.pointer} ${w.code}`),
    ['row 2, column value breakdown_exceeds_total', 'row 4, column sex total_missing'],
    'a breakdown above its total, and one without a total, are warned of offline',
  );
  const bad = await validate([`${dir}/bad-cell.csv`]);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /^row 3, column value: must be a whole number/m);
  t.match(bad.stdout, /^row 4, column sex: /m);
  t.match(bad.stdout, /\ninvalid: 2 problems in 2 rows\n$/);
  const good = await validate([`${dir}/good.csv`]);
  t.match(good.stdout, /\nvalid: 2 cells\n$/);
});

t.test('detection and --kind', async (t) => {
  const dir = await makeTempDir(t, 'counts');
  const file = await writeIn(dir, 'counts.csv', 'measure,area,value\nhelpline_calls,E09000007,120\n');
  const asRecords = await validate([file, '--kind', 'records']);
  t.equal(asRecords.code, 1, 'checked as a record return, it has the wrong header');
  t.match(asRecords.stdout, /row 1, column/);
  t.notMatch(asRecords.stdout, /cells/);
  const json = await writeIn(dir, 'counts.json', JSON.stringify({ service: 'met-police-ce', period: '2022-23-Q4', counts: cells }));
  t.equal((await validate([json])).code, 0);
  const forced = await validate([json, '--kind', 'records']);
  t.equal(forced.code, 1);
  t.match(forced.stdout, /^\/records: /m);
  const wrong = await validate([json, '--kind', 'totals']);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /--kind must be records or counts/);
  const recordsFile = await writeIn(dir, 'r.json', JSON.stringify({ service: 'x', period: '2022-23-Q4', records: [], counts: [] }));
  t.notMatch((await validate([recordsFile, '--json'])).stdout, /"kind": "counts"/, 'records present: a record return');
});

t.test('vawg submit: count returns against the real server', async (t) => {
  const { runSubmitCommand } = await import('../../src/cli/submit-command.js');
  const { ADMIN_KEY } = await import('../helper.js');
  const app = await buildTestApp(t);
  await registerService(app, 'met-police-ce', 'police');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const submit = (args: string[]) => runCommand((io) => runSubmitCommand([...args, '--url', url], io, { env: { VAWG_API_KEY: ADMIN_KEY }, retryBaseMs: 10 }));
  const dir = await makeTempDir(t, 'counts');
  const versions = async (period: string) =>
    (await app.inject({ method: 'GET', url: `/v1/count-returns?service=met-police-ce&period=${period}`, headers: admin })).json().total as number;
  const ACCEPTED = /^accepted: version (\d+) of met-police-ce (\S+), ([\d,]+) cells \(count return ([0-9a-f-]{36})\)$/m;

  const json = await writeIn(dir, 'q4.json', JSON.stringify({ service: 'met-police-ce', period: '2022-23-Q4', counts: cells }));
  const accepted = await submit([json]);
  t.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
  t.equal(ACCEPTED.exec(accepted.stdout)?.[3], '3', accepted.stdout);

  const csv = await writeIn(dir, 'q3.csv', 'measure,area,value,sex\nhelpline_calls,E09000007,120,\nhelpline_calls,E09000007,101,female\n');
  const dry = await submit([csv, '--service', 'met-police-ce', '--period', '2022-23-Q3', '--dry-run']);
  t.equal(dry.code, 0, dry.stdout + dry.stderr);
  t.match(dry.stdout, /^valid \(dry run\): would be version 1 of met-police-ce 2022-23-Q3, 2 cells; nothing was stored$/m);
  t.equal(await versions('2022-23-Q3'), 0, 'the dry run stored nothing');

  const args = [csv, '--service', 'met-police-ce', '--period', '2022-23-Q3', '--idempotency-key', 'count-retry'];
  const first = await submit(args);
  const second = await submit(args);
  t.equal(first.code, 0, first.stdout + first.stderr);
  t.equal(ACCEPTED.exec(second.stdout)?.[4], ACCEPTED.exec(first.stdout)?.[4], 'the same count return');
  t.equal(ACCEPTED.exec(second.stdout)?.[1], '1', 'the same version');
  t.match(second.stdout, /already been accepted/);
  t.equal(await versions('2022-23-Q3'), 1, 'stored once');

  const bad = await writeIn(dir, 'bad.csv', 'measure,area,value\nhelpline_calls,E09000007,many\n');
  const rejected = await submit([bad, '--service', 'met-police-ce', '--period', '2022-23-Q2']);
  t.equal(rejected.code, 1);
  t.match(rejected.stdout, /^row 2, column value: must be a whole number/m);
  t.match(rejected.stdout, /rejected: nothing was stored\n$/);
  t.equal(await versions('2022-23-Q2'), 0);
});
