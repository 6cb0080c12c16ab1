import t from 'tap';
import { getTableColumns } from 'drizzle-orm';
import { records } from '../../src/db/tables.js';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import { ageBandOf, ethnicityGroupOf, isLgbtPlus, isMinoritisedEthnicity } from '../../src/schema/dataset/derived.js';
import { mappedColumnKeys } from '../../src/services/returns/record-rows.js';
import { buildTestApp } from '../helper.js';

t.test('GET /v1/dataset describes every field and code list', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/v1/dataset' });
  t.equal(res.statusCode, 200);
  const dataset = res.json();
  t.equal(dataset.datasetVersion, '1.1.0', 'the current version');
  t.same(
    dataset.codeLists.map((l: { id: string }) => l.id),
    Object.keys(codeLists),
  );
  const ethnicity = dataset.fields.find((f: { path: string }) => f.path === 'victim').fields.find((f: { path: string }) => f.path === 'victim.ethnicity');
  t.equal(ethnicity.codes.length, 21, '19 GSS categories plus not_known and prefer_not_to_say');
  t.equal(ethnicity.required, true);
  const vawgTypes = dataset.fields.find((f: { path: string }) => f.path === 'vawgTypes');
  t.equal(vawgTypes.requiredWhen, 'required when category is vawg, absent otherwise');
  t.equal(vawgTypes.minItems, 1);
  t.notOk(JSON.stringify(dataset).includes('witness'), 'children are never described as witnesses');
  t.ok(
    dataset.fields.every((f: { definition: string; label: string }) => f.definition && f.label),
    'every field has a label and definition',
  );
});

t.test('every stored field has a column', async (t) => {
  const columns = new Set(Object.keys(getTableColumns(records)));
  for (const key of mappedColumnKeys()) t.ok(columns.has(key), `column for ${key}`);
});

t.test('derived groupings', async (t) => {
  const groups = codeLists.ethnicity.codes.map((c) => ethnicityGroupOf(c.code));
  t.same([...new Set(groups)].sort(), codeLists.ethnicityGroup.codes.map((c) => c.code).sort(), 'the 19 categories fall into the 5 GSS groups');
  t.equal(ethnicityGroupOf('mixed_white_asian'), 'mixed');
  t.equal(ethnicityGroupOf('arab'), 'other');
  t.equal(ethnicityGroupOf('not_known'), 'not_known');
  t.equal(isMinoritisedEthnicity('white_british'), false);
  t.equal(isMinoritisedEthnicity('white_roma'), true);
  t.equal(isMinoritisedEthnicity('prefer_not_to_say'), null);
  t.equal(isLgbtPlus('heterosexual', 'yes'), false);
  t.equal(isLgbtPlus('heterosexual', 'no'), true);
  t.equal(isLgbtPlus('bisexual', 'not_known'), true);
  t.equal(isLgbtPlus('not_known', 'yes'), null);
  t.same(
    [15, 16, 17, 18, null].map((a) => ageBandOf(a, 'marac')),
    ['under_16', '16-17', '16-17', '18+', 'not_known'],
  );
  t.same(
    [0, 4, 5, 84, 85, 120].map((a) => ageBandOf(a, 'five_year')),
    ['0-4', '0-4', '5-9', '80-84', '85+', '85+'],
  );
});
