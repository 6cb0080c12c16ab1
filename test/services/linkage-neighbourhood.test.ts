/**
 * What keeps a return's linkage from growing with the table (issue 16): the term frequencies kept
 * per return in `linkage_frequencies` end equal to a full rebuild; a database without them (one
 * upgraded from before them) is counted by scanning and links the same people; and the
 * neighbourhood query reaches the table through the blocking indexes, never a scan of it.
 */
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { linkageFrequencies, records } from '../../src/db/tables.js';
import { sharesBlockingKey } from '../../src/services/linkage/neighbourhood.js';
import { admin, buildTestApp, registerService, selectedBackend } from '../helper.js';
import { makeSyntheticRecord } from '../support/records.js';
import { generatePopulation } from '../support/synthetic.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const P = '2022-23-Q1';
const SERVICES = ['nb-vva', 'nb-idva', 'nb-marac'];
// Enough linked records for term frequencies to be used at all (MIN_RECORDS_FOR_TERM_FREQUENCIES).
const population = generatePopulation({ people: 900, seed: 23, services: SERVICES });

const rowsOf = async (app: App, query: ReturnType<typeof sql>) => ((await app.db.execute(query)) as unknown as { rows: Json[] }).rows;

async function submit(t: Test, app: App, service: string, members: typeof population.records, edit?: (record: Json, i: number) => Json) {
  const payload = { service, period: P, records: members.map((r, i) => (edit ? edit(makeSyntheticRecord(r, P), i) : makeSyntheticRecord(r, P))) };
  const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
  t.equal(res.statusCode, 201, `${service}: ${res.statusCode}`);
}

/** Three returns, then a second version of the first with records dropped and attributes changed. */
async function submitAll(t: Test, app: App): Promise<void> {
  for (const service of SERVICES) await registerService(app, service, service.slice(3));
  for (const service of SERVICES)
    await submit(
      t,
      app,
      service,
      population.records.filter((r) => r.service === service),
    );
  const first = population.records.filter((r) => r.service === SERVICES[0]);
  await submit(t, app, SERVICES[0]!, first.slice(40), (record, i) =>
    i % 7 === 0 ? { ...record, victim: { ...record.victim, ethnicity: 'not_known', religion: 'not_known' } } : record,
  );
}

const frequencies = async (app: App) =>
  (
    await app.db
      .select({
        subject: linkageFrequencies.subject,
        comparison: linkageFrequencies.comparison,
        value: linkageFrequencies.value,
        holders: linkageFrequencies.holders,
      })
      .from(linkageFrequencies)
  )
    .filter((row) => row.holders !== 0)
    .map((row) => `${row.subject} ${row.comparison} ${row.value} ${row.holders}`)
    .sort();

/** Persons as sets of (service, referral) of current records: comparable across databases. */
async function persons(app: App): Promise<string[]> {
  const rows = await rowsOf(
    app,
    sql`select ret.service_id, r.referral_id, r.person_id from records r join returns ret on ret.id = r.return_id
        where ret.superseded_at is null and r.person_id is not null`,
  );
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(String(row.person_id), [...(groups.get(String(row.person_id)) ?? []), `${row.service_id}/${row.referral_id}`]);
  return [...groups.values()].map((members) => members.sort().join(' ')).sort();
}

t.test('term frequencies kept per return equal a rebuild, and a database without them links the same people', async (t) => {
  const kept = await buildTestApp(t);
  await submitAll(t, kept);
  const incremental = await frequencies(kept);
  const keptPersons = await persons(kept);
  t.ok(
    incremental.some((row) => row.startsWith('victim * ')),
    'the counts exist from the first migration on',
  );
  t.ok(incremental.length > 1000, `counts for every token and attribute value (${incremental.length})`);

  const scanned = await buildTestApp(t);
  // As a database upgraded from before the counts: none, not even the marker row.
  await scanned.db.delete(linkageFrequencies);
  await submitAll(t, scanned);
  t.same(await frequencies(scanned), [], 'without counts the runs scan and build none by halves');
  t.same(await persons(scanned), keptPersons, 'counting by scanning links the same people as the kept counts');

  const relink = await kept.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
  t.equal(relink.statusCode, 200, relink.body);
  t.same(await frequencies(kept), incremental, 'a full rebuild gives exactly the counts kept return by return');
  t.same(await persons(kept), keptPersons, 'and the same people');

  const rebuilt = await scanned.inject({ method: 'POST', url: '/v1/linkage/relink', headers: admin, payload: {} });
  t.equal(rebuilt.statusCode, 200, rebuilt.body);
  t.same(await frequencies(scanned), incremental, 'a full relink builds the counts where there were none');
});

t.test(
  'the neighbourhood is found through the blocking indexes, not a scan of records',
  { skip: selectedBackend() !== 'postgres' && 'plans are PostgreSQL’s' },
  async (t) => {
    const app = await buildTestApp(t);
    await submitAll(t, app);
    const seeds = await app.db
      .select({
        linkageBirthDate: records.linkageBirthDate,
        linkageBirthDateSwapped: records.linkageBirthDateSwapped,
        linkageFamily: records.linkageFamily,
        linkageGiven: records.linkageGiven,
        linkageBirthYear: records.linkageBirthYear,
        linkageBirthDayMonth: records.linkageBirthDayMonth,
      })
      .from(records)
      .limit(50);
    const near = sharesBlockingKey(records, seeds)!;
    const partitionPlan = await app.db.transaction(async (tx) => {
      // With scans priced out, a rule without an index of its own still shows as a scan of records.
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`analyze records`);
      const rows = (await tx.execute(sql`explain select ${records.id} from ${records} where ${near}`)) as unknown as { rows: Json[] };
      return rows.rows.map((row) => row['QUERY PLAN'] as string).join('\n');
    });
    // `records` is partitioned by year (migration 0012): each partition holds its own copy of each
    // index, named by PostgreSQL, so the plan is read by the index each copy belongs to. The default
    // partition is empty and the planner may take any of its indexes: only the year's copies count.
    const copies = (await app.db.execute(sql`select c.relname as copy, p.relname as parent from pg_inherits i
      join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent join pg_index x on x.indexrelid = c.oid
      where p.relname like 'records_blocking_%' and x.indrelid = 'records_y2022_23'::regclass`)) as unknown as {
      rows: Array<{ copy: string; parent: string }>;
    };
    const plan = copies.rows.reduce((text, { copy, parent }) => text.replaceAll(` ${copy} `, ` ${parent} `), partitionPlan);
    t.notMatch(plan, /Seq Scan on records/, 'no scan of records');
    // Each rule is its own index lookup, two rules to each index (migration 0014): the date rules
    // through the index leading with the date, the name rules through the one leading with the names.
    const lookups = plan.match(/Index Scan using records_blocking_\w+_index/g) ?? [];
    t.equal(lookups.length, 4, `one blocking-index lookup per rule:\n${plan}`);
    for (const index of ['date_names', 'names_dates'])
      t.equal(lookups.filter((l) => l.endsWith(`records_blocking_${index}_index`)).length, 2, `two rules use the ${index} index:\n${plan}`);

    const neighbours = await app.db.select({ id: records.id }).from(records).where(near);
    t.ok(neighbours.length >= 50, 'the seeds find at least themselves');
  },
);
