/**
 * copyInsert (src/db/copy-insert.ts) writes rows through COPY text format on PostgreSQL and as
 * jsonb on PGlite: either way, what is read back is what was given, whatever the text holds.
 */
import { sql } from 'drizzle-orm';
import { boolean, date, integer, jsonb, pgTable, serial, text } from 'drizzle-orm/pg-core';
import t from 'tap';
import { copyInsert } from '../../src/db/copy-insert.js';
import { buildTestApp } from '../helper.js';

const scratch = pgTable('copy_insert_scratch', {
  id: serial().primaryKey(),
  label: text(),
  tags: text().array(),
  doc: jsonb(),
  flag: boolean(),
  amount: integer(),
  day: date({ mode: 'string' }),
  fallback: text().default('kept'),
});

const awkward = [
  'tab\there',
  'line\nbreak and \r carriage return',
  'back\\slash and \\N and \\t',
  '\\N',
  'quote " and comma , and {braces}',
  'NULL',
  '',
  'ünïcödé — 😀',
];

t.test('awkward text, arrays, JSON, nulls and defaults read back as written', async (t) => {
  const app = await buildTestApp(t);
  await app.db.execute(
    sql.raw(
      "create table copy_insert_scratch (id serial primary key, label text, tags text[], doc jsonb, flag boolean, amount integer, day date, fallback text default 'kept')",
    ),
  );
  const rows = awkward.map((label, i) => ({
    label,
    tags: i === 0 ? [] : [label, 'plain', label.toUpperCase()],
    doc: i === 1 ? null : { label, list: [label, 1, null, { nested: label }] },
    flag: i % 2 === 0,
    amount: i === 2 ? null : i - 3,
    day: i === 3 ? null : '2023-05-31',
  }));
  await app.db.transaction(async (tx) => copyInsert(tx, scratch, rows));
  const read = await app.db.select().from(scratch).orderBy(scratch.id);
  t.same(
    read.map(({ id: _id, ...row }) => row),
    rows.map((row) => ({ ...row, fallback: 'kept' })),
  );
});

t.test('a failing row rejects, and the transaction it was in keeps nothing', async (t) => {
  const app = await buildTestApp(t);
  await app.db.execute(
    sql.raw(
      'create table copy_insert_scratch (id serial primary key, label text not null, tags text[], doc jsonb, flag boolean, amount integer, day date, fallback text)',
    ),
  );
  const rows = [{ label: 'a' }, { label: null }, { label: 'c' }];
  await t.rejects(app.db.transaction(async (tx) => copyInsert(tx, scratch, rows as never)));
  const count = async () =>
    ((await app.db.execute(sql.raw('select count(*)::int as n from copy_insert_scratch'))) as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
  t.equal(await count(), 0);
  // The connection is usable after the failed COPY.
  await app.db.transaction(async (tx) => copyInsert(tx, scratch, [{ label: 'after' }]));
  t.equal(await count(), 1);
});
