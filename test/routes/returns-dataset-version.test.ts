/**
 * Returns declare the dataset version they follow (JSON: `datasetVersion` at the top level; CSV:
 * the `datasetVersion` query parameter), are validated against it, and are stored and shown with
 * it. A 1.0.0 return is accepted unchanged, with or without saying so; a code 1.1.0 added is
 * refused in a 1.0.0 return and accepted in a 1.1.0 one.
 */
import t from 'tap';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord, makeRecords } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

type Json = Record<string, unknown>;

t.test('returns by dataset version', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva');
  const post = (payload: Json) => app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
  const postCsv = (csv: string, query: string) =>
    app.inject({ method: 'POST', url: `/v1/returns?${query}`, headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
  const read = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/returns/${id}`, headers: admin })).json();
  /** A VAWG record with the given vawgTypes. */
  const withTypes = (i: number, period: string, vawgTypes: string[]) => makeRecord(i, period, { category: 'vawg', vawgTypes });

  await t.test('a 1.0.0 return is accepted unchanged, declared or not, and records its version', async (t) => {
    const records = makeRecords(12, '2022-23-Q1');
    const declared = await post({ service: 'col-vva', period: '2022-23-Q1', datasetVersion: '1.0.0', records });
    t.equal(declared.statusCode, 201, declared.body);
    t.equal(declared.json().datasetVersion, '1.0.0', 'the summary names the version declared');
    const stored = await read(declared.json().id);
    t.equal(stored.datasetVersion, '1.0.0', 'GET /v1/returns/{id} shows it');
    t.same(stored.records, records, 'every record as sent');

    const undeclared = await post({ service: 'col-vva', period: '2022-23-Q2', records: makeRecords(12, '2022-23-Q2') });
    t.equal(undeclared.statusCode, 201, `the same 1.0.0 records without datasetVersion: ${undeclared.body}`);
    t.equal(undeclared.json().datasetVersion, '1.1.0', 'no version declared: validated against and stored as the current one');

    const list = (await app.inject({ method: 'GET', url: '/v1/returns?service=col-vva', headers: admin })).json();
    t.same(list.items.map((r: Json) => [r.period, r.datasetVersion]).sort(), [
      ['2022-23-Q1', '1.0.0'],
      ['2022-23-Q2', '1.1.0'],
    ]);
  });

  await t.test('a code 1.1.0 added: 422 not_in_code_list in a 1.0.0 return, accepted in a 1.1.0 one', async (t) => {
    const records = [withTypes(1, '2022-23-Q3', ['domestic_abuse', 'coercive_control']), withTypes(2, '2022-23-Q3', ['economic_abuse'])];
    const old = await post({ service: 'col-vva', period: '2022-23-Q3', datasetVersion: '1.0.0', records });
    t.equal(old.statusCode, 422, old.body);
    t.same(
      old.json().errors.map((e: Json) => [e.pointer, e.code]),
      [
        ['/records/0/vawgTypes/1', 'not_in_code_list'],
        ['/records/1/vawgTypes/0', 'not_in_code_list'],
      ],
    );
    const dry = await app.inject({
      method: 'POST',
      url: '/v1/returns?dryRun=true',
      headers: admin,
      payload: { service: 'col-vva', period: '2022-23-Q3', records },
    });
    t.equal(dry.statusCode, 200, `undeclared: the current version accepts them: ${dry.body}`);
    const current = await post({ service: 'col-vva', period: '2022-23-Q3', datasetVersion: '1.1.0', records });
    t.equal(current.statusCode, 201, current.body);
    t.equal(current.json().datasetVersion, '1.1.0');
    t.same((await read(current.json().id)).records, records);
    for (const code of ['non_fatal_strangulation', 'tech_facilitated_abuse', 'child_to_parent_abuse']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/returns?dryRun=true',
        headers: admin,
        payload: { service: 'col-vva', period: '2022-23-Q3', datasetVersion: '1.0.0', records: [withTypes(1, '2022-23-Q3', [code])] },
      });
      t.equal(res.statusCode, 422, `${code} is not a 1.0.0 code`);
      t.match(res.json().errors, [{ pointer: '/records/0/vawgTypes/0', code: 'not_in_code_list' }]);
    }
  });

  await t.test('a field no version has is unknown_field whichever version is declared', async (t) => {
    for (const datasetVersion of ['1.0.0', '1.1.0']) {
      const res = await post({ service: 'col-vva', period: '2022-23-Q4', datasetVersion, records: [makeRecord(1, '2022-23-Q4', { subjectOfFiling: 'x' })] });
      t.equal(res.statusCode, 422, datasetVersion);
      t.match(res.json().errors, [{ pointer: '/records/0/subjectOfFiling', code: 'unknown_field' }]);
    }
  });

  await t.test('an unknown or malformed datasetVersion is a problem naming the field, without its value', async (t) => {
    for (const datasetVersion of ['9.9.9', 'v1-SECRET-TEXT', { version: '1.0.0' }]) {
      const res = await post({ service: 'col-vva', period: '2023-24-Q1', datasetVersion, records: makeRecords(2, '2023-24-Q1') });
      t.equal(res.statusCode, 422, JSON.stringify(datasetVersion));
      const problems = res.json().errors as Json[];
      t.same(
        problems.map((p) => p.pointer),
        ['/datasetVersion'],
        'only the envelope: the records are fine',
      );
      t.equal(problems[0]!.code, typeof datasetVersion === 'string' ? 'not_in_code_list' : 'wrong_type');
      t.match(problems[0]!.detail, /1\.0\.0, 1\.1\.0/);
      if (typeof datasetVersion === 'string') t.notOk(res.body.includes(datasetVersion), 'the value sent is not quoted');
    }
    const csv = await postCsv(recordsToCsv(makeRecords(2, '2023-24-Q1')), 'service=col-vva&period=2023-24-Q1&datasetVersion=0.1.0');
    t.equal(csv.statusCode, 422, csv.body);
    t.match(csv.json().errors, [{ parameter: 'datasetVersion', code: 'not_in_code_list' }]);
    t.notOk(csv.body.includes('0.1.0'), 'the value sent is not quoted');
  });

  await t.test('CSV: the datasetVersion query parameter', async (t) => {
    const records = [withTypes(1, '2023-24-Q2', ['coercive_control']), withTypes(2, '2023-24-Q2', ['rape'])];
    const old = await postCsv(recordsToCsv(records, { datasetVersion: '1.0.0' }), 'service=col-vva&period=2023-24-Q2&datasetVersion=1.0.0');
    t.equal(old.statusCode, 422, old.body);
    t.match(old.json().errors, [{ pointer: 'row 2, column vawgTypes', code: 'not_in_code_list' }]);
    t.equal(old.json().errors.length, 1);

    const v100 = await postCsv(
      recordsToCsv(makeRecords(5, '2023-24-Q2'), { datasetVersion: '1.0.0' }),
      'service=col-vva&period=2023-24-Q2&datasetVersion=1.0.0',
    );
    t.equal(v100.statusCode, 201, v100.body);
    t.equal(v100.json().datasetVersion, '1.0.0');
    t.equal((await read(v100.json().id)).datasetVersion, '1.0.0');

    const v110 = await postCsv(recordsToCsv(records), 'service=col-vva&period=2023-24-Q2');
    t.equal(v110.statusCode, 201, v110.body);
    t.equal(v110.json().datasetVersion, '1.1.0', 'the current version by default');
    t.same((await read(v110.json().id)).records, records);
  });
});
