import t from 'tap';
import { getTableColumns, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { records } from '../../src/db/tables.js';
import { fieldColumn, fieldColumns, fieldSql } from '../../src/schema/dataset/columns.js';
import { recordFields, type FieldDefinition } from '../../src/schema/dataset/fields.js';
import { queryRows } from '../../src/services/analytics/scope.js';
import { buildTestApp } from '../helper.js';

const dialect = new PgDialect();
const render = (query: ReturnType<typeof sql>) => dialect.sqlToQuery(query).sql;

/** Every leaf of the record outside lists of objects, walked independently of the resolver. */
function leafPaths(fields: readonly FieldDefinition[], path: string[] = []): string[] {
  return fields.flatMap((f) => (f.type === 'object' ? leafPaths(f.fields ?? [], [...path, f.name]) : [[...path, f.name].join('.')]));
}

t.test('every stored leaf field resolves to a column of the records table', async (t) => {
  const columns = getTableColumns(records);
  const leaves = leafPaths(recordFields);
  t.same(
    fieldColumns.map((c) => c.path),
    leaves,
    'one column per leaf, in the dataset order',
  );
  for (const path of leaves) t.ok(fieldColumn(path).key in columns, `${path} → ${fieldColumn(path).key}`);
  // The columns no field maps to are the storage's own, not a forgotten field.
  const unmapped = Object.keys(columns).filter((key) => !fieldColumns.some((c) => c.key === key));
  t.same(unmapped.filter((key) => !key.startsWith('linkage')).sort(), ['id', 'period', 'personId', 'position', 'recordKey', 'returnId']);
});

t.test('the SQL names are the columns the database has', async (t) => {
  const app = await buildTestApp(t);
  const rows = await queryRows<{ column_name: string }>(
    app.db,
    sql`select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'records'`,
  );
  const names = new Set(rows.map((r) => r.column_name));
  t.ok(names.size > 0, 'the records table was found');
  for (const column of fieldColumns) t.ok(names.has(column.name), `${column.path} → ${column.name}`);
  // Every reference can be selected from the table under the alias the aggregates use.
  await t.resolves(
    app.db.execute(
      sql`select ${sql.join(
        fieldColumns.map((c) => c.sql()),
        sql`, `,
      )} from records r limit 0`,
    ),
  );
});

t.test('paths resolve as dotted strings or arrays', async (t) => {
  const ethnicity = fieldColumn(['victim', 'ethnicity']);
  t.equal(fieldColumn('victim.ethnicity'), ethnicity);
  t.equal(ethnicity.key, 'victimEthnicity');
  t.equal(ethnicity.name, 'victim_ethnicity');
  t.equal(ethnicity.token, false);
  t.equal(ethnicity.field.label, 'Ethnic group');
  t.equal(render(ethnicity.sql()), 'r.victim_ethnicity');
  t.equal(render(fieldSql('victim.genderIdentitySameAsSex', 'r2')), 'r2.victim_gender_identity_same_as_sex');
  t.equal(fieldColumn('closure.riskReduced').name, 'closure_risk_reduced');
  t.equal(fieldColumn('perpetrators').name, 'perpetrators', 'a list of objects is one JSON column');
});

t.test('a linkage key resolves to its token column', async (t) => {
  const slk = fieldColumn('victim.linkage.slk581');
  t.equal(slk.token, true);
  t.equal(slk.key, 'victimLinkageSlk581Token');
  t.equal(slk.name, 'victim_linkage_slk581_token');
});

t.test('a path the dataset does not store as a column is refused', async (t) => {
  t.throws(() => fieldColumn('victim.ethnicty'), /no stored dataset field victim\.ethnicty/);
  t.throws(() => fieldColumn('ethnicity'), /no stored dataset field/);
  t.throws(() => fieldColumn('victim'), /no stored dataset field/, 'an object has columns, not a column');
  t.throws(() => fieldColumn('perpetrators.sex'), /no stored dataset field/, 'fields inside a list of objects are JSON');
  t.throws(() => fieldColumn([]), /no stored dataset field/);
  t.throws(() => fieldSql('victim.ethnicity', 'r; drop table records'), /not a table alias/);
});
