import t from 'tap';
import { makeRecords } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

interface PeriodRow {
  period: string;
  start: string;
  end: string;
  servicesSubmitted: number;
  versions: number;
  locked: boolean;
  lock: { reason: string | null; lockedAt: string; lockedBy: string | null } | null;
}

t.test('period locks', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'lock-vva');
  await registerService(app, 'lock-idva', 'idva');
  const analyst = bearer(await createKey(app, 'analyst'));
  const provider = bearer(await createKey(app, 'provider', ['lock-vva']));
  const submit = async (service: string, period: string) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records: makeRecords(3, period) } });
    if (res.statusCode !== 201) throw new Error(`submitting ${service} ${period}: ${res.statusCode} ${res.body}`);
  };
  await submit('lock-vva', '2022-23-Q1');
  await submit('lock-vva', '2022-23-Q1');
  await submit('lock-idva', '2022-23-Q1');
  await submit('lock-vva', '2022-23-Q2');
  const lock = (period: string, payload?: object, headers: Record<string, string> = admin) =>
    app.inject({ method: 'PUT', url: `/v1/periods/${period}/lock`, headers, ...(payload ? { payload } : {}) });
  const unlock = (period: string, headers: Record<string, string> = admin) => app.inject({ method: 'DELETE', url: `/v1/periods/${period}/lock`, headers });
  const list = async (query = '', headers: Record<string, string> = analyst) => {
    const res = await app.inject({ method: 'GET', url: `/v1/periods${query}`, headers });
    t.equal(res.statusCode, 200, `GET /v1/periods${query}`);
    return res.json().items as PeriodRow[];
  };
  const audit = async (action: string) => (await app.inject({ method: 'GET', url: `/v1/audit?action=${action}`, headers: admin })).json().items;

  await t.test('quarters with returns are listed, none locked yet', async (t) => {
    const items = await list();
    t.same(
      items.map((p) => [p.period, p.start, p.end, p.servicesSubmitted, p.versions, p.locked, p.lock]),
      [
        ['2022-23-Q1', '2022-04-01', '2022-06-30', 2, 3, false, null],
        ['2022-23-Q2', '2022-07-01', '2022-09-30', 1, 1, false, null],
      ],
    );
  });

  await t.test('lock: 200 with the lock, idempotent, audited', async (t) => {
    const res = await lock('2022-23-Q1', { reason: '2022-23 Q1 report published' });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.match(body, { period: '2022-23-Q1', locked: true, reason: '2022-23 Q1 report published', lockedBy: /^[0-9a-f-]{36}$/ });
    t.ok(Date.parse(body.lockedAt) <= Date.now());

    const again = await lock('2022-23-Q1', { reason: 'a different reason' });
    t.equal(again.statusCode, 200, 'locking a locked period is not an error');
    t.same(again.json(), body, 'the existing lock, unchanged');

    const noBody = await lock('2023-24-Q3');
    t.equal(noBody.statusCode, 200, 'the reason is optional, and so is the body');
    t.match(noBody.json(), { period: '2023-24-Q3', locked: true, reason: null });

    const events = await audit('period.locked');
    t.same(
      events.map((e: { resourceId: string; detail: { alreadyLocked: boolean } }) => [e.resourceId, e.detail.alreadyLocked]),
      [
        ['2023-24-Q3', false],
        ['2022-23-Q1', true],
        ['2022-23-Q1', false],
      ],
    );
    t.match(events[2], { resourceType: 'period', outcome: 'success', apiKeyId: body.lockedBy, role: 'admin' });
  });

  await t.test('the list shows locks, including quarters with no return; from and to narrow it', async (t) => {
    const items = await list();
    t.same(
      items.map((p) => [p.period, p.locked, p.lock?.reason ?? null]),
      [
        ['2022-23-Q1', true, '2022-23 Q1 report published'],
        ['2022-23-Q2', false, null],
        ['2023-24-Q3', true, null],
      ],
    );
    t.match(items[2], { servicesSubmitted: 0, versions: 0 });
    t.same(
      (await list('?from=2022-23-Q2&to=2023-24-Q3', admin)).map((p) => p.period),
      ['2022-23-Q2', '2023-24-Q3'],
    );
    t.same(
      (await list('?to=2022-23-Q1')).map((p) => p.period),
      ['2022-23-Q1'],
    );
    t.same(await list('?from=2024-25-Q1'), []);
  });

  await t.test('unlock: 200, then 404; audited with what it lifted', async (t) => {
    const res = await unlock('2022-23-Q1');
    t.equal(res.statusCode, 200);
    t.same(res.json(), { period: '2022-23-Q1', locked: false });
    const again = await unlock('2022-23-Q1');
    t.equal(again.statusCode, 404);
    t.match(again.headers['content-type'], /application\/problem\+json/);
    t.equal((await unlock('2019-20-Q1')).statusCode, 404, 'never locked');
    t.same(
      (await list()).filter((p) => p.locked).map((p) => p.period),
      ['2023-24-Q3'],
    );
    const [event] = await audit('period.unlocked');
    t.match(event, { resourceType: 'period', resourceId: '2022-23-Q1', outcome: 'success', detail: { reason: '2022-23 Q1 report published' } });
  });

  await t.test('a period must be a quarter', async (t) => {
    for (const period of ['2022-23', '2022-23-Q5', '2022-24-Q1', 'Q1-2022', '2022-23-q1']) {
      const res = await lock(period, { reason: 'x' });
      t.equal(res.statusCode, 400, `PUT ${period}`);
      t.match(res.headers['content-type'], /application\/problem\+json/);
      t.equal((await unlock(period)).statusCode, 400, `DELETE ${period}`);
    }
    for (const query of ['?from=2022-23', '?to=2022-24-Q2', '?from=2023-24-Q1&to=2022-23-Q1']) {
      t.equal((await app.inject({ method: 'GET', url: `/v1/periods${query}`, headers: admin })).statusCode, 400, query);
    }
    t.equal((await lock('2022-23-Q2', { reason: 'x'.repeat(501) })).statusCode, 422, 'a reason over 500 characters');
    t.equal((await lock('2022-23-Q2', { reason: 'x', by: 'me' })).statusCode, 422, 'unknown fields');
    t.equal((await lock('2022-23-Q2', { reason: 7 })).statusCode, 422);
    t.notOk((await list()).find((p) => p.period === '2022-23-Q2')!.locked, 'nothing locked by a refused request');
  });

  await t.test('access: admins lock and unlock; analysts and admins list', async (t) => {
    t.equal((await lock('2022-23-Q2', { reason: 'x' }, {})).statusCode, 401);
    t.equal((await lock('2022-23-Q2', { reason: 'x' }, analyst)).statusCode, 403);
    t.equal((await lock('2022-23-Q2', { reason: 'x' }, provider)).statusCode, 403);
    t.equal((await unlock('2023-24-Q3', analyst)).statusCode, 403);
    t.equal((await unlock('2023-24-Q3', provider)).statusCode, 403);
    t.equal((await app.inject({ method: 'GET', url: '/v1/periods' })).statusCode, 401);
    t.equal((await app.inject({ method: 'GET', url: '/v1/periods', headers: provider })).statusCode, 403);
    t.equal((await list('', admin)).length, 3);
  });
});
