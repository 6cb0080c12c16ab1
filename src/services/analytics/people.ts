/**
 * Counting people once. The person key is the one place that decides who a record is about, so
 * probabilistic linkage can replace it without touching the aggregates or indicators that count.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { fieldColumn } from '../../schema/dataset/columns.js';
import { cellKeyOf, KEY_RANGE } from './cell-key.js';
import { currentRecordsIn, queryRows, type RecordsInOptions, type Scope } from './scope.js';

/** The token column of the SLK-581, the key records were linked by before probabilistic linkage. */
const linkageToken = fieldColumn('victim.linkage.slk581');

/**
 * The person probabilistic linkage assigned (services/linkage/relink.ts); before a record is linked,
 * records sharing a linkage token are one person; records without a key are each their own.
 */
export function personKeySql(alias = 'r'): SQL {
  const r = sql.raw(alias);
  return sql`coalesce('person:' || ${r}.person_id::text, ${linkageToken.sql(alias)}, 'record:' || ${r}.id::text)`;
}

/** Joins the record whose id is the person's (the smallest of her linkage cluster), for her cell key. */
export function personAnchorJoin(alias = 'r'): SQL {
  return sql`left join records person_anchor on person_anchor.id = ${sql.raw(alias)}.person_id`;
}

/**
 * A person's key for the cell key method (cell-key.ts): the record key of her first record, so that
 * she carries the same key in every cell and query. It must be a function of `personKeySql` alone
 * (a person with two keys would be counted twice by `select distinct`): a linked person whose first
 * record is gone, and records sharing a token before linkage, take a byte of the md5 of their key
 * (tokens are keyed hashes, so the byte is as unpredictable as a drawn key). Needs `personAnchorJoin`.
 */
export function personCellKeySql(alias = 'r'): SQL {
  const r = sql.raw(alias);
  return sql`(case when ${r}.person_id is not null then coalesce(person_anchor.record_key, get_byte(decode(md5(${personKeySql(alias)}), 'hex'), 0))
    when ${linkageToken.sql(alias)} is not null then get_byte(decode(md5(${linkageToken.sql(alias)}), 'hex'), 0)
    else ${r}.record_key end)`;
}

/**
 * A perpetrator person (dataset 1.1.0), one per entry of a record's `perpetrators` (lateral `p`,
 * joined to its `perpetrator_keys` row `pk` by `perpetratorKeyJoin`): the person the perpetrators'
 * linkage assigned (their own persons, never a victim's); before linkage has run, entries sharing
 * a linkage token are one person (exact-token equality, as victims' records before linkage); an
 * entry without a key is a person of its own. A perpetrator referred themselves (subject
 * `perpetrator`) is the record's one entry, so both subjects are counted in the same persons.
 */
export function perpetratorKeySql(): SQL {
  return sql`coalesce('perpetrator:' || pk.person_id::text, 'token:' || pk.slk581_token, 'entry:' || r.id::text || ':' || p.position::text)`;
}

/** The `perpetrator_keys` row of each perpetrator entry `p` (none when the entry gave no key). */
export function perpetratorKeyJoin(): SQL {
  return sql`left join perpetrator_keys pk on pk.record_id = r.id and pk.position = p.position`;
}

/** Joins the key row a linked perpetrator person is numbered by, and its record, for her cell key. */
export function perpetratorAnchorJoin(): SQL {
  return sql`left join perpetrator_keys pk_anchor on pk_anchor.id = pk.person_id left join records perpetrator_anchor on perpetrator_anchor.id = pk_anchor.record_id`;
}

/**
 * A perpetrator person's key for the cell key method, a function of `perpetratorKeySql` alone (see
 * `personCellKeySql`): a linked person's is the record key of the record holding the key row her
 * person is numbered by, offset by its position (so that the alleged perpetrator of a record does
 * not share the record's own key); a token's, a byte of its md5 (tokens are keyed hashes); an
 * entry's without a key, its record's key offset by its position. Needs `perpetratorAnchorJoin`.
 */
export function perpetratorCellKeySql(): SQL {
  const range = sql.raw(String(KEY_RANGE));
  return sql`(case when pk.person_id is not null then coalesce((perpetrator_anchor.record_key + pk_anchor.position + 1) % ${range}, get_byte(decode(md5(${perpetratorKeySql()}), 'hex'), 0))
    when pk.slk581_token is not null then get_byte(decode(md5(pk.slk581_token), 'hex'), 0)
    else (r.record_key + p.position + 1) % ${range} end)`;
}

/** What is counted distinctly: `key` per group, with `cellKey`, its cell-key contribution (a function of `key`, so `distinct` is unchanged by it). */
export interface DistinctCount {
  scope: Scope;
  key: SQL;
  groups: Array<{ name: string; expression: SQL }>;
  joins?: SQL;
  cellKey?: SQL;
  recordsIn?: RecordsInOptions;
}

/** The distinct (groups…, key as c, cellKey as ck) rows, and the groups' column names. */
function distinctRows({ scope, key, groups, joins = sql``, cellKey = sql`0`, recordsIn = {} }: DistinctCount) {
  const names = groups.map((g) => sql.identifier(g.name));
  const selected = groups.map((g, i) => sql`${g.expression} as ${names[i]}`);
  const rows = sql`select distinct ${sql.join([...selected, sql`${key} as c`, sql`${cellKey} as ck`], sql`, `)} ${currentRecordsIn(scope, joins, recordsIn)}`;
  return { names, rows };
}

/** Distinct values of `key` per group, with `k`, the sum of their cell-key contributions. */
export async function countDistinctBy(db: Database, count: DistinctCount) {
  const { names, rows } = distinctRows(count);
  const groupBy = names.length ? sql`group by ${sql.join(names, sql`, `)}` : sql``;
  return queryRows<Record<string, unknown> & { n: number | string; k: number | string | null }>(
    db,
    sql`select ${sql.join([...names, sql`count(*) as n`, sql`sum(ck) as k`], sql`, `)} from (${rows}) x ${groupBy}`,
  );
}

/**
 * `countDistinctBy` for several groupings of the same groups at once (each a list of indices into
 * `groups`; [] is the total), tagged `g` by position: the distinct rows are made once, from one
 * scan, and each grouping counts its own distinct values among them.
 */
export async function countDistinctGroupings(db: Database, count: DistinctCount, groupings: number[][]) {
  const { names, rows } = distinctRows(count);
  const branches = groupings.map((grouping, g) => {
    const kept = grouping.map((i) => names[i]!);
    const columns = names.map((name, i) => (grouping.includes(i) ? name : sql`null as ${name}`));
    // The cells' grouping keeps every group: its rows are distinct already.
    const from = grouping.length === names.length ? sql`x` : sql`(select distinct ${sql.join([...kept, sql`c`, sql`ck`], sql`, `)} from x) y`;
    const groupBy = kept.length ? sql`group by ${sql.join(kept, sql`, `)}` : sql``;
    return sql`select ${sql.join([sql.raw(`${g} as g`), ...columns, sql`count(*) as n`, sql`sum(ck) as k`], sql`, `)} from ${from} ${groupBy}`;
  });
  return queryRows<Record<string, unknown> & { g: number | string; n: number | string; k: number | string | null }>(
    db,
    sql`with x as materialized (${rows}) ${sql.join(branches, sql` union all `)}`,
  );
}

/** Distinct people in scope, and the sum of their cell keys (0 unless `keyed`: exact figures need none). */
export async function countPeople(db: Database, scope: Scope, keyed = true): Promise<{ n: number; k: number }> {
  const [row] = keyed
    ? await countDistinctBy(db, { scope, key: personKeySql(), groups: [], joins: personAnchorJoin(), cellKey: personCellKeySql() })
    : await countDistinctBy(db, { scope, key: personKeySql(), groups: [] });
  return { n: Number(row?.n ?? 0), k: cellKeyOf(row?.k) };
}
