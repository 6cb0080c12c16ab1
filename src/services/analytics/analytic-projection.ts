/**
 * The narrow analytic projection (`analytic_records`, issue 16): the records of current returns,
 * in their current state, with their return's period and service and without the linkage
 * component tokens, so that analytic queries read a table no wider than their question instead of
 * `records` (superseded versions included) joined to `returns` and `referral_states`.
 *
 * Kept in the transaction that accepts a return (`projectAcceptedReturn`), so a committed return's
 * figures are right at once and a rolled-back one leaves no trace. `person_id`, which linkage moves
 * after the commit, follows `records` by a statement trigger (migration 0010): every write of
 * `records.person_id`, whichever module makes it, reaches the projection in the same statement.
 * Every column is derived from the tables' definitions (db/tables.ts): a field added to `records`
 * is projected without a change here.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { Database } from '../../db/connect.js';
import { analyticRecords, records, referralStates } from '../../db/tables.js';
import { bigintArray } from '../../db/arrays.js';

type Executor = Pick<Database, 'execute'>;

const recordKeys = new Set(Object.keys(getTableColumns(records)));
const stateKeys = new Set(Object.keys(getTableColumns(referralStates)).filter((key) => key !== 'recordId'));

/** The projection's own columns, read from the return (`ret`) and the referral's state (`st`). */
const ownColumns: Record<string, string> = { period: 'ret.period', serviceId: 'ret.service_id', updated: 'st.record_id is not null' };

/**
 * Every projected column and its value over `records r0`, `returns ret` and `referral_states st`:
 * an updatable column from `st` where a later quarter's update changed the referral (a CASE, not
 * COALESCE: an update may set a field to null). Checked as the module loads, so a projected column
 * `records` no longer has fails at start-up, not in a return's transaction.
 */
const projected = Object.keys(getTableColumns(analyticRecords)).map((key) => {
  const name = toSnakeCase(key);
  if (key in ownColumns) return { key, name, value: ownColumns[key]! };
  if (!recordKeys.has(key)) throw new Error(`analytic_records.${name} is not a records column`);
  return { key, name, value: stateKeys.has(key) ? `case when st.record_id is null then r0.${name} else st.${name} end` : `r0.${name}` };
});

const columnList = sql.raw(projected.map((c) => c.name).join(', '));

/** `insert … select` of the records `where` selects (over `r0`, `ret`), in their current state. */
function insertProjected(where: SQL): SQL {
  return sql`insert into analytic_records (${columnList})
    select ${sql.raw(projected.map((c) => c.value).join(', '))}
    from records r0
    join returns ret on ret.id = r0.return_id
    left join referral_states st on st.record_id = r0.id
    where ${where}`;
}

/** The updatable columns (and `updated`), as `set` assignments from `r0` and `st`. */
const stateAssignments = sql.raw(
  projected
    .filter((c) => stateKeys.has(c.key) || c.key === 'updated')
    .map((c) => `${c.name} = ${c.value}`)
    .join(', '),
);

/**
 * Brings the projection up to an accepted return, inside its transaction, after its records and
 * the service's referral states are written (submit-return.ts): the superseded version's rows go,
 * the service's referrals whose state changed are re-projected, and the new version's rows come in.
 */
export async function projectAcceptedReturn(tx: Executor, params: { returnId: string; service: string; period: string }): Promise<void> {
  // The new version has no rows yet: what the service and period hold is the version it supersedes.
  await tx.execute(sql`delete from analytic_records where service_id = ${params.service} and period = ${params.period}`);
  await reprojectReferralStates(tx, params.service);
  await tx.execute(insertProjected(sql`r0.return_id = ${params.returnId}`));
}

/**
 * Re-reads the updatable columns of the service's referrals that have a state now or had one
 * before (`updated`): `referral_states` is rebuilt per service on every accepted return
 * (returns/referral-states.ts), and a superseded update return takes its changes back.
 */
export async function reprojectReferralStates(tx: Executor, service: string): Promise<void> {
  await tx.execute(sql`update analytic_records a set ${stateAssignments}
    from records r0 left join referral_states st on st.record_id = r0.id
    where r0.id = a.id and a.id in (
      select id from analytic_records where service_id = ${service} and updated
      union all
      select s.record_id from referral_states s join analytic_records sa on sa.id = s.record_id and sa.service_id = ${service}
    )`);
}

/**
 * Copies `person_id` from `records` for these records (all, without ids). The trigger of migration
 * 0010 already does this for every write of `records.person_id`; this is for a projection suspected
 * of drifting (a restore, a manual repair).
 */
export async function syncProjectedPersons(tx: Executor, recordIds?: readonly number[]): Promise<void> {
  const only = recordIds ? sql`and r0.id = any(${bigintArray(recordIds)})` : sql``;
  await tx.execute(sql`update analytic_records a set person_id = r0.person_id from records r0
    where r0.id = a.id and a.person_id is distinct from r0.person_id ${only}`);
}

/**
 * Rebuilds the whole projection from the current returns (what migration 0010 did on upgrade), in
 * one transaction; for a bulk load straight into `records` (the aggregates bench) or a repair.
 * Returns the number of rows projected.
 */
export async function rebuildAnalyticProjection(db: Database): Promise<number> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`delete from analytic_records`);
    await tx.execute(insertProjected(sql`ret.superseded_at is null`));
  });
  await db.execute(sql`analyze analytic_records`);
  const result = await db.execute(sql`select count(*)::int as n from analytic_records`);
  return (result as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
}
