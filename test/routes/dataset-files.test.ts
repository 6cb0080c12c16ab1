import t from 'tap';
import { parse } from 'csv-parse/sync';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { recordsToCsv } from '../support/csv.js';
import { makeRecords } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

t.test('dataset files for coordinators', async (t) => {
  const app = await buildTestApp(t);

  await t.test('the template is a header a filled-in copy of which the server accepts', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/dataset/template.csv' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/csv/);
    t.match(res.headers['content-disposition'], /attachment; filename="vawg-return-template-1\.1\.0\.csv"/);
    t.ok(res.body.startsWith('\ufeff'), 'a BOM, so spreadsheets read UTF-8');
    const [header] = parse(res.body, { bom: true }) as string[][];
    t.ok(header!.includes('victim.ethnicity') && header!.includes('perpetrators.2.sex') && header!.includes('closure.closedDate'));
    t.notOk(
      header!.some((c) => c === 'victim' || c === 'perpetrators'),
      'only leaf fields',
    );

    await registerService(app, 'col-vva', 'vva');
    const records = makeRecords(8);
    const filled = `${res.body.trimEnd()}\n${recordsToCsv(records).split('\n').slice(1).join('\n')}`;
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/returns?service=col-vva&period=2022-23-Q1',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: filled,
    });
    t.equal(submitted.statusCode, 201, submitted.body);
  });

  await t.test('code lists as JSON and CSV agree with the dataset, crosswalk included', async (t) => {
    const json = (await app.inject({ method: 'GET', url: '/v1/dataset/code-lists' })).json();
    t.equal(json.datasetVersion, '1.1.0', 'the code lists are the current version');
    const ethnicity = json.codeLists.find((l: { id: string }) => l.id === 'ethnicity');
    t.same(
      ethnicity.codes.map((c: { code: string }) => c.code),
      codeLists.ethnicity.codes.map((c) => c.code),
    );
    t.ok(json.codeLists.some((l: { id: string }) => l.id === 'personAnswers'));
    const nhs = json.crosswalks.find((c: { id: string }) => c.id === 'nhs-ethnic-category-2001');
    t.match(nhs.entries, [{ from: 'A', to: 'white_british' }]);
    const validCodes = new Set([...codeLists.ethnicity.codes.map((c) => c.code), 'not_known', 'prefer_not_to_say']);
    t.ok(
      nhs.entries.every((e: { to: string }) => validCodes.has(e.to)),
      'every crosswalk target is a valid code',
    );

    const csv = await app.inject({ method: 'GET', url: '/v1/dataset/code-lists.csv' });
    t.match(csv.headers['content-type'], /^text\/csv/);
    const rows = parse(csv.body, { bom: true, columns: true }) as Array<{ codeList: string; code: string; label: string }>;
    const total = json.codeLists.reduce((n: number, l: { codes: unknown[] }) => n + l.codes.length, 0);
    t.equal(rows.length, total, 'one row per code');
    t.ok(rows.some((r) => r.codeList === 'riskLevel' && r.code === 'high'));
  });
});
