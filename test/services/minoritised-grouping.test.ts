/**
 * The minoritised grouping is defined once in TypeScript (schema/dataset/derived.ts) and generated
 * into SQL (analytics/dimensions.ts): the SQL, evaluated on a real database for every ethnicity
 * code, null and a stray value, gives the TypeScript answer, and the answer agrees with
 * `isMinoritisedEthnicity`, which `minoritisedEthnicityRate` counts by.
 */
import t from 'tap';
import { sql } from 'drizzle-orm';
import { isMinoritisedEthnicity, minoritisedEthnicityCodes, minoritisedEthnicityOf } from '../../src/schema/dataset/derived.js';
import { acceptedCodes, victimField } from '../../src/schema/dataset/fields.js';
import { literal, minoritisedEthnicitySql } from '../../src/services/analytics/dimensions.js';
import { queryRows } from '../../src/services/analytics/scope.js';
import { buildTestApp } from '../helper.js';

const STRAY = 'stray_value';

t.test('minoritised ethnicity: the SQL gives the TypeScript answer for every code', async (t) => {
  const app = await buildTestApp(t);
  const codes = acceptedCodes(victimField('ethnicity'));
  const inputs = [...codes, STRAY, null];
  const rows = inputs.map((c, i) => sql`(${sql.raw(String(i))}, ${c === null ? sql`null::text` : sql`${literal(c)}::text`})`);
  const result = await queryRows<{ i: number; g: string }>(
    app.db,
    sql`select v.i, ${minoritisedEthnicitySql(sql`v.c0`)} as g from (values ${sql.join(rows, sql`, `)}) as v(i, c0) order by v.i`,
  );
  const expected = inputs.map((c) => minoritisedEthnicityOf(c ?? STRAY));
  t.same(
    result.map((r) => r.g),
    expected,
    `${codes.length} codes, a stray value and null`,
  );
  t.same(expected.slice(-2), ['not_known', 'not_known'], 'a stray value and null are not known, never minoritised');
  t.same(
    codes.map((c) => minoritisedEthnicityOf(c)),
    codes.map((c) => {
      const m = isMinoritisedEthnicity(c);
      return m === null ? 'not_known' : m ? 'yes' : 'no';
    }),
    'the same definition as the indicator',
  );
  t.same([...new Set(expected)].sort(), [...minoritisedEthnicityCodes].sort(), 'every code of the grouping occurs');
  t.same(
    codes.filter((c) => minoritisedEthnicityOf(c) === 'no'),
    ['white_british'],
    'only White British is not minoritised',
  );
});
