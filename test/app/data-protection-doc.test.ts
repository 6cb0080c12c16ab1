/**
 * docs/data-protection.md's inventory is the schema: regenerated here and compared with the
 * committed file, every column of every table classified (a new column without a class fails), and
 * the classes that matter most checked against what the code does with the columns.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { fieldColumns } from '../../src/schema/dataset/columns.js';
import { generateDataProtectionDoc, inventoryStoredData } from '../../scripts/generate-data-protection-doc.js';

t.test('docs/data-protection.md is current (npm run docs:data-protection after changing a table or a field)', async (t) => {
  const committed = await readFile(new URL('../../docs/data-protection.md', import.meta.url), 'utf8');
  t.equal(committed, await generateDataProtectionDoc());
});

t.test('every column is classified, and the keyed hashes and special category data are where the code puts them', async (t) => {
  const inventory = inventoryStoredData();
  const classOf = (table: string, column: string) => inventory.find((i) => i.table === table)?.columns.find((c) => c.column === column)?.class;
  const linkageTokens = fieldColumns.filter((c) => c.token);
  t.ok(linkageTokens.length > 0, 'the dataset has a linkage key');
  for (const token of linkageTokens) t.equal(classOf('records', token.name), 'keyed_hash', `${token.name} is a keyed hash`);
  for (const { table, columns } of inventory)
    for (const { column, class: cls } of columns) if (/^linkage_|_token$/.test(column)) t.equal(cls, 'keyed_hash', `${table}.${column} holds a keyed hash`);
  for (const column of ['victim_ethnicity', 'victim_religion', 'victim_sexual_orientation', 'victim_disability', 'perpetrators'])
    for (const table of ['records', 'analytic_records']) t.equal(classOf(table, column), 'special_category', `${table}.${column} is special category data`);
  t.equal(classOf('records', 'referral_date'), 'quasi_identifier', 'a date is a quasi-identifier');
  t.equal(classOf('api_keys', 'key_hash'), 'secret_hash', 'an API key is stored only as its digest');
});
