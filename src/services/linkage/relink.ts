/**
 * Keeps persons current. After a return is accepted or superseded, only its neighbourhood is
 * re-matched: the new records, every current record sharing a blocking key with them, the records
 * that were in the same persons as the superseded ones, and every member of the persons those
 * touch (so no cluster is split by being half inside). A full relink re-estimates the model (EM)
 * and re-matches everything.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { and, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { linkageModels, personLinks, records, returns, services } from '../../db/tables.js';
import { bigintArray, textArray } from '../../db/arrays.js';
import { copyInsert } from '../../db/copy-insert.js';
import { personAnswerCodes } from '../../schema/dataset/code-lists.js';
import { tokensOfRow } from '../returns/record-rows.js';
import { activeModel, type ActiveModel } from './active-model.js';
import type { AttributeName, LinkageAttributes } from './comparison-levels.js';
import type { LinkageModel } from './linkage-model.js';
import type { LinkageRecord } from './linkage-record.js';
import { dropFrequencies, rebuildFrequencies, updateFrequencies } from './frequency-table.js';
import { coverQueuedLinkage } from './linkage-queue.js';
import { gatherNeighbourhood } from './neighbourhood.js';
import { PERSON_WRITE_CHUNK, setPersonIds, writeMovedPersons } from './person-writes.js';
import { buildBlocks } from './blocking.js';
import { matchRecords, matchTable, type PairLink, type TableMatch } from './matcher.js';
import { estimateFromTable } from './model-estimation.js';
import { tableTermFrequencies, type TermFrequencies } from './term-frequencies.js';
import { TokenTableBuilder } from './token-table.js';

/** Serialises linkage runs: two relinks interleaving would each undo part of the other. */
export const LINKAGE_LOCK = 581_581;
/**
 * Term-frequency adjustments need enough records to tell a common name from a rare one: with a
 * handful, every name looks common and nothing would link.
 */
export const MIN_RECORDS_FOR_TERM_FREQUENCIES = 1000;
/** EM on fewer records has too few matching pairs to learn from: the active model is kept. */
export const MIN_RECORDS_FOR_ESTIMATION = 1000;
const WRITE_CHUNK = 5000;
/** Rows a full relink reads at a time: each batch is interned into the token table and dropped. */
const READ_BATCH = 10_000;
/** Links a full relink copies at a time. */
const LINK_COPY_CHUNK = 50_000;

export interface LinkageSettings {
  threshold: number;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

const tokenColumns = {
  id: records.id,
  personId: records.personId,
  victimLinkageSlk581Token: records.victimLinkageSlk581Token,
  linkageFamily: records.linkageFamily,
  linkageFamilyPartial: records.linkageFamilyPartial,
  linkageGiven: records.linkageGiven,
  linkageGivenPartial: records.linkageGivenPartial,
  linkageBirthDate: records.linkageBirthDate,
  linkageBirthDateSwapped: records.linkageBirthDateSwapped,
  linkageBirthYear: records.linkageBirthYear,
  // Null for records stored before they existed (migration 0002): they link on the older date levels.
  linkageBirthMonthYear: records.linkageBirthMonthYear,
  linkageBirthDayMonth: records.linkageBirthDayMonth,
  linkageSex: records.linkageSex,
  // Person attributes every service records: compared alongside the key (pair-comparison.ts).
  victimEthnicity: records.victimEthnicity,
  victimReligion: records.victimReligion,
  victimSexualOrientation: records.victimSexualOrientation,
  victimDisability: records.victimDisability,
  // The receiving service's area: most of a person's referrals are to services where she lives.
  serviceArea: services.area,
};

type TokenRow = {
  id: number;
  personId: number | null;
  victimEthnicity: string | null;
  victimReligion: string | null;
  victimSexualOrientation: string | null;
  victimDisability: string | null;
  serviceArea: string;
} & Parameters<typeof tokensOfRow>[0];

/** The column behind each attribute the matcher compares. */
const attributeColumns = {
  ethnicity: records.victimEthnicity,
  religion: records.victimReligion,
  sexualOrientation: records.victimSexualOrientation,
  disability: records.victimDisability,
  serviceArea: services.area,
} as const satisfies Record<AttributeName, unknown>;

const UNKNOWN_ANSWERS = new Set(personAnswerCodes.map((c) => c.code));

function known(value: string | null): string | null {
  return value === null || UNKNOWN_ANSWERS.has(value) ? null : value;
}

/** The records linkage reads: current, with a key, of a victim. */
const LINKABLE = sql`${records.victimLinkageSlk581Token} is not null and (${records.subject} is null or ${records.subject} = 'victim')`;

/** How many records a full relink would link (what a model estimated from them is trained on). */
export async function countLinkedRecords(db: Tx | Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(records)
    .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
    .where(LINKABLE);
  return row?.n ?? 0;
}

async function loadCurrent(tx: Tx | Database, where: SQL | undefined, options: { anyVersion?: boolean } = {}): Promise<TokenRow[]> {
  return (
    tx
      .select(tokenColumns)
      .from(records)
      .innerJoin(returns, options.anyVersion ? eq(returns.id, records.returnId) : and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
      .innerJoin(services, eq(services.id, returns.serviceId))
      // Victims only: a perpetrator's referral is linked with the people who harm (its victim, the
      // partner, is not one of this service's victims), and the two kinds of person are never joined.
      .where(and(LINKABLE, where))
  );
}

/** A return's linkable records, current or not: what it adds to the term frequencies, or takes away once superseded. */
async function loadReturn(tx: Tx, returnId: string | null | undefined): Promise<LinkageRecord[]> {
  return returnId ? toLinkageRecords(await loadCurrent(tx, eq(records.returnId, returnId), { anyVersion: true })) : [];
}

/**
 * The prior (λ, the chance that two records are one person) falls as 1/n: each person has about
 * the same number of records whatever the size of the data. A model estimated on fewer records
 * than there are now would over-link, so its prior is scaled down; never up, so a small
 * dataset keeps the more cautious prior.
 */
export function scaleModel({ model, trainedOnRecords }: ActiveModel, records: number): LinkageModel {
  if (records <= trainedOnRecords) return model;
  return { ...model, priorMatchProbability: (model.priorMatchProbability * trainedOnRecords) / records };
}

export async function countLinkable(tx: Tx | Database): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(${records.victimLinkageSlk581Token})::int` })
    .from(records)
    .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)));
  return row?.n ?? 0;
}

function attributesOf(row: TokenRow): LinkageAttributes {
  return {
    ethnicity: known(row.victimEthnicity),
    religion: known(row.victimReligion),
    sexualOrientation: known(row.victimSexualOrientation),
    disability: known(row.victimDisability),
    serviceArea: row.serviceArea,
  };
}

function toLinkageRecords(rows: TokenRow[]): LinkageRecord[] {
  return rows.flatMap((row) => {
    const tokens = tokensOfRow(row);
    return tokens ? [{ id: row.id, tokens, attributes: attributesOf(row) }] : [];
  });
}

/**
 * How common each family, given and birth-date token of the subset is among all current records:
 * a subset's own frequencies would weigh names differently from a full run.
 */
async function termFrequenciesFor(tx: Tx, subset: LinkageRecord[], population: number): Promise<TermFrequencies | false> {
  if (population < MIN_RECORDS_FOR_TERM_FREQUENCIES) return false;
  const shares = async (column: typeof records.linkageFamily | typeof records.linkageGiven | typeof records.linkageBirthDate, values: (string | null)[]) => {
    const wanted = [...new Set(values.filter((v): v is string => v !== null))];
    const [present] = await tx
      .select({ n: sql<number>`count(${column})::int` })
      .from(records)
      .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)));
    const rows = wanted.length
      ? await tx
          .select({ token: sql<string>`${column}`, n: sql<number>`count(*)::int` })
          .from(records)
          .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
          .where(sql`${column} = any(${textArray(wanted)})`)
          .groupBy(sql`1`)
      : [];
    return { counts: new Map(rows.map((r) => [r.token, r.n])), total: present?.n ?? 0 };
  };
  return {
    family: await shares(
      records.linkageFamily,
      subset.map((r) => r.tokens.family),
    ),
    given: await shares(
      records.linkageGiven,
      subset.map((r) => r.tokens.given),
    ),
    birthDate: await shares(
      records.linkageBirthDate,
      subset.map((r) => r.tokens.birthDate),
    ),
    attributes: await countAttributes(tx),
  };
}

/** Each attribute's value counts, one query after another: a transaction's queries share one connection. */
async function countAttributes(tx: Tx) {
  const counts: Partial<Record<AttributeName, Awaited<ReturnType<typeof attributeCounts>>>> = {};
  for (const name of Object.keys(attributeColumns) as AttributeName[]) counts[name] = await attributeCounts(tx, attributeColumns[name]);
  return counts as Record<AttributeName, Awaited<ReturnType<typeof attributeCounts>>>;
}

/** Value counts of one attribute over all current linkable records (a handful of codes, or of areas, each). */
async function attributeCounts(tx: Tx, column: (typeof attributeColumns)[AttributeName]) {
  const rows = await tx
    .select({ value: sql<string>`${column}`, n: sql<number>`count(*)::int` })
    .from(records)
    .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
    .innerJoin(services, eq(services.id, returns.serviceId))
    .where(sql`${records.victimLinkageSlk581Token} is not null`)
    .groupBy(sql`1`);
  const counts = new Map(rows.flatMap((r) => (known(r.value) === null ? [] : [[r.value, r.n] as const])));
  return { counts, total: [...counts.values()].reduce((a, b) => a + b, 0) };
}

/** The links among the given records, by `a:b`: the neighbourhood holds whole persons, so every link touching it is inside it. */
async function readLinksOf(tx: Tx, ids: number[]): Promise<Map<string, { weight: number; modelVersion: string }>> {
  const found = new Map<string, { weight: number; modelVersion: string }>();
  for (let i = 0; i < ids.length; i += WRITE_CHUNK) {
    const chunk = bigintArray(ids.slice(i, i + WRITE_CHUNK));
    // Two queries, so each end is found through its own index.
    for (const where of [sql`${personLinks.recordA} = any(${chunk})`, sql`${personLinks.recordB} = any(${chunk})`]) {
      const rows = await tx
        .select({ a: personLinks.recordA, b: personLinks.recordB, weight: personLinks.weight, modelVersion: personLinks.modelVersion })
        .from(personLinks)
        .where(where);
      for (const r of rows) found.set(`${r.a}:${r.b}`, { weight: r.weight, modelVersion: r.modelVersion });
    }
  }
  return found;
}

/**
 * Writes what a run changed, and only that: the records whose person moved, the links that are
 * new, gone or weighed differently. Rewriting an unchanged row still costs a new row version and
 * its index entries, and a neighbourhood is mostly unchanged, so writing it all grew with the
 * table (most of a run's time at 100,000 records).
 */
async function writePersons(
  tx: Tx,
  result: { personOf: Map<number, number>; links: PairLink[] },
  subset: ReadonlyArray<{ id: number; personId: number | null }>,
  modelVersion: string,
  options: { linksCleared?: boolean } = {},
): Promise<{ personsWritten: number; linksWritten: number; linksRemoved: number }> {
  const personsWritten = await writeMovedPersons(tx, records, result.personOf, subset);
  const existing = options.linksCleared
    ? new Map<string, { weight: number; modelVersion: string }>()
    : await readLinksOf(
        tx,
        subset.map((r) => r.id),
      );
  const keyOf = (l: PairLink) => `${Math.min(l.a, l.b)}:${Math.max(l.a, l.b)}`;
  const wanted = new Set(result.links.map(keyOf));
  const removed = [...existing.keys()].filter((key) => !wanted.has(key)).map((key) => key.split(':').map(Number) as [number, number]);
  for (let i = 0; i < removed.length; i += WRITE_CHUNK) {
    const chunk = removed.slice(i, i + WRITE_CHUNK);
    await tx.execute(
      sql`delete from person_links where (record_a, record_b) in (select * from unnest(${bigintArray(chunk.map((p) => p[0]))}, ${bigintArray(chunk.map((p) => p[1]))}))`,
    );
  }
  const written = result.links.filter((l) => {
    const before = existing.get(keyOf(l));
    return !before || before.weight !== l.weight || before.modelVersion !== modelVersion;
  });
  for (let i = 0; i < written.length; i += WRITE_CHUNK) {
    await tx
      .insert(personLinks)
      .values(
        written
          .slice(i, i + WRITE_CHUNK)
          .map((l) => ({ recordA: Math.min(l.a, l.b), recordB: Math.max(l.a, l.b), weight: l.weight, levels: l.levels, modelVersion })),
      )
      .onConflictDoUpdate({
        target: [personLinks.recordA, personLinks.recordB],
        set: { weight: sql`excluded.weight`, levels: sql`excluded.levels`, modelVersion: sql`excluded.model_version` },
      });
  }
  return { personsWritten, linksWritten: written.length, linksRemoved: removed.length };
}

/** Re-matches the neighbourhood of a newly accepted return and of the version it superseded. */
export async function relinkAfterReturn(db: Database, params: { returnId: string; supersededReturnId?: string | null; settings: LinkageSettings }) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LINKAGE_LOCK})`);
    const formerPersons = params.supersededReturnId ? await leavePersons(tx, eq(records.returnId, params.supersededReturnId)) : [];
    return relinkAround(tx, {
      fresh: eq(records.returnId, params.returnId),
      formerPersons,
      change: async () => ({ added: await loadReturn(tx, params.returnId), removed: await loadReturn(tx, params.supersededReturnId) }),
      settings: params.settings,
    });
  });
}

/** Takes the records out of their persons (their links go, their person is cleared) and returns those persons, for what remains of them to be re-matched. */
async function leavePersons(tx: Tx, which: SQL): Promise<number[]> {
  const old = await tx.select({ id: records.id, personId: records.personId }).from(records).where(which);
  const formerPersons = [...new Set(old.flatMap((r) => (r.personId === null ? [] : [r.personId])))];
  const oldIds = old.map((r) => r.id);
  for (let i = 0; i < oldIds.length; i += WRITE_CHUNK) {
    const chunk = oldIds.slice(i, i + WRITE_CHUNK);
    await tx.delete(personLinks).where(or(inArray(personLinks.recordA, chunk), inArray(personLinks.recordB, chunk)));
    await tx.update(records).set({ personId: null }).where(inArray(records.id, chunk));
  }
  return formerPersons;
}

/**
 * The records erased (`ids`, of any version) leave their persons, and their tokens leave the
 * term frequencies; call before deleting them, then `relinkAfterErasure` with the persons returned.
 * Holds the linkage lock to the end of the transaction.
 */
export async function prepareErasure(tx: Tx, ids: number[]): Promise<{ formerPersons: number[]; removed: LinkageRecord[] }> {
  await tx.execute(sql`select pg_advisory_xact_lock(${LINKAGE_LOCK})`);
  const removed = ids.length ? toLinkageRecords(await loadCurrent(tx, inArray(records.id, ids))) : [];
  return { formerPersons: ids.length ? await leavePersons(tx, inArray(records.id, ids)) : [], removed };
}

/** Re-matches what is left of the persons erased records belonged to, once the records are gone. */
export async function relinkAfterErasure(tx: Tx, params: { formerPersons: number[]; removed: LinkageRecord[] | null; settings: LinkageSettings }) {
  return relinkAround(tx, {
    fresh: undefined,
    formerPersons: params.formerPersons,
    change: async () => (params.removed ? { added: [], removed: params.removed } : null),
    settings: params.settings,
  });
}

/**
 * The incremental run: seeds (new records, and what is left of persons broken up) with every
 * current record sharing a blocking key with them and the rest of those records' persons, matched
 * together and written back. `change` is what the run does to the term frequencies (null: they are
 * dropped, and runs count by scanning until the next full relink rebuilds them).
 */
async function relinkAround(
  tx: Tx,
  params: {
    fresh: SQL | undefined;
    formerPersons: number[];
    change: () => Promise<{ added: LinkageRecord[]; removed: LinkageRecord[] } | null>;
    settings: LinkageSettings;
  },
) {
  const active = await activeModel(tx);
  // Where a run's time goes, for the job's result and the log: which part grows with the table.
  const clock = performance.now();
  const lap = (() => {
    let last = clock;
    return () => {
      const now = performance.now();
      const ms = Math.round(now - last);
      last = now;
      return ms;
    };
  })();
  const { seeds, subset } = await gatherNeighbourhood({
    table: records,
    load: (where) => loadCurrent(tx, where),
    fresh: params.fresh,
    formerPersons: params.formerPersons,
  });
  const linkage = toLinkageRecords([...subset.values()]);
  const neighbourhoodMs = lap();
  const change = await params.change();
  if (change === null) await dropFrequencies(tx, 'victim');
  const counted = change === null ? null : await updateFrequencies(tx, 'victim', linkage, change);
  const population = counted?.records ?? (await countLinkable(tx));
  const termFrequencies =
    population < MIN_RECORDS_FOR_TERM_FREQUENCIES ? (false as const) : (counted?.termFrequencies ?? (await termFrequenciesFor(tx, linkage, population)));
  const frequenciesMs = lap();
  const result = matchRecords(linkage, { threshold: params.settings.threshold, model: scaleModel(active, population), termFrequencies });
  const matchMs = lap();
  const writes = await writePersons(tx, result, [...subset.values()], active.version);
  const timings = { neighbourhoodMs, frequenciesMs, matchMs, writeMs: lap(), totalMs: Math.round(performance.now() - clock) };
  return { records: subset.size, seeds: seeds.length, ...result.stats, ...writes, timings };
}

/**
 * Re-matches every current record; with `estimate`, first re-estimates m and u from the data (EM).
 * Bodies are not filled with defaults (see app.ts), so the documented default (no estimate) is
 * applied here.
 */
export async function relinkPersons(db: Database, params: { settings: LinkageSettings; estimate?: boolean; log: FastifyBaseLogger; readBatch?: number }) {
  const stats = await relinkAll(db, { settings: params.settings, estimate: params.estimate ?? false, readBatch: params.readBatch ?? READ_BATCH });
  params.log.info({ linkage: stats }, 'persons relinked');
  return stats;
}

/** A column of numbers that grows by doubling: a record id or a person id per row, in 8 bytes. */
class NumberColumn {
  values = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const wider = new Float64Array(this.values.length * 2);
      wider.set(this.values);
      this.values = wider;
    }
    this.values[this.length++] = value;
  }

  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

/**
 * A full relink's row as one text, its columns joined by the unit separator and an array's elements
 * by the record separator ('' for null: no token or code is empty; none holds a control character,
 * being base64url, a code-list code or an area code). Parsing 18 columns, two of them
 * arrays, cost node-postgres about twice the time of one text split here (measured at ten million
 * rows: 60 µs a row against 30, of a read that was a third of the relink).
 */
const FIELD = '\u001f';
const ELEMENT = '\u001e';
const PACKED_NAMES = Object.keys(tokenColumns) as Array<keyof typeof tokenColumns>;
const ARRAY_NAMES = new Set<string>(PACKED_NAMES.filter((name) => tokenColumns[name].columnType === 'PgArray'));
const PACKED_ROW = sql`concat_ws(chr(31), ${sql.join(
  PACKED_NAMES.map((name) =>
    ARRAY_NAMES.has(name) ? sql`coalesce(array_to_string(${tokenColumns[name]}, chr(30)), '')` : sql`coalesce(${tokenColumns[name]}::text, '')`,
  ),
  sql`, `,
)})`;

function unpackRow(packed: string): TokenRow {
  const fields = packed.split(FIELD);
  const row: Record<string, string | string[] | null> = {};
  PACKED_NAMES.forEach((name, k) => {
    const field = fields[k] ?? '';
    row[name] = ARRAY_NAMES.has(name) ? (field === '' ? [] : field.split(ELEMENT)) : field === '' ? null : field;
  });
  return row as unknown as TokenRow;
}

/**
 * Every record a full relink links, read through a cursor in the relink's transaction (its
 * snapshot, in batches) straight into a token table: at ten million records the rows as objects
 * need about 20 GiB, their integer ids under 2 GiB. `personIds` is each row's stored person (NaN:
 * none); `keyOnly` the records with a key but no birth date to block on, each its own person.
 */
async function readLinkable(tx: Tx, capacity: number, readBatch: number) {
  const builder = new TokenTableBuilder(capacity);
  const ids = new NumberColumn();
  const personIds = new NumberColumn();
  const keyOnly: Array<{ id: number; personId: number | null }> = [];
  await tx.execute(
    sql`declare linkable_records no scroll cursor for select ${PACKED_ROW} as packed from ${records}
      join ${returns} on ${returns.id} = ${records.returnId} and ${returns.supersededAt} is null
      join ${services} on ${services.id} = ${returns.serviceId}
      where ${LINKABLE}`,
  );
  for (;;) {
    const batch = (await tx.execute(sql`fetch ${sql.raw(String(Math.trunc(readBatch)))} from linkable_records`)) as unknown as {
      rows: { packed: string }[];
    };
    for (const { packed } of batch.rows) {
      const row = unpackRow(packed);
      const id = Number(row.id);
      const personId = row.personId === null ? null : Number(row.personId);
      const tokens = tokensOfRow(row);
      if (!tokens) {
        keyOnly.push({ id, personId });
        continue;
      }
      builder.add(tokens, attributesOf(row));
      ids.push(id);
      personIds.push(personId ?? Number.NaN);
    }
    if (batch.rows.length < readBatch) break;
  }
  await tx.execute(sql`close linkable_records`);
  return { table: builder.finish(), ids: ids.view(), personIds: personIds.view(), keyOnly };
}

async function relinkAll(db: Database, params: { settings: LinkageSettings; estimate: boolean; readBatch: number }) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LINKAGE_LOCK})`);
    // Before the records are read: every return whose job this marks done is already visible to them.
    const coveredReturns = await coverQueuedLinkage(tx);
    const { table, ids, personIds, keyOnly } = await readLinkable(tx, await countLinkedRecords(tx), params.readBatch);
    const blocks = buildBlocks(table);
    let active = await activeModel(tx);
    const estimated = params.estimate && table.size >= MIN_RECORDS_FOR_ESTIMATION;
    if (estimated) {
      const model = estimateFromTable(table, blocks);
      active = { version: model.version, model, trainedOnRecords: table.size };
      await tx
        .insert(linkageModels)
        .values({ version: model.version, model, trainedOnRecords: table.size })
        .onConflictDoUpdate({ target: linkageModels.version, set: { model, trainedOnRecords: table.size, createdAt: new Date() } });
    }
    const { version } = active;
    const termFrequencies = tableTermFrequencies(table);
    await rebuildFrequencies(tx, 'victim', { records: table.size, termFrequencies });
    const result = matchTable(table, ids, {
      blocks,
      threshold: params.settings.threshold,
      model: scaleModel(active, table.size),
      termFrequencies: table.size < MIN_RECORDS_FOR_TERM_FREQUENCIES ? false : termFrequencies,
    });
    await tx.delete(personLinks);
    // Only what changes is written: a person's id is its smallest record's, so a relink that finds
    // the same people moves few records, where clearing every record first rewrote all of them
    // (at a million records that was most of a relink's time). Records no relink links (of
    // superseded versions, without a key, or a perpetrator's referral) lose any person they had.
    await tx.execute(
      sql`update ${records} set person_id = null from ${returns} where ${returns.id} = ${records.returnId} and ${records.personId} is not null and (${returns.supersededAt} is not null or not (${LINKABLE}))`,
    );
    await writeAllPersons(tx, { ids, personIds, personOfRow: result.personOfRow, keyOnly });
    await writeAllLinks(tx, result, version);
    return { records: table.size, modelVersion: version, estimated, coveredReturns, ...result.stats };
  });
}

/** A full relink's person moves: the rows whose person changed, and key-only records not yet their own person. */
async function writeAllPersons(
  tx: Tx,
  rows: { ids: Float64Array; personIds: Float64Array; personOfRow: Float64Array; keyOnly: Array<{ id: number; personId: number | null }> },
) {
  const moved: number[] = [];
  const to: number[] = [];
  const flush = async () => {
    if (!moved.length) return;
    await setPersonIds(tx, records, moved, to);
    moved.length = 0;
    to.length = 0;
  };
  const move = async (id: number, from: number | null, person: number) => {
    if (from === person) return;
    moved.push(id);
    to.push(person);
    if (moved.length === PERSON_WRITE_CHUNK) await flush();
  };
  for (let i = 0; i < rows.ids.length; i++) {
    const from = rows.personIds[i]!;
    await move(rows.ids[i]!, Number.isNaN(from) ? null : from, rows.personOfRow[i]!);
  }
  for (const row of rows.keyOnly) await move(row.id, row.personId, row.id);
  await flush();
}

/**
 * Every link of a full relink (the table was emptied first), by COPY on PostgreSQL: at ten million
 * records that is about four million links, which as multi-row inserts took longer than the match.
 */
async function writeAllLinks(tx: Tx, result: TableMatch, modelVersion: string) {
  for (let start = 0; start < result.linkCount; start += LINK_COPY_CHUNK) {
    const chunk: Array<typeof personLinks.$inferInsert> = [];
    for (let n = start; n < Math.min(start + LINK_COPY_CHUNK, result.linkCount); n++) {
      const link = result.linkAt(n);
      chunk.push({ recordA: link.a, recordB: link.b, weight: link.weight, levels: link.levels, modelVersion });
    }
    await copyInsert(tx, personLinks, chunk);
  }
}
