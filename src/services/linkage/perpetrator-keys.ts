/**
 * Stores the alleged perpetrators' linkage tokens of a return's records in `perpetrator_keys`, one
 * row per perpetrator entry that gave a key, as the records are written (the clear key never
 * reaches the database: the record's `perpetrators` JSON is stored without it, record-rows.ts).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import type { LinkageTokens } from './tokens.js';

/** One perpetrator entry's tokens: the record's position in its return, the entry's index in `perpetrators`. */
export interface PerpetratorKeyEntry {
  recordPosition: number;
  position: number;
  tokens: LinkageTokens;
}

/** Inserts the entries of records already written to `returnId` (joined to their ids by position), as one jsonb parameter. */
export async function storePerpetratorKeys(db: Pick<Database, 'execute'>, returnId: string, entries: readonly PerpetratorKeyEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const payload = entries.map(({ recordPosition, position, tokens }) => ({
    record_position: recordPosition,
    position,
    slk581_token: tokens.key,
    linkage_family: tokens.family,
    linkage_family_partial: tokens.familyPartial,
    linkage_given: tokens.given,
    linkage_given_partial: tokens.givenPartial,
    linkage_birth_date: tokens.birthDate,
    linkage_birth_date_swapped: tokens.birthDateSwapped,
    linkage_birth_year: tokens.birthYear,
    linkage_birth_month_year: tokens.birthMonthYear ?? null,
    linkage_birth_day_month: tokens.birthDayMonth ?? null,
    linkage_sex: tokens.sex ?? null,
  }));
  await db.execute(sql`insert into perpetrator_keys (record_id, position, slk581_token, linkage_family, linkage_family_partial, linkage_given,
      linkage_given_partial, linkage_birth_date, linkage_birth_date_swapped, linkage_birth_year, linkage_birth_month_year,
      linkage_birth_day_month, linkage_sex)
    select r.id, x.position, x.slk581_token, x.linkage_family, x.linkage_family_partial, x.linkage_given, x.linkage_given_partial,
      x.linkage_birth_date, x.linkage_birth_date_swapped, x.linkage_birth_year, x.linkage_birth_month_year, x.linkage_birth_day_month, x.linkage_sex
    from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(record_position int, position int, slk581_token text,
      linkage_family text, linkage_family_partial text[], linkage_given text, linkage_given_partial text[], linkage_birth_date text,
      linkage_birth_date_swapped text, linkage_birth_year text, linkage_birth_month_year text, linkage_birth_day_month text, linkage_sex text)
    join records r on r.return_id = ${returnId} and r.position = x.record_position`);
}
