/**
 * The derived groupings are defined once in TypeScript (schema/dataset/derived.ts) and generated
 * into SQL (aggregates/dimensions.ts); this evaluates the SQL on a real database for every code
 * (and every pair of codes), plus null and a stray value, and holds it equal to the TypeScript.
 */
import t from 'tap';
import { sql, type SQL } from 'drizzle-orm';
import { ageBandOf, ageBandSets, ethnicityGroupOf, isLgbtPlus, type AgeBandSetId } from '../../src/schema/dataset/derived.js';
import { acceptedCodes, victimField } from '../../src/schema/dataset/fields.js';
import { ageBandSql, ethnicityGroupSql, lgbtPlusOf, lgbtPlusSql, literal } from '../../src/services/analytics/dimensions.js';
import { queryRows } from '../../src/services/analytics/scope.js';
import { buildTestApp } from '../helper.js';

/** Not a code of any list: what a stray value in the column would be. */
const STRAY = 'stray_value';

const text = (value: string | null): SQL => (value === null ? sql`null::text` : sql`${literal(value)}::text`);

/** Evaluates `expression` over `v(i, a, b)` for each row of inputs; the results in input order. */
async function evaluate(app: Awaited<ReturnType<typeof buildTestApp>>, inputs: SQL[][], expression: SQL): Promise<string[]> {
  const rows = inputs.map((cells, i) => sql`(${sql.raw(String(i))}, ${sql.join(cells, sql`, `)})`);
  const columns = inputs[0]!.map((_, i) => `c${i}`).join(', ');
  const result = await queryRows<{ i: number; g: string }>(
    app.db,
    sql`select v.i, ${expression} as g from (values ${sql.join(rows, sql`, `)}) as v(i, ${sql.raw(columns)}) order by v.i`,
  );
  return result.map((r) => r.g);
}

t.test('derived groupings: the SQL gives the TypeScript answer for every code', async (t) => {
  const app = await buildTestApp(t);

  t.test('LGBT+ over every pair of codes', async (t) => {
    const orientations = [...acceptedCodes(victimField('sexualOrientation')), STRAY, null];
    const sameAsSex = [...acceptedCodes(victimField('genderIdentitySameAsSex')), STRAY, null];
    const pairs = orientations.flatMap((o) => sameAsSex.map((g) => [o, g] as const));
    const fromSql = await evaluate(
      app,
      pairs.map(([o, g]) => [text(o), text(g)]),
      lgbtPlusSql(sql`v.c0`, sql`v.c1`),
    );
    // Null is an answer outside the list, as a stray value is.
    const expected = pairs.map(([o, g]) => lgbtPlusOf(o ?? STRAY, g ?? STRAY));
    t.same(fromSql, expected, `${pairs.length} pairs`);
    t.same(
      pairs.map(([o, g]) => isLgbtPlus(o ?? STRAY, g ?? STRAY)),
      expected.map((e) => (e === 'not_known' ? null : e === 'yes')),
    );
    t.ok(expected.includes('yes') && expected.includes('no') && expected.includes('not_known'), 'every answer occurs');
  });

  t.test('ethnic group over every ethnicity code', async (t) => {
    const codes = acceptedCodes(victimField('ethnicity'));
    const fromSql = await evaluate(
      app,
      [...codes, STRAY, null].map((c) => [text(c)]),
      ethnicityGroupSql(sql`v.c0`),
    );
    t.same(fromSql, [...codes.map((c) => ethnicityGroupOf(c)), 'not_known', 'not_known'], `${codes.length} codes, a stray value and null`);
  });

  t.test('age bands over every age in every set', async (t) => {
    const ages: Array<number | null> = [null];
    for (let age = -1; age <= 130; age += 1) ages.push(age);
    for (const set of Object.keys(ageBandSets) as AgeBandSetId[]) {
      const fromSql = await evaluate(
        app,
        ages.map((a) => [a === null ? sql`null::int` : sql`${sql.raw(String(a))}::int`]),
        ageBandSql(sql`v.c0`, set),
      );
      t.same(
        fromSql,
        ages.map((a) => ageBandOf(a, set)),
        `${set}: ${ages.length} ages`,
      );
    }
  });
});
