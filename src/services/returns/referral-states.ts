/**
 * Rebuilds `referral_states` for one service (contract 1.1 sections 3 and 8): each referral an
 * update of the service's current returns is about gets the record's updatable columns with every
 * update applied in the quarter order of the returns that carried them, field by field (a field an
 * update gives replaces the value, an explicit null included; a field it leaves out keeps it).
 * Only current versions count on both sides: a superseded update return withdraws its updates, and
 * a superseded referral-period return hands them to the new version's record with the same
 * referralId (or to none, when the new version no longer has it).
 *
 * One DELETE and one INSERT … SELECT, run inside the accepted return's transaction: set-based, so
 * nothing of the service's records or updates is held in memory.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { fieldColumn } from '../../schema/dataset/columns.js';
import type { FieldDefinition } from '../../schema/dataset/fields.js';
import { leafPaths, updatableGroups } from '../../schema/dataset/update-schema.js';

type Executor = Pick<Database, 'execute'>;

interface StateColumn {
  name: string;
  /** The patch holds the field (its value may be null). */
  given: SQL;
  /** The field's value in the patch, as jsonb. */
  value: SQL;
  cast: (jsonb: SQL) => SQL;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

function castOf(field: FieldDefinition): (jsonb: SQL) => SQL {
  switch (field.type) {
    case 'date':
      return (v) => sql`(${v} #>> '{}')::date`;
    case 'boolean':
      return (v) => sql`(${v} #>> '{}')::boolean`;
    case 'integer':
      return (v) => sql`(${v} #>> '{}')::integer`;
    case 'codes':
      return (v) => sql`case when jsonb_typeof(${v}) = 'array' then array(select jsonb_array_elements_text(${v})) end`;
    default:
      return (v) => sql`(${v} #>> '{}')`;
  }
}

/** Every column of the state, from the field tree: where the patch holds it and how its value is read. */
const stateColumns: readonly StateColumn[] = updatableGroups.flatMap((group) =>
  leafPaths(group).map(({ path, field }) => {
    const parent = path.slice(0, -1);
    const container = parent.length === 0 ? sql.raw('u.patch') : sql.raw(`(u.patch #> ${literal(`{${parent.join(',')}}`)})`);
    return {
      name: fieldColumn(path).name,
      given: sql`(${container} ? ${sql.raw(literal(path.at(-1)!))})`,
      value: sql.raw(`(u.patch #> ${literal(`{${path.join(',')}}`)})`),
      cast: castOf(field),
    };
  }),
);

const joinSql = (parts: SQL[]) => sql.join(parts, sql`, `);

export async function rebuildReferralStates(db: Executor, service: string): Promise<void> {
  // Returns of other quarters of the service may be accepted at the same time: one rebuild at a
  // time, each seeing the other's committed return (READ COMMITTED takes a snapshot per statement).
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`referral-states/${service}`}))`);
  await db.execute(sql`delete from referral_states st using records r, returns ret
    where st.record_id = r.id and r.return_id = ret.id and ret.service_id = ${service}`);
  const columns = sql.raw(stateColumns.map((c) => c.name).join(', '));
  // Per referral and column: the value of the latest update (by its return's quarter) that gives the field.
  const aggregates = stateColumns.map(
    (c, i) =>
      sql`bool_or(${c.given}) as ${sql.raw(`g${i}`)}, (array_agg(${c.value} order by u.period desc) filter (where ${c.given}))[1] as ${sql.raw(`v${i}`)}`,
  );
  const values = stateColumns.map(
    (c, i) => sql`case when coalesce(a.${sql.raw(`g${i}`)}, false) then ${c.cast(sql.raw(`a.v${i}`))} else r.${sql.raw(c.name)} end`,
  );
  await db.execute(sql`insert into referral_states (record_id, ${columns})
    select r.id, ${joinSql(values)}
    from (
      select u.record_id, ${joinSql(aggregates)}
      from (
        select r.id as record_id, ur.period, ru.patch
        from record_updates ru
        join returns ur on ur.id = ru.return_id and ur.service_id = ${service} and ur.superseded_at is null
        join returns rr on rr.service_id = ${service} and rr.period = ru.referral_period and rr.superseded_at is null
        join records r on r.return_id = rr.id and r.referral_id = ru.referral_id
      ) u
      group by u.record_id
    ) a
    join records r on r.id = a.record_id`);
}
