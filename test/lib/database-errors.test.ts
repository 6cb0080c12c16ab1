/**
 * "The database is unreachable" (503, retry) is told from every other failure (500, a bug) on the
 * errors the drivers really raise: a refused connection through drizzle and pg, a pool that cannot
 * connect in time, a terminated backend; and, on the other side, SQL errors of a healthy database.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import t from 'tap';
import { DatabaseUnavailableError, describeDatabaseFailure, isDatabaseUnavailable } from '../../src/db/database-errors.js';
import { buildTestApp } from '../helper.js';
import { freePort } from '../support/free-port.js';

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

t.test('unreachable databases are recognised through drizzle and pg', async (t) => {
  const port = await freePort();
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/none`, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  t.teardown(() => pool.end());
  const db = drizzle({ client: pool });
  const refused = await failureOf(() => db.execute(sql`select ${'a parameter'}`));
  t.ok(isDatabaseUnavailable(refused), 'a refused connection, wrapped by drizzle');
  const description = describeDatabaseFailure(refused);
  t.equal(description.code, 'ECONNREFUSED');
  t.notMatch(JSON.stringify(description), /a parameter/, 'the description never carries the query’s parameters');

  const inTransaction = await failureOf(() => db.transaction(async (tx) => tx.execute(sql`select 1`)));
  t.ok(isDatabaseUnavailable(inTransaction), 'a transaction that cannot start');

  // A server that accepts the TCP connection and never answers: the pool's connection timeout.
  const silent = createServer(() => undefined);
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.teardown(() => silent.close());
  const silentPool = new pg.Pool({
    connectionString: `postgres://postgres@127.0.0.1:${(silent.address() as { port: number }).port}/none`,
    connectionTimeoutMillis: 300,
  });
  silentPool.on('error', () => undefined);
  t.teardown(() => silentPool.end());
  const timedOut = await failureOf(() => drizzle({ client: silentPool }).execute(sql`select 1`));
  t.ok(isDatabaseUnavailable(timedOut), 'a connection that times out');

  t.ok(isDatabaseUnavailable(new DatabaseUnavailableError()), 'the readiness probe’s own error');
  t.ok(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })));
  t.ok(isDatabaseUnavailable(Object.assign(new Error('sorry, too many clients already'), { code: '53300' })));
  t.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')));
});

t.test('errors of a healthy database are not "unavailable"', async (t) => {
  const app = await buildTestApp(t);
  const syntax = await failureOf(() => app.db.execute(sql.raw('selec 1')));
  t.notOk(isDatabaseUnavailable(syntax), 'a syntax error');
  const missing = await failureOf(() => app.db.execute(sql.raw('select * from no_such_table')));
  t.notOk(isDatabaseUnavailable(missing), 'an unknown table');
  const raised = await failureOf(() => app.db.execute(sql.raw(`do $$ begin raise exception 'boom'; end $$`)));
  t.notOk(isDatabaseUnavailable(raised), 'a raised exception');
  t.notOk(isDatabaseUnavailable(new TypeError('x is undefined')));
  t.notOk(isDatabaseUnavailable(Object.assign(new Error('problems'), { errors: [{ code: 'required', detail: 'is required' }] })));
});
