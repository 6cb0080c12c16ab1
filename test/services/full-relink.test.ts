/**
 * A full relink reads its records through a cursor, a batch at a time, straight into a token
 * table (issue 16: ten million records as row objects did not fit in memory). What must hold: the
 * table built a record at a time, growing as it goes, is the table built from all the records at
 * once; the term frequencies counted from its ids are those counted from the records; and the
 * persons, links and counts a relink writes do not depend on how many rows each batch reads.
 */
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { DEFAULT_THRESHOLD } from '../../src/services/linkage/match-threshold.js';
import { relinkPersons } from '../../src/services/linkage/relink.js';
import { computeTermFrequencies, tableTermFrequencies } from '../../src/services/linkage/term-frequencies.js';
import { buildTokenTable, TokenTableBuilder } from '../../src/services/linkage/token-table.js';
import { deriveLinkageTokens } from '../../src/services/linkage/tokens.js';
import { admin, buildTestApp, registerService } from '../helper.js';
import { makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'test-linkage-secret-0123456789abcdef';
const P = '2022-23-Q1';
const SERVICES = ['fr-vva', 'fr-idva', 'fr-marac'];
const population = generatePopulation({ people: 700, seed: 41, services: SERVICES });

t.test('a token table built a record at a time, growing, is the table built at once; its counts are the records’', async (t) => {
  const records = population.records.map((r, i) => ({
    id: r.id,
    tokens: deriveLinkageTokens(r.slk581, SECRET)!,
    // Every third without attributes, every fifth with an empty value: both are "not known".
    attributes: i % 3 === 0 ? undefined : { ...r.attributes, ...(i % 5 === 0 ? { religion: '' } : {}) },
  }));
  t.ok(records.length > 1000, `${records.length} records`);
  const whole = buildTokenTable(
    records.map((r) => r.tokens),
    records.map((r) => r.attributes),
  );
  const builder = new TokenTableBuilder(16);
  for (const r of records) builder.add(r.tokens, r.attributes ?? null);
  const grown = builder.finish();
  t.equal(grown.size, records.length);
  for (const column of ['key', 'family', 'familyPartial', 'given', 'givenPartial', 'birthDate', 'birthDateSwapped', 'birthYear', 'sex'] as const)
    t.same([...grown[column]], [...whole[column]], `${column}: the same ids`);
  t.same(
    grown.attributes.map((c) => [...c]),
    whole.attributes.map((c) => [...c]),
    'attributes: the same ids',
  );
  t.same(grown.distinct, whole.distinct, 'the same distinct counts');
  t.equal(grown.hasAttributes, true);

  const fromRecords = computeTermFrequencies(records);
  const fromTable = tableTermFrequencies(grown);
  const plain = (f: typeof fromRecords) =>
    JSON.stringify(f, (_key, value: unknown) => (value instanceof Map ? [...value.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) : value));
  t.equal(plain(fromTable), plain(fromRecords), 'term frequencies from the ids equal those from the records');
  t.ok((fromTable.family as { total: number }).total > 1000, 'and they count something');

  const noAttributes = new TokenTableBuilder(4);
  noAttributes.add(deriveLinkageTokens(computeSlk581({ familyName: 'Smith', givenName: 'Mary', birthDate: '1980-02-01', sex: 'female' }), SECRET)!);
  t.equal(noAttributes.finish().hasAttributes, false, 'a table given no attributes has none');
});

async function submitAll(t: Test, app: App) {
  for (const service of SERVICES) await registerService(app, service, service.slice(3));
  for (const service of SERVICES) {
    const payload = { service, period: P, records: population.records.filter((r) => r.service === service).map((r) => makeSyntheticRecord(r, P)) };
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
    t.equal(res.statusCode, 201, `${service}: ${res.body.slice(0, 200)}`);
  }
}

/** What a relink writes: every record's person, every link, every count. */
async function written(app: App) {
  const rows = async (query: ReturnType<typeof sql>) => ((await app.db.execute(query)) as unknown as { rows: Json[] }).rows.map((r) => JSON.stringify(r));
  return {
    persons: await rows(sql`select id::text, person_id::text from records order by id`),
    links: await rows(sql`select record_a::text, record_b::text, weight, levels, model_version from person_links order by record_a, record_b`),
    frequencies: await rows(sql`select subject, comparison, value, holders from linkage_frequencies order by subject, comparison, value`),
  };
}

t.test('a full relink writes the same persons, links and counts whatever the cursor’s batch', async (t) => {
  const app = await buildTestApp(t);
  await submitAll(t, app);
  const settings = { threshold: DEFAULT_THRESHOLD };
  const linkable = (await app.db.execute(sql`select count(*)::int as n from records where victim_linkage_slk581_token is not null`)) as unknown as {
    rows: { n: number }[];
  };
  // Persons linked return by return first: a relink then moves records, and writes only those.
  await app.db.execute(sql`update records set person_id = null where id % 4 = 0`);

  const oneBatch = await relinkPersons(app.db, { settings, log: app.log });
  t.equal(oneBatch.records, linkable.rows[0]!.n, 'every linkable record is read');
  const once = await written(app);
  t.ok(
    once.persons.every((row) => JSON.parse(row).person_id !== null),
    'every record with a key has a person again',
  );
  t.ok(once.links.length > 100, `links written (${once.links.length})`);

  await app.db.execute(sql`update records set person_id = null where id % 3 = 0`);
  await app.db.execute(sql`delete from person_links where record_a % 2 = 0`);
  // 7 rows a batch: hundreds of batches, the last one short.
  const manyBatches = await relinkPersons(app.db, { settings, log: app.log, readBatch: 7 });
  t.same(manyBatches, oneBatch, 'the same statistics');
  t.same(await written(app), once, 'the same persons, links and counts');

  const exact = await relinkPersons(app.db, { settings, log: app.log, readBatch: oneBatch.records });
  t.same(exact.records, oneBatch.records, 'a batch exactly as large as the records: the next fetch finds none');
  t.same(await written(app), once);
});
