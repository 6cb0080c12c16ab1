/**
 * One referral on request (issue 17): `GET /v1/services/{id}/referrals/{referralId}` exports every
 * stored version of it, the updates that named it and who read it, for admins and the service's
 * own providers only; the read is audited under a keyed hash, never the referral's id.
 */
import { sql } from 'drizzle-orm';
import t from 'tap';
import { admin, bearer, buildTestApp, createKey, LINKAGE_SECRET, LogCapture, registerService } from '../helper.js';
import { makeRecord } from '../support/records.js';
import { referralAuditId } from '../../src/services/referrals/export-referral.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('a referral exported: every version, its updates, who read it', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'sar-idva', 'idva');
  await registerService(app, 'sar-vva', 'vva');
  const own = await createKey(app, 'provider', ['sar-idva']);
  const other = await createKey(app, 'provider', ['sar-vva']);
  const analyst = await createKey(app, 'analyst');
  const submit = async (payload: Json) => {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: bearer(own), payload });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as Json;
  };
  const referral = makeRecord(0, '2022-23-Q1', { referralId: 'SAR/0001', riskLevel: 'medium' });
  const v1 = await submit({ service: 'sar-idva', period: '2022-23-Q1', records: [referral, makeRecord(1, '2022-23-Q1')] });
  // A correction, by a new version of the return: the export shows both versions.
  const v2 = await submit({ service: 'sar-idva', period: '2022-23-Q1', records: [{ ...referral, riskLevel: 'high' }, makeRecord(1, '2022-23-Q1')] });
  // A later quarter closes the case, as an update naming the referral.
  await submit({
    service: 'sar-idva',
    period: '2022-23-Q2',
    datasetVersion: '1.1.0',
    records: [makeRecord(2, '2022-23-Q2')],
    updates: [
      {
        referralId: 'SAR/0001',
        referralPeriod: '2022-23-Q1',
        closure: { closedDate: '2022-08-01', reason: 'support_completed', riskReduced: true, feelsSafer: null },
      },
    ],
  });
  await app.inject({ method: 'GET', url: `/v1/returns/${v1.id}`, headers: admin });

  const url = `/v1/services/sar-idva/referrals/${encodeURIComponent('SAR/0001')}`;
  const res = await app.inject({ method: 'GET', url, headers: bearer(own) });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json() as Json;
  t.match(body, { service: 'sar-idva', referralId: 'SAR/0001' });
  t.same(
    body.versions.map((v: Json) => [v.returnId, v.version, v.status, v.record.riskLevel]),
    [
      [v1.id, 1, 'superseded', 'medium'],
      [v2.id, 2, 'current', 'high'],
    ],
    'both versions, as sent, oldest first',
  );
  t.notOk(JSON.stringify(body).includes('slk581'), 'no linkage key');
  t.equal(body.updates.length, 1, 'the later update that named it');
  t.match(body.updates[0], { period: '2022-23-Q2', status: 'current', update: { referralId: 'SAR/0001', closure: { reason: 'support_completed' } } });
  t.same(
    body.reads.map((r: Json) => [r.action, r.role]),
    [
      ['referral.read', 'provider'],
      ['return.read', 'admin'],
    ],
    'who read it: this export, and the admin who read the first version',
  );

  // The audit log names it by a keyed hash only.
  const events = (await app.db.execute(sql`select resource_type, resource_id, detail from audit_events where action = 'referral.read'`)) as unknown as {
    rows: Json[];
  };
  t.same(events.rows, [
    {
      resource_type: 'referral',
      resource_id: referralAuditId(LINKAGE_SECRET, 'sar-idva', 'SAR/0001'),
      detail: { service: 'sar-idva', versions: 2, updates: 1 },
    },
  ]);
  const everything = JSON.stringify((await app.db.execute(sql`select * from audit_events`)) as unknown);
  t.notOk(everything.includes('SAR/0001'), 'the referral id is nowhere in the audit log');

  t.equal((await app.inject({ method: 'GET', url, headers: admin })).statusCode, 200, 'an admin may export it');
  t.equal((await app.inject({ method: 'GET', url, headers: bearer(other) })).statusCode, 403, "another service's provider may not");
  t.equal((await app.inject({ method: 'GET', url, headers: bearer(analyst) })).statusCode, 403, 'nor an analyst');
  const missing = await app.inject({ method: 'GET', url: '/v1/services/sar-idva/referrals/NOT-HELD-42', headers: admin });
  t.equal(missing.statusCode, 404);
  t.notOk(missing.body.includes('NOT-HELD-42'), 'a referral id is never named back');
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/services/sar-idva/referrals/has%20space', headers: admin })).statusCode,
    400,
    'an id the dataset would refuse',
  );
});

t.test('the referral reference in the path is neither logged nor named back', async (t) => {
  const logs = new LogCapture();
  const app = await buildTestApp(t, { logs });
  await registerService(app, 'sar-log', 'idva');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'sar-log', period: '2022-23-Q1', records: [makeRecord(0, '2022-23-Q1', { referralId: 'CASE-7731-SECRET' })] },
  });
  t.equal(res.statusCode, 201);
  t.equal((await app.inject({ method: 'GET', url: '/v1/services/sar-log/referrals/CASE-7731-SECRET', headers: admin })).statusCode, 200);
  const missing = await app.inject({ method: 'GET', url: '/v1/services/sar-log/referrals/CASE-0000-ABSENT', headers: admin });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().instance, '/v1/services/sar-log/referrals/…', 'the problem names the route, not the reference');
  t.ok(logs.lines.length > 0, 'requests were logged');
  t.notMatch(logs.text, /CASE-7731|CASE-0000/, 'no referral reference in any log line');
  t.match(logs.text, /\/v1\/services\/sar-log\/referrals\/…/, 'the path is logged without it');
});
