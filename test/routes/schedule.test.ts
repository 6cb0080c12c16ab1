import t from 'tap';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

t.test('reporting schedules', async (t) => {
  const app = await buildTestApp(t);
  const analyst = bearer(await createKey(app, 'analyst'));
  await registerService(app, 'sched-vva');
  const put = (id: string, payload: unknown, headers: Record<string, string> = admin) =>
    app.inject({ method: 'PUT', url: `/v1/services/${id}/schedule`, headers, payload: payload as object });
  const service = async (id: string) =>
    (await app.inject({ method: 'GET', url: '/v1/services', headers: analyst })).json().items.find((s: { id: string }) => s.id === id);

  await t.test('a service registered without a schedule expects no returns, due 30 days after the quarter', async (t) => {
    t.same((await service('sched-vva')).schedule, { expectedFrom: null, expectedUntil: null, deadlineDays: 30 });
  });

  await t.test('POST /v1/services takes a schedule', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: admin,
      payload: {
        id: 'sched-idva',
        name: 'IDVA',
        serviceType: 'idva',
        area: 'E09000001',
        expectedFrom: '2022-23-Q1',
        expectedUntil: '2023-24-Q4',
        deadlineDays: 45,
      },
    });
    t.equal(res.statusCode, 201);
    t.same(res.json().schedule, { expectedFrom: '2022-23-Q1', expectedUntil: '2023-24-Q4', deadlineDays: 45 });
    const partial = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: admin,
      payload: { id: 'sched-isva', name: 'ISVA', serviceType: 'isva', area: 'E09000001', expectedFrom: '2023-24-Q2' },
    });
    t.same(partial.json().schedule, { expectedFrom: '2023-24-Q2', expectedUntil: null, deadlineDays: 30 });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: admin,
      payload: { id: 'sched-bad', name: 'x', serviceType: 'isva', area: 'E09000001', expectedFrom: '2023-24-Q2', expectedUntil: '2022-23-Q1' },
    });
    t.equal(bad.statusCode, 422);
    t.same(
      bad.json().errors.map((e: { pointer: string }) => e.pointer),
      ['/expectedUntil'],
    );
    t.notOk(await service('sched-bad'), 'not registered');
  });

  await t.test('PUT /v1/services/{id}/schedule replaces the schedule and answers the service', async (t) => {
    let res = await put('sched-vva', { expectedFrom: '2022-23-Q2', expectedUntil: '2024-25-Q1', deadlineDays: 0 });
    t.equal(res.statusCode, 200);
    t.match(res.json(), { id: 'sched-vva', name: 'Service sched-vva', schedule: { expectedFrom: '2022-23-Q2', expectedUntil: '2024-25-Q1', deadlineDays: 0 } });
    t.same((await service('sched-vva')).schedule, res.json().schedule, 'stored');

    res = await put('sched-vva', { expectedFrom: '2023-24-Q1', deadlineDays: 365 });
    t.same(res.json().schedule, { expectedFrom: '2023-24-Q1', expectedUntil: null, deadlineDays: 365 }, 'an omitted end is no end');
    res = await put('sched-vva', { expectedFrom: null, deadlineDays: 30 });
    t.equal(res.statusCode, 200, 'null: no schedule set (completeness infers the expected quarters from the returns)');
    t.same(res.json().schedule, { expectedFrom: null, expectedUntil: null, deadlineDays: 30 });

    const events = (await app.inject({ method: 'GET', url: '/v1/audit?action=service.schedule_set', headers: admin })).json().items;
    t.equal(events.length, 3);
    t.match(events[2], {
      resourceType: 'service',
      resourceId: 'sched-vva',
      outcome: 'success',
      role: 'admin',
      detail: {
        schedule: { expectedFrom: '2022-23-Q2', expectedUntil: '2024-25-Q1', deadlineDays: 0 },
        previous: { expectedFrom: null, expectedUntil: null, deadlineDays: 30 },
      },
    });
    t.ok(events[0].requestId, 'with the request id');
  });

  await t.test('invalid schedules: 422, nothing changed', async (t) => {
    await put('sched-vva', { expectedFrom: '2022-23-Q1', deadlineDays: 30 });
    const cases: Array<[unknown, string[]]> = [
      [{ expectedFrom: '2022-23-Q3', expectedUntil: '2022-23-Q2', deadlineDays: 30 }, ['/expectedUntil']],
      [{ expectedFrom: '2022-24-Q1', deadlineDays: 30 }, ['/expectedFrom']],
      [{ expectedFrom: '2022-23', deadlineDays: 30 }, ['/expectedFrom']],
      [{ expectedFrom: null, expectedUntil: '2022-23-Q2', deadlineDays: 30 }, ['/expectedUntil']],
      [{ expectedFrom: '2022-23-Q1', deadlineDays: 366 }, ['/deadlineDays']],
      [{ expectedFrom: '2022-23-Q1', deadlineDays: -1 }, ['/deadlineDays']],
      [{ expectedFrom: '2022-23-Q1', deadlineDays: '30' }, ['/deadlineDays']],
      [{ expectedFrom: '2022-23-Q1' }, ['/deadlineDays']],
      [{ deadlineDays: 30 }, ['/expectedFrom']],
      [{ expectedFrom: '2022-23-Q1', deadlineDays: 30, grace: 5 }, ['/grace']],
    ];
    for (const [payload, pointers] of cases) {
      const res = await put('sched-vva', payload);
      t.equal(res.statusCode, 422, JSON.stringify(payload));
      t.match(res.headers['content-type'], /application\/problem\+json/);
      t.same(
        res.json().errors.map((e: { pointer: string }) => e.pointer),
        pointers,
      );
    }
    t.same((await service('sched-vva')).schedule, { expectedFrom: '2022-23-Q1', expectedUntil: null, deadlineDays: 30 });
    const bad = await app.inject({
      method: 'PUT',
      url: '/v1/services/sched-vva/schedule',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"expectedFrom":',
    });
    t.equal(bad.statusCode, 400, 'unparseable body');
  });

  await t.test('unknown service 404; access', async (t) => {
    const payload = { expectedFrom: '2022-23-Q1', deadlineDays: 30 };
    t.equal((await put('no-such-service', payload)).statusCode, 404);
    t.equal((await put('Not A Slug', payload)).statusCode, 400);
    t.equal((await put('sched-vva', payload, {})).statusCode, 401);
    t.equal((await put('sched-vva', payload, analyst)).statusCode, 403);
    t.equal((await put('sched-vva', payload, bearer(await createKey(app, 'provider', ['sched-vva'])))).statusCode, 403, 'not even its own provider');
  });
});
