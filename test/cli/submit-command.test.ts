import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { makeTempDir, runCommand, writeIn } from './cli-helper.js';
import { runSubmitCommand, type SubmitDeps } from '../../src/cli/submit-command.js';
import type { App } from '../../src/app.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { ADMIN_KEY, admin, buildTestApp, registerService } from '../helper.js';

const fast: SubmitDeps = { env: { VAWG_API_KEY: ADMIN_KEY }, retryBaseMs: 10, pollIntervalMs: 50 };

const run = (args: string[], deps: SubmitDeps = fast) => runCommand((io) => runSubmitCommand(args, io, deps));

async function listen(t: Test, app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function serve(t: Test, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function currentReturns(app: App, period: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: `/v1/returns?period=${period}&status=current`, headers: admin })).json().total as number;
}

const ACCEPTED = /^accepted: version (\d+) of col-vva (\S+), ([\d,]+) records \(return ([0-9a-f-]{36})\)$/m;

t.test('against the real server', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  const url = await listen(t, app);
  const dir = await makeTempDir(t, 'submit');

  await t.test('--dataset-version: the CSV return is validated against and stored as that version', async (t) => {
    const records = makeRecords(5, '2023-24-Q3');
    records[0] = makeRecord(0, '2023-24-Q3', { category: 'vawg', vawgTypes: ['economic_abuse'] });
    // 1.0.0's columns: a file made from the 1.0.0 template, valid under both versions but for the new code.
    const file = await writeIn(dir, 'versioned.csv', recordsToCsv(records, { datasetVersion: '1.0.0' }));
    const old = await run([file, '--service', 'col-vva', '--period', '2023-24-Q3', '--dataset-version', '1.0.0', '--url', url]);
    t.equal(old.code, 1, '1.0.0 has no economic_abuse');
    t.match(old.stdout, /row 2, column vawgTypes/);
    const current = await run([file, '--service', 'col-vva', '--period', '2023-24-Q3', '--dataset-version', '1.1.0', '--url', url]);
    t.equal(current.code, 0, current.stdout + current.stderr);
    const stored = await app.inject({ method: 'GET', url: `/v1/returns/${ACCEPTED.exec(current.stdout)![4]}`, headers: admin });
    t.equal(stored.json().datasetVersion, '1.1.0');
    const bad = await run([file, '--service', 'col-vva', '--period', '2023-24-Q3', '--dataset-version', 'latest', '--url', url]);
    t.equal(bad.code, 2, 'not a version: a usage error');
  });

  await t.test('a CSV return is streamed, stored and reported', async (t) => {
    const records = makeRecords(25, '2022-23-Q1');
    const file = await writeIn(dir, 'q1.csv', recordsToCsv(records, { bom: true, eol: '\r\n' }));
    const { code, stdout, stderr } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', url]);
    t.equal(code, 0, stdout + stderr);
    const match = ACCEPTED.exec(stdout);
    t.ok(match, stdout);
    t.equal(match![1], '1');
    t.equal(match![3], '25');
    const stored = await app.inject({ method: 'GET', url: `/v1/returns/${match![4]}`, headers: admin });
    t.equal(stored.statusCode, 200);
    t.same(stored.json().records, records, 'the return exists with every record');
    t.equal(stderr, '', 'no progress lines for a quick upload off a terminal');
  });

  await t.test('dry run: valid, the version it would be, nothing stored', async (t) => {
    const file = await writeIn(dir, 'q1-again.csv', recordsToCsv(makeRecords(10, '2022-23-Q1')));
    const { code, stdout } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', url, '--dry-run']);
    t.equal(code, 0, stdout);
    t.match(stdout, /^valid \(dry run\): would be version 2 of col-vva 2022-23-Q1, 10 records; nothing was stored$/m);
    const list = await app.inject({ method: 'GET', url: '/v1/returns?service=col-vva&period=2022-23-Q1&status=all', headers: admin });
    t.equal(list.json().total, 1, 'still one version');
  });

  await t.test('a CSV with errors in three rows: exit 1 and the report', async (t) => {
    const period = '2022-23-Q2';
    const records = makeRecords(20, period);
    records[2] = makeRecord(2, period, { victim: { ...(records[2]!.victim as object), ethnicity: 'british' } });
    records[9] = makeRecord(9, period, { referralDate: '2022-01-15' });
    records[15] = makeRecord(15, period, { childrenInHousehold: 'two' });
    const file = await writeIn(dir, 'q2.csv', recordsToCsv(records));
    const { code, stdout } = await run([file, '--service', 'col-vva', '--period', period, '--url', url]);
    t.equal(code, 1);
    t.match(stdout, /^row 4, column victim\.ethnicity: must be one of: .*white_british/m);
    t.match(stdout, /^row 11, column referralDate: must be inside 2022-23-Q2/m);
    t.match(stdout, /^row 17, column childrenInHousehold: must be a whole number/m);
    t.match(stdout, /invalid: 3 problems in 3 rows\nrejected: nothing was stored\n$/);
    t.equal(await currentReturns(app, period), 0);

    const json = await run([file, '--service', 'col-vva', '--period', period, '--url', url, '--json']);
    t.equal(json.code, 1);
    const answer = JSON.parse(json.stdout);
    t.equal(answer.status, 422);
    t.equal(answer.body.errors.length, 3);
    t.equal(answer.attempts, 1, 'a 422 is not retried');
  });

  await t.test('on a terminal: the bar ends at 100%, a spinner while the server checks, and the server’s problemCount', async (t) => {
    const period = '2023-24-Q1';
    // 1,000 rows with three problems each: the server lists the first 1,000 of 3,000.
    const records = makeRecords(1000, period).map((record, i) =>
      makeRecord(i, period, { riskLevel: 'very', childrenInHousehold: 'two', victim: { ...(record.victim as object), ethnicity: 'british' } }),
    );
    const csv = recordsToCsv(records);
    t.ok(csv.length > 3 * 64 * 1024, `${csv.length} bytes: several read chunks, so several progress updates`);
    const file = await writeIn(dir, 'many-problems.csv', csv);
    const { code, stdout, stderr } = await run([file, '--service', 'col-vva', '--period', period, '--url', url], { ...fast, tty: true });
    t.equal(code, 1);

    const frames = stderr.split('\r\x1b[K').slice(1);
    const bars = frames.filter((frame) => frame.startsWith('uploading ['));
    t.ok(bars.length >= 2, `the bar was redrawn (${bars.length} frames)`);
    t.match(bars.at(-1), /^uploading \[#{30}\] 100% /, 'the last frame of the bar is 100%');
    const lastBar = frames.lastIndexOf(bars.at(-1)!);
    t.match(frames[lastBar + 1], /^⠋ uploaded; the server is checking the return… 0 s$/, 'then a spinner while the server checks');
    t.equal(frames.at(-1), '', 'the line is cleared before the report');

    const answer = JSON.parse((await run([file, '--service', 'col-vva', '--period', period, '--url', url, '--json'])).stdout);
    t.equal(answer.body.problemCount, 3000, 'the server counted 3,000');
    t.equal(answer.body.errors.length, 1000, 'and listed 1,000');
    t.match(stdout, /^… and 2,950 more problems$/m);
    t.match(stdout, /invalid: 3,000 problems in at least 334 rows\nrejected: nothing was stored\n$/, 'the count is the server’s problemCount');
  });

  await t.test('a JSON return names its own service and period', async (t) => {
    const file = await writeIn(dir, 'q3.json', JSON.stringify({ service: 'col-vva', period: '2022-23-Q3', records: makeRecords(8, '2022-23-Q3') }));
    const { code, stdout } = await run([file, '--url', url]);
    t.equal(code, 0, stdout);
    t.match(stdout, /^accepted: version 1 of col-vva 2022-23-Q3, 8 records/m);
    const mismatch = await run([file, '--url', url, '--period', '2022-23-Q4']);
    t.equal(mismatch.code, 2, 'a flag that contradicts the file is a usage error');
    t.match(mismatch.stderr, /--period 2022-23-Q4 differs from the file's period "2022-23-Q3"/);
  });

  await t.test('the same Idempotency-Key replays the first answer', async (t) => {
    const file = await writeIn(dir, 'q4.csv', recordsToCsv(makeRecords(6, '2022-23-Q4')));
    const args = [file, '--service', 'col-vva', '--period', '2022-23-Q4', '--url', url, '--idempotency-key', 'retry-from-yesterday'];
    const first = await run(args);
    const second = await run(args);
    t.equal(first.code, 0);
    t.equal(second.code, 0);
    t.equal(ACCEPTED.exec(second.stdout)?.[4], ACCEPTED.exec(first.stdout)?.[4], 'the same return');
    t.match(second.stdout, /already been accepted/);
    const list = await app.inject({ method: 'GET', url: '/v1/returns?service=col-vva&period=2022-23-Q4&status=all', headers: admin });
    t.equal(list.json().total, 1, 'stored once');
  });

  await t.test('a wrong key, an unregistered service: rejected with the detail, not retried', async (t) => {
    const file = await writeIn(dir, 'q1-other.csv', recordsToCsv(makeRecords(3, '2022-23-Q1')));
    const wrongKey = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', url, '--json'], {
      ...fast,
      env: { VAWG_API_KEY: 'not-a-key' },
    });
    t.equal(wrongKey.code, 1);
    t.match(JSON.parse(wrongKey.stdout), { status: 401, attempts: 1 });
    const unknown = await run([file, '--service', 'col-nobody', '--period', '2022-23-Q1', '--url', url]);
    t.equal(unknown.code, 1);
    t.match(unknown.stdout, /^parameter service: service col-nobody is not registered/m);
  });

  await t.test('--key works and warns that it is kept in shell history', async (t) => {
    const file = await writeIn(dir, 'q1-key.csv', recordsToCsv(makeRecords(3, '2022-23-Q1')));
    const { code, stderr } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', url, '--key', ADMIN_KEY, '--dry-run'], {
      ...fast,
      env: {},
    });
    t.equal(code, 0);
    t.match(stderr, /--key is kept in your shell history; set the VAWG_API_KEY/);
  });
});

t.test('a large return becomes a job, which is followed to the end', async (t) => {
  const app = await buildTestApp(t, { config: { asyncReturnBytes: 2048 } });
  await registerService(app, 'col-vva', 'vva');
  const url = await listen(t, app);
  const dir = await makeTempDir(t, 'submit');

  const file = await writeIn(dir, 'big.csv', recordsToCsv(makeRecords(300, '2022-23-Q1')));
  const { code, stdout, stderr } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', url]);
  t.equal(code, 0, stdout + stderr);
  t.match(stderr, /processing the return as job [0-9a-f-]{36}/);
  const match = ACCEPTED.exec(stdout);
  t.equal(match?.[3], '300', stdout);
  t.equal((await app.inject({ method: 'GET', url: `/v1/returns/${match![4]}`, headers: admin })).json().recordCount, 300);

  const records = makeRecords(100, '2022-23-Q2');
  records[40] = makeRecord(40, '2022-23-Q2', { riskLevel: 'very' });
  const bad = await writeIn(dir, 'bad.csv', recordsToCsv(records));
  const failed = await run([bad, '--service', 'col-vva', '--period', '2022-23-Q2', '--url', url]);
  t.equal(failed.code, 1);
  t.match(failed.stdout, /^row 42, column riskLevel: must be one of/m);
  t.match(failed.stdout, /invalid: 1 problem in 1 row\nrejected: nothing was stored\n$/);

  const dry = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', url, '--dry-run', '--json']);
  t.equal(dry.code, 0);
  t.match(JSON.parse(dry.stdout), { status: 200, body: { dryRun: true, wouldBeVersion: 2, recordCount: 300 }, jobId: /^[0-9a-f-]{36}$/ });
});

t.test('retries', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  const appUrl = await listen(t, app);
  const dir = await makeTempDir(t, 'submit');
  const file = await writeIn(dir, 'q1.csv', recordsToCsv(makeRecords(12, '2022-23-Q1')));

  await t.test('503 twice, then the real server: one Idempotency-Key on every attempt', async (t) => {
    const seen: Array<{ key: string | undefined; bytes: number }> = [];
    const flaky = await serve(t, async (request, response) => {
      const body = await readBody(request);
      seen.push({ key: request.headers['idempotency-key'] as string | undefined, bytes: body.length });
      if (seen.length <= 2) {
        response.writeHead(503, { 'content-type': 'application/problem+json' });
        response.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'restarting' }));
        return;
      }
      const upstream = await fetch(`${appUrl}${request.url}`, {
        method: request.method!,
        headers: {
          authorization: request.headers.authorization!,
          'content-type': request.headers['content-type']!,
          'idempotency-key': String(request.headers['idempotency-key']),
        },
        body: body.toString('utf8'),
      });
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    });
    const { code, stdout, stderr } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', flaky]);
    t.equal(code, 0, stdout + stderr);
    t.match(stdout, ACCEPTED);
    t.equal(seen.length, 3);
    t.equal(new Set(seen.map((s) => s.key)).size, 1, 'the same key each time');
    t.match(seen[0]!.key, /^[0-9a-f-]{36}$/);
    t.same(
      seen.map((s) => s.bytes),
      [seen[0]!.bytes, seen[0]!.bytes, seen[0]!.bytes],
      'the whole file each time',
    );
    t.match(stderr, /attempt 1 failed \(503 Service Unavailable\); retrying in 0\.0 s\nvawg submit: attempt 2 failed \(503/);
    t.equal(await currentReturns(app, '2022-23-Q1'), 1);
  });

  await t.test('409 key in use and 429 are retried; other 4xx are not', async (t) => {
    let attempts = 0;
    const answers = [
      { status: 409, type: 'urn:vawg:problem:idempotency-key-in-use' },
      { status: 429, type: 'about:blank' },
      { status: 409, type: 'urn:vawg:problem:period-locked' },
    ];
    const server = await serve(t, async (request, response) => {
      await readBody(request);
      const answer = answers[attempts++]!;
      response.writeHead(answer.status, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: answer.type, title: 'x', status: answer.status, detail: `answer ${attempts}` }));
    });
    const { code, stdout } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', server]);
    t.equal(code, 1);
    t.equal(attempts, 3, 'stopped at the period lock');
    t.match(stdout, /^rejected \(409 Conflict\): answer 3$/m);
  });

  await t.test('an unreachable server: exit 1 after the retries, with the key to retry later', async (t) => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, stdout, stderr } = await run([file, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', `http://127.0.0.1:${port}`, '--retries', '1']);
    t.equal(code, 1);
    t.equal(stdout, '');
    t.match(stderr, /attempt 1 failed \(ECONNREFUSED\)/);
    t.match(stderr, /failed: could not reach http:\/\/127\.0\.0\.1:\d+ after 2 attempts \(ECONNREFUSED\)/);
    t.match(stderr, /--idempotency-key [0-9a-f-]{36}/);
  });
});

t.test('usage errors exit 2', async (t) => {
  const dir = await makeTempDir(t, 'submit');
  const csv = await writeIn(dir, 'q1.csv', recordsToCsv(makeRecords(2)));
  const cases: Array<[string[], RegExp, SubmitDeps?]> = [
    [[], /expected one input file/],
    [[csv, '--period', '2022-23-Q1'], /needs --service and --period/],
    [[csv, '--service', 'col-vva'], /needs --service and --period/],
    [[csv, '--service', 'col-vva', '--period', '2022-Q1'], /not a UK financial quarter/],
    [[csv, '--service', 'col-vva', '--period', '2022-23-Q1', '--retries', 'many'], /--retries/],
    [[csv, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', 'ftp://example.org'], /http/],
    [[csv, '--service', 'col-vva', '--period', '2022-23-Q1', '--url', 'not a url'], /not a URL/],
    [[csv, '--service', 'col-vva', '--period', '2022-23-Q1'], /no API key/, { env: {} }],
    [[path.join(dir, 'q1.xlsx'), '--service', 'col-vva', '--period', '2022-23-Q1'], /--format/],
  ];
  for (const [args, message, deps] of cases) {
    const { code, stderr } = await run(args, deps ?? fast);
    t.equal(code, 2, args.join(' '));
    t.match(stderr, message);
    t.match(stderr, /Usage: vawg submit/);
  }
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: vawg submit/);
  const missing = await run([path.join(dir, 'nope.csv'), '--service', 'col-vva', '--period', '2022-23-Q1']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read .*nope\.csv \(ENOENT\)/);
});
