/**
 * Term frequencies kept in `linkage_frequencies`: how many linked records of current returns hold
 * each name and date token and each attribute value. A linkage run after a return adds that
 * return's records and takes away those of the version it superseded, then reads the counts of its
 * own tokens, where it used to count them over every current record (full scans that grew with
 * the table). A full relink rebuilds the counts from what it links.
 *
 * Each run adds a whole return and takes away a whole return, whether or not it is still current
 * by then, so the counts equal the current returns' once every queued run has run, in whatever
 * order: a version taken away before it was added leaves a count below zero for a while, read as
 * zero. Beside each comparison's values, the row with value '' holds its total, and the row of
 * comparison '*' the number of records counted; that row's presence also says the counts exist
 * (a database upgraded from before them has none until its first full relink, and is counted by
 * scanning until then).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { linkageFrequencies } from '../../db/tables.js';
import { textArray } from '../../db/arrays.js';
import { ATTRIBUTE_NAMES } from './comparison-levels.js';
import type { LinkageRecord } from './linkage-record.js';
import { computeTermFrequencies, type TermFrequencies, type TokenCounts } from './term-frequencies.js';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Victims and people who harm are matched among their own kind, so each has its own counts. */
export type LinkageSubject = 'victim' | 'perpetrator';

const TOKEN_COMPARISONS = ['family', 'given', 'birthDate'] as const;
const RECORDS = '*';
const TOTAL = '';
const WRITE_CHUNK = 5000;

interface FrequencyRow {
  comparison: string;
  value: string;
  holders: number;
}

/** What the table holds for records with these counts: `records` is how many were counted. */
export interface CountedFrequencies {
  records: number;
  termFrequencies: TermFrequencies;
}

const counted = (records: readonly LinkageRecord[]): CountedFrequencies => ({ records: records.length, termFrequencies: computeTermFrequencies(records) });

function rowsOf({ records, termFrequencies: frequencies }: CountedFrequencies): FrequencyRow[] {
  const rows: FrequencyRow[] = [{ comparison: RECORDS, value: TOTAL, holders: records }];
  const add = (comparison: string, { counts, total }: TokenCounts) => {
    rows.push({ comparison, value: TOTAL, holders: total });
    for (const [value, holders] of counts) rows.push({ comparison, value, holders });
  };
  for (const comparison of TOKEN_COMPARISONS) add(comparison, frequencies[comparison] as TokenCounts);
  for (const name of ATTRIBUTE_NAMES) add(name, frequencies.attributes![name] as TokenCounts);
  return rows;
}

async function upsert(tx: Tx, subject: LinkageSubject, rows: FrequencyRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    await tx
      .insert(linkageFrequencies)
      .values(rows.slice(i, i + WRITE_CHUNK).map((row) => ({ subject, ...row })))
      .onConflictDoUpdate({
        target: [linkageFrequencies.subject, linkageFrequencies.comparison, linkageFrequencies.value],
        set: { holders: sql`${linkageFrequencies.holders} + excluded.holders` },
      });
  }
}

/** Replaces the subject's counts with those of every record a full relink links (the records, or their counts). */
export async function rebuildFrequencies(tx: Tx, subject: LinkageSubject, records: readonly LinkageRecord[] | CountedFrequencies): Promise<void> {
  await tx.delete(linkageFrequencies).where(eq(linkageFrequencies.subject, subject));
  await upsert(tx, subject, rowsOf('termFrequencies' in records ? records : counted(records)));
}

/**
 * Forgets the subject's counts, marker included: runs then count by scanning until a full relink
 * rebuilds them. For a change the counts cannot follow exactly (records erased from a return whose
 * own linkage run is still queued, which will count the return as it is by then).
 */
export async function dropFrequencies(tx: Tx, subject: LinkageSubject): Promise<void> {
  await tx.delete(linkageFrequencies).where(eq(linkageFrequencies.subject, subject));
}

/** Adds one return's records and takes away another's (the version it superseded). */
export async function adjustFrequencies(
  tx: Tx,
  subject: LinkageSubject,
  change: { added: readonly LinkageRecord[]; removed: readonly LinkageRecord[] },
): Promise<void> {
  const net = new Map<string, FrequencyRow>();
  const apply = (rows: FrequencyRow[], sign: 1 | -1) => {
    for (const row of rows) {
      const key = `${row.comparison}\u0000${row.value}`;
      const entry = net.get(key) ?? { comparison: row.comparison, value: row.value, holders: 0 };
      entry.holders += sign * row.holders;
      net.set(key, entry);
    }
  };
  apply(rowsOf(counted(change.added)), 1);
  apply(rowsOf(counted(change.removed)), -1);
  const changed = [...net.values()].filter((row) => row.holders !== 0);
  await upsert(tx, subject, changed);
  // Only exact zeros go: a count below zero is a version taken away before it was added, and its
  // addition is still to come.
  await tx
    .delete(linkageFrequencies)
    .where(and(eq(linkageFrequencies.subject, subject), eq(linkageFrequencies.holders, 0), sql`${linkageFrequencies.value} <> ${TOTAL}`));
}

/**
 * The counts the matcher needs for these records (their own tokens, every attribute value) and the
 * number of records counted; null when the subject's counts were never built.
 */
export async function readFrequencies(
  tx: Tx,
  subject: LinkageSubject,
  subset: readonly LinkageRecord[],
): Promise<{ termFrequencies: TermFrequencies; records: number } | null> {
  const records = await countedRecords(tx, subject);
  if (records === null) return null;
  const wanted = TOKEN_COMPARISONS.flatMap((comparison) =>
    [...new Set([TOTAL, ...subset.flatMap((r) => (r.tokens[comparison] === null ? [] : [r.tokens[comparison]!]))])].map(
      (value) => [comparison, value] as const,
    ),
  );
  const tokenRows = await tx
    .select({ comparison: linkageFrequencies.comparison, value: linkageFrequencies.value, holders: linkageFrequencies.holders })
    .from(linkageFrequencies)
    .where(
      and(
        eq(linkageFrequencies.subject, subject),
        sql`(${linkageFrequencies.comparison}, ${linkageFrequencies.value}) in (select * from unnest(${textArray(wanted.map((w) => w[0]))}, ${textArray(wanted.map((w) => w[1]))}))`,
      ),
    );
  const attributeRows = await tx
    .select({ comparison: linkageFrequencies.comparison, value: linkageFrequencies.value, holders: linkageFrequencies.holders })
    .from(linkageFrequencies)
    .where(and(eq(linkageFrequencies.subject, subject), inArray(linkageFrequencies.comparison, [...ATTRIBUTE_NAMES])));
  const counts = (comparison: string, rows: typeof tokenRows): TokenCounts => {
    const found = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      if (row.comparison !== comparison) continue;
      const holders = Math.max(row.holders, 0);
      if (row.value === TOTAL) total = holders;
      else if (holders > 0) found.set(row.value, holders);
    }
    return { counts: found, total };
  };
  return {
    termFrequencies: {
      family: counts('family', tokenRows),
      given: counts('given', tokenRows),
      birthDate: counts('birthDate', tokenRows),
      attributes: Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, counts(name, attributeRows)])),
    },
    records: Math.max(records, 0),
  };
}

/**
 * A run after a return: applies the return's change to the counts and reads them for the records
 * it matches; null, touching nothing, when the counts were never built.
 */
export async function updateFrequencies(
  tx: Tx,
  subject: LinkageSubject,
  subset: readonly LinkageRecord[],
  change: { added: readonly LinkageRecord[]; removed: readonly LinkageRecord[] },
): Promise<{ termFrequencies: TermFrequencies; records: number } | null> {
  if ((await countedRecords(tx, subject)) === null) return null;
  await adjustFrequencies(tx, subject, change);
  return readFrequencies(tx, subject, subset);
}

/** How many records the counts hold; null when they were never built. */
async function countedRecords(tx: Tx, subject: LinkageSubject): Promise<number | null> {
  const [marker] = await tx
    .select({ holders: linkageFrequencies.holders })
    .from(linkageFrequencies)
    .where(and(eq(linkageFrequencies.subject, subject), eq(linkageFrequencies.comparison, RECORDS)));
  return marker?.holders ?? null;
}
