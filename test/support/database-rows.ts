/** Reading a test database as it is: raw rows of a query, and every row of every table as a dump holds it. */
import { sql } from 'drizzle-orm';
import type { App } from '../../src/app.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const rowsOf = async (app: App, query: ReturnType<typeof sql>): Promise<Json[]> => ((await app.db.execute(query)) as unknown as { rows: Json[] }).rows;

/** Every row of every table of the app's schema, as text: what a data dump holds. */
export async function everyRow(app: App): Promise<string> {
  const tables = await rowsOf(
    app,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const parts: string[] = [];
  for (const { table_name: name } of tables) {
    const rows = await rowsOf(app, sql`select row_to_json(t)::text as row from ${sql.identifier(name as string)} t`);
    parts.push(`${name}: ${rows.map((r) => r.row).join('\n')}`);
  }
  return parts.join('\n');
}
