/**
 * Keeps perpetrator persons current: the people who harm, counted once across services whether
 * alleged in a victim's record or referred themselves (subject perpetrator). Their keys
 * (`perpetrator_keys`, one row per perpetrator entry that gave one) are matched with the same
 * matcher, model, threshold and term-frequency approach as victims' records, but only with each
 * other: a victim and a perpetrator are never compared, so never joined, even with the same key
 * (a person referred as a victim to one service and as a perpetrator to another stays two people,
 * as the review asks). `perpetrator_keys.person_id` is the smallest `perpetrator_keys.id` of the
 * cluster; rows of superseded returns have none.
 *
 * After a return, only its neighbourhood is re-matched, as for victims (relink.ts): the new rows,
 * every current row sharing a blocking key with them, the rows that were in the same persons as
 * the superseded return's, and every member of the persons those touch. The cost is then a few
 * indexed queries and a match over that subset, not over every perpetrator key. A full relink
 * re-matches every current perpetrator key in memory (one query, and the matcher over all of them).
 */
import type { FastifyBaseLogger } from 'fastify';
import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { perpetratorKeys, records, returns, services } from '../../db/tables.js';
import { textArray } from '../../db/arrays.js';
import { personAnswerCodes } from '../../schema/dataset/code-lists.js';
import { tokensOfRow } from '../returns/record-rows.js';
import { activeModel } from './active-model.js';
import type { AttributeName } from './comparison-levels.js';
import type { LinkageRecord } from './linkage-record.js';
import { dropFrequencies, rebuildFrequencies, updateFrequencies } from './frequency-table.js';
import { gatherNeighbourhood } from './neighbourhood.js';
import { writeMovedPersons } from './person-writes.js';
import { matchRecords, type MatchStats } from './matcher.js';
import { MIN_RECORDS_FOR_TERM_FREQUENCIES, scaleModel, type LinkageSettings } from './relink.js';
import type { TermFrequencies } from './term-frequencies.js';

/**
 * Serialises perpetrator linkage runs (two interleaving would each undo part of the other). Apart
 * from the victims' lock: the two never touch the same rows.
 */
const PERPETRATOR_LINKAGE_LOCK = 581_582;

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface PerpetratorLinkageStats extends MatchStats {
  /** Perpetrator keys matched (the neighbourhood after a return, every current one in a full relink). */
  records: number;
}

/** The perpetrator entry's own answers, read from the record's stored `perpetrators` JSON (which holds no key). */
const entry = (name: string) => sql<string | null>`${records.perpetrators} -> ${perpetratorKeys.position} ->> ${name}`;

/** Where each attribute the matcher compares comes from: the entry's person fields, and the receiving service's area. */
const attributeSources = {
  ethnicity: entry('ethnicity'),
  religion: entry('religion'),
  sexualOrientation: entry('sexualOrientation'),
  disability: entry('disability'),
  serviceArea: sql<string>`${services.area}`,
} as const satisfies Record<AttributeName, SQL>;

const keyColumns = {
  id: perpetratorKeys.id,
  personId: perpetratorKeys.personId,
  slk581Token: perpetratorKeys.slk581Token,
  linkageFamily: perpetratorKeys.linkageFamily,
  linkageFamilyPartial: perpetratorKeys.linkageFamilyPartial,
  linkageGiven: perpetratorKeys.linkageGiven,
  linkageGivenPartial: perpetratorKeys.linkageGivenPartial,
  linkageBirthDate: perpetratorKeys.linkageBirthDate,
  linkageBirthDateSwapped: perpetratorKeys.linkageBirthDateSwapped,
  linkageBirthYear: perpetratorKeys.linkageBirthYear,
  linkageBirthMonthYear: perpetratorKeys.linkageBirthMonthYear,
  linkageBirthDayMonth: perpetratorKeys.linkageBirthDayMonth,
  linkageSex: perpetratorKeys.linkageSex,
  ...attributeSources,
};

interface KeyRow {
  id: number;
  personId: number | null;
  slk581Token: string;
  linkageFamily: string | null;
  linkageFamilyPartial: string[] | null;
  linkageGiven: string | null;
  linkageGivenPartial: string[] | null;
  linkageBirthDate: string | null;
  linkageBirthDateSwapped: string | null;
  linkageBirthYear: string | null;
  linkageBirthMonthYear: string | null;
  linkageBirthDayMonth: string | null;
  linkageSex: string | null;
  ethnicity: string | null;
  religion: string | null;
  sexualOrientation: string | null;
  disability: string | null;
  serviceArea: string;
}

const UNKNOWN_ANSWERS = new Set(personAnswerCodes.map((c) => c.code));

function known(value: string | null): string | null {
  return value === null || UNKNOWN_ANSWERS.has(value) ? null : value;
}

/** Perpetrator keys of current records (of returns not superseded), with their entry's attributes. */
async function loadCurrent(tx: Tx, where: SQL | undefined, options: { anyVersion?: boolean } = {}): Promise<KeyRow[]> {
  return tx
    .select(keyColumns)
    .from(perpetratorKeys)
    .innerJoin(records, eq(records.id, perpetratorKeys.recordId))
    .innerJoin(returns, options.anyVersion ? eq(returns.id, records.returnId) : and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
    .innerJoin(services, eq(services.id, returns.serviceId))
    .where(where);
}

/** A return's perpetrator keys, current or not: what it adds to the term frequencies, or takes away once superseded. */
async function loadReturn(tx: Tx, returnId: string | null | undefined): Promise<LinkageRecord[]> {
  return returnId ? toLinkageRecords(await loadCurrent(tx, ofReturn(returnId), { anyVersion: true })) : [];
}

function toLinkageRecords(rows: KeyRow[]): LinkageRecord[] {
  return rows.flatMap((row) => {
    // The same component columns as a victim's record: read back the same way.
    const tokens = tokensOfRow({ ...row, victimLinkageSlk581Token: row.slk581Token });
    if (!tokens) return [];
    const attributes = {
      ethnicity: known(row.ethnicity),
      religion: known(row.religion),
      sexualOrientation: known(row.sexualOrientation),
      disability: known(row.disability),
      serviceArea: row.serviceArea,
    };
    return [{ id: row.id, tokens, attributes }];
  });
}

async function countCurrent(tx: Tx): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(perpetratorKeys)
    .innerJoin(records, eq(records.id, perpetratorKeys.recordId))
    .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)));
  return row?.n ?? 0;
}

/**
 * How common each family, given and birth-date token of the subset, and each attribute value, is
 * among all current perpetrator keys (the population they are matched in; a subset's own
 * frequencies would weigh names differently from a full run). None below the victims' minimum.
 */
async function termFrequenciesFor(tx: Tx, subset: LinkageRecord[], population: number): Promise<TermFrequencies | false> {
  if (population < MIN_RECORDS_FOR_TERM_FREQUENCIES) return false;
  const shares = async (column: SQL<string | null>, values: (string | null)[]) => {
    const wanted = [...new Set(values.filter((v): v is string => v !== null))];
    const [present] = await tx
      .select({ n: sql<number>`count(${column})::int` })
      .from(perpetratorKeys)
      .innerJoin(records, eq(records.id, perpetratorKeys.recordId))
      .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)));
    const rows = wanted.length
      ? await tx
          .select({ token: sql<string>`${column}`, n: sql<number>`count(*)::int` })
          .from(perpetratorKeys)
          .innerJoin(records, eq(records.id, perpetratorKeys.recordId))
          .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
          .where(sql`${column} = any(${textArray(wanted)})`)
          .groupBy(sql`1`)
      : [];
    return { counts: new Map(rows.map((r) => [r.token, r.n])), total: present?.n ?? 0 };
  };
  const attributeCounts = async (source: SQL) => {
    const rows = await tx
      .select({ value: sql<string | null>`${source}`, n: sql<number>`count(*)::int` })
      .from(perpetratorKeys)
      .innerJoin(records, eq(records.id, perpetratorKeys.recordId))
      .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
      .innerJoin(services, eq(services.id, returns.serviceId))
      .groupBy(sql`1`);
    const counts = new Map(rows.flatMap((r) => (known(r.value) === null ? [] : [[r.value!, r.n] as const])));
    return { counts, total: [...counts.values()].reduce((a, b) => a + b, 0) };
  };
  // One query after another: the transaction's queries share one connection.
  const attributes = {} as Record<AttributeName, Awaited<ReturnType<typeof attributeCounts>>>;
  for (const name of Object.keys(attributeSources) as AttributeName[]) attributes[name] = await attributeCounts(attributeSources[name]);
  return {
    family: await shares(
      sql`${perpetratorKeys.linkageFamily}`,
      subset.map((r) => r.tokens.family),
    ),
    given: await shares(
      sql`${perpetratorKeys.linkageGiven}`,
      subset.map((r) => r.tokens.given),
    ),
    birthDate: await shares(
      sql`${perpetratorKeys.linkageBirthDate}`,
      subset.map((r) => r.tokens.birthDate),
    ),
    attributes,
  };
}

/** Ids of the perpetrator keys of a return's records. */
function ofReturn(returnId: string): SQL {
  return sql`${perpetratorKeys.recordId} in (select ${records.id} from ${records} where ${records.returnId} = ${returnId})`;
}

/** Re-matches the perpetrators in the neighbourhood of a newly accepted return and of the version it superseded. */
export async function linkPerpetratorsAfterReturn(
  db: Database,
  params: { returnId: string; supersededReturnId?: string | null; settings: LinkageSettings },
): Promise<PerpetratorLinkageStats> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PERPETRATOR_LINKAGE_LOCK})`);
    const formerPersons = params.supersededReturnId ? await leavePersons(tx, ofReturn(params.supersededReturnId)) : [];
    return linkAround(tx, {
      fresh: ofReturn(params.returnId),
      formerPersons,
      change: async () => ({ added: await loadReturn(tx, params.returnId), removed: await loadReturn(tx, params.supersededReturnId) }),
      settings: params.settings,
    });
  });
}

/** The keys' persons, read before the keys leave them (their person is cleared): what remains of them is re-matched. */
async function leavePersons(tx: Tx, which: SQL): Promise<number[]> {
  const old = await tx.select({ personId: perpetratorKeys.personId }).from(perpetratorKeys).where(which);
  await tx.update(perpetratorKeys).set({ personId: null }).where(which);
  return [...new Set(old.flatMap((r) => (r.personId === null ? [] : [r.personId])))];
}

/** The perpetrator keys of erased records (`recordIds`) leave their persons and the term frequencies; call before deleting the records. */
export async function preparePerpetratorErasure(tx: Tx, recordIds: number[]): Promise<{ formerPersons: number[]; removed: LinkageRecord[] }> {
  await tx.execute(sql`select pg_advisory_xact_lock(${PERPETRATOR_LINKAGE_LOCK})`);
  if (recordIds.length === 0) return { formerPersons: [], removed: [] };
  const which = inArray(perpetratorKeys.recordId, recordIds);
  const removed = toLinkageRecords(await loadCurrent(tx, which));
  return { formerPersons: await leavePersons(tx, which), removed };
}

/** Re-matches what is left of the perpetrators erased records named, once the records are gone. */
export async function linkPerpetratorsAfterErasure(tx: Tx, params: { formerPersons: number[]; removed: LinkageRecord[] | null; settings: LinkageSettings }) {
  return linkAround(tx, {
    fresh: undefined,
    formerPersons: params.formerPersons,
    change: async () => (params.removed ? { added: [], removed: params.removed } : null),
    settings: params.settings,
  });
}

/** The perpetrators' incremental run, as relink.ts's relinkAround is the victims'. */
async function linkAround(
  tx: Tx,
  params: {
    fresh: SQL | undefined;
    formerPersons: number[];
    change: () => Promise<{ added: LinkageRecord[]; removed: LinkageRecord[] } | null>;
    settings: LinkageSettings;
  },
): Promise<PerpetratorLinkageStats> {
  const { subset } = await gatherNeighbourhood({
    table: perpetratorKeys,
    load: (where) => loadCurrent(tx, where),
    fresh: params.fresh,
    formerPersons: params.formerPersons,
  });
  const linkage = toLinkageRecords([...subset.values()]);
  const active = await activeModel(tx);
  const change = await params.change();
  if (change === null) await dropFrequencies(tx, 'perpetrator');
  const counted = change === null ? null : await updateFrequencies(tx, 'perpetrator', linkage, change);
  const population = counted?.records ?? (await countCurrent(tx));
  const result = matchRecords(linkage, {
    threshold: params.settings.threshold,
    model: scaleModel(active, population),
    termFrequencies: population < MIN_RECORDS_FOR_TERM_FREQUENCIES ? false : (counted?.termFrequencies ?? (await termFrequenciesFor(tx, linkage, population))),
  });
  await writeMovedPersons(tx, perpetratorKeys, result.personOf, [...subset.values()]);
  return { records: subset.size, ...result.stats };
}

/**
 * Re-matches every current perpetrator key, with the model in force (the one a victims' relink
 * may just have estimated): the whole of `perpetrator_keys` is read and matched in memory, as the
 * victims' full relink does with records. Keys of superseded returns are left with no person.
 */
export async function relinkPerpetrators(db: Database, params: { settings: LinkageSettings; log: FastifyBaseLogger }): Promise<PerpetratorLinkageStats> {
  const stats = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PERPETRATOR_LINKAGE_LOCK})`);
    const rows = await loadCurrent(tx, undefined);
    const linkage = toLinkageRecords(rows);
    const active = await activeModel(tx);
    await rebuildFrequencies(tx, 'perpetrator', linkage);
    const result = matchRecords(linkage, {
      threshold: params.settings.threshold,
      model: scaleModel(active, linkage.length),
      ...(linkage.length < MIN_RECORDS_FOR_TERM_FREQUENCIES ? { termFrequencies: false as const } : {}),
    });
    // Keys of superseded returns lose their person; every current key gets the one found, written
    // only where it changed.
    await tx.execute(
      sql`update ${perpetratorKeys} set person_id = null from ${records} join ${returns} on ${returns.id} = ${records.returnId}
        where ${records.id} = ${perpetratorKeys.recordId} and ${perpetratorKeys.personId} is not null and ${returns.supersededAt} is not null`,
    );
    await writeMovedPersons(tx, perpetratorKeys, result.personOf, rows);
    return { records: linkage.length, ...result.stats };
  });
  params.log.info({ linkage: { perpetrators: stats } }, 'perpetrators relinked');
  return stats;
}
