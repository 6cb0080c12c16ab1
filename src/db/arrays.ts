/**
 * A list as ONE bound parameter (a PostgreSQL array literal), so `= any(…)` works for any number of
 * values: drizzle would otherwise bind each element, and PostgreSQL allows 65,535 parameters.
 */
import { sql, type SQL } from 'drizzle-orm';

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function textArray(values: readonly string[]): SQL {
  return sql`${`{${values.map(quote).join(',')}}`}::text[]`;
}

export function bigintArray(values: readonly number[]): SQL {
  return sql`${`{${values.map((v) => String(Math.trunc(v))).join(',')}}`}::bigint[]`;
}
