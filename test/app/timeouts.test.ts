/**
 * The server's doors over real sockets: a slow or silent client cannot hold a connection (and its
 * spooled upload) for ever, a refused upload is not drained, and connections above the cap are refused.
 */
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { serverTimeouts } from '../../src/plugins/connections.js';
import { ADMIN_KEY, buildTestApp, postgresDatabase, registerService, selectedBackend, testConfig } from '../helper.js';

async function listen(app: App): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

interface Connection {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with the milliseconds from opening to the server closing the connection, or null at the deadline. */
  closed(deadlineMs: number): Promise<number | null>;
}

async function open(port: number): Promise<Connection> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closedAt: number | null = null;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  // Writes after the server has gone fail; that is the point, not an error of the test.
  socket.on('error', () => {});
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', () => (closedAt = Date.now() - started));
  await once(socket, 'connect');
  return {
    socket,
    received: () => text,
    closed: async (deadlineMs) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
      return closedAt;
    },
  };
}

/** Writes a byte every `everyMs` until the socket is closed; returns a stop function. */
function trickle(socket: Socket, everyMs: number): () => void {
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write('x');
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

const uploadHead = (headers: string) =>
  `POST /v1/returns?service=col-vva&period=2022-23-Q1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\nContent-Length: 10000000\r\n${headers}\r\n`;

t.test('a body trickled a byte at a time is cut off at the request timeout', async (t) => {
  const uploadDir = await mkdtemp(path.join(tmpdir(), 'vawg-timeouts-'));
  t.teardown(() => rm(uploadDir, { recursive: true, force: true }));
  const app = await buildTestApp(t, { config: { requestTimeoutMs: 1500, idleTimeoutMs: 1000, uploadDir } });
  await registerService(app, 'col-vva');
  const port = await listen(app);
  const client = await open(port);
  client.socket.write(uploadHead(`Authorization: Bearer ${ADMIN_KEY}\r\n`));
  const stop = trickle(client.socket, 200);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const spooling = await readdir(uploadDir);
  const closedAfter = await client.closed(15_000);
  stop();
  t.ok(closedAfter !== null, 'the server closed the connection');
  t.ok(closedAfter === null || closedAfter < 10_000, `closed after ${closedAfter} ms (request timeout 1.5 s)`);
  client.socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(await readdir(uploadDir), [], `and its spool file is gone (${spooling.length} while it was arriving)`);
});

t.test('a client that goes silent in the middle of its body is cut off at the idle timeout', async (t) => {
  const app = await buildTestApp(t, { config: { requestTimeoutMs: 60_000, idleTimeoutMs: 1000 } });
  await registerService(app, 'col-vva');
  const port = await listen(app);
  const client = await open(port);
  client.socket.write(`${uploadHead(`Authorization: Bearer ${ADMIN_KEY}\r\n`)}referralId,referralDate\r\n`);
  const closedAfter = await client.closed(15_000);
  t.ok(closedAfter !== null, 'the server closed the connection');
  t.ok(closedAfter === null || closedAfter < 8000, `closed after ${closedAfter} ms (idle timeout 1 s, request timeout 60 s)`);
  client.socket.destroy();
});

t.test('a request that takes the server longer than the idle timeout to answer is not cut off', async (t) => {
  const databaseUrl = selectedBackend() === 'postgres' ? await postgresDatabase(t) : undefined;
  const app = await buildApp(testConfig({ databaseUrl, idleTimeoutMs: 300 }));
  t.teardown(() => app.close());
  // A handler slower than the idle timeout, standing in for a long aggregate or relink.
  app.get('/slow-test-route', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    return { ok: true };
  });
  const port = await listen(app);
  const res = await fetch(`http://127.0.0.1:${port}/slow-test-route`);
  t.equal(res.status, 200);
  t.same(await res.json(), { ok: true });
});

t.test('an unauthenticated upload gets its 401 and the connection is closed while the client keeps sending', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva');
  const port = await listen(app);
  const client = await open(port);
  client.socket.write(uploadHead(''));
  const stop = trickle(client.socket, 50);
  const closedAfter = await client.closed(8000);
  stop();
  t.match(client.received(), /^HTTP\/1\.1 401 /, 'answered 401');
  t.match(client.received(), /\r\nconnection: close\r\n/i, 'with Connection: close');
  t.ok(closedAfter !== null, 'and the server closed the connection instead of reading the rest of the body');
  client.socket.destroy();
});

t.test('a body over the limit is refused and the connection closed', async (t) => {
  const app = await buildTestApp(t, { config: { bodyLimitBytes: 1000 } });
  await registerService(app, 'col-vva');
  const port = await listen(app);
  const client = await open(port);
  client.socket.write(
    `POST /v1/returns HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n\r\n{"records":[`,
  );
  const stop = trickle(client.socket, 50);
  const closedAfter = await client.closed(8000);
  stop();
  t.match(client.received(), /^HTTP\/1\.1 413 /, 'answered 413');
  t.ok(closedAfter !== null, 'and closed the connection');
  client.socket.destroy();
});

t.test('a connection after a complete request stays open for the next one (keep-alive)', async (t) => {
  const app = await buildTestApp(t);
  const port = await listen(app);
  const client = await open(port);
  client.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await new Promise((resolve) => setTimeout(resolve, 300));
  client.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const closedAfter = await client.closed(600);
  t.equal(closedAfter, null, 'still open');
  t.equal(client.received().match(/HTTP\/1\.1 200 /g)?.length, 2, 'both requests answered');
  t.notMatch(client.received(), /connection: close/i);
  client.socket.destroy();
});

t.test('connections above the cap are refused; below it they are served', async (t) => {
  const app = await buildTestApp(t, { config: { maxConnections: 2 } });
  const port = await listen(app);
  const first = await open(port);
  const second = await open(port);
  // Both hold their connection with half a request.
  first.socket.write('GET /health HTTP/1.1\r\n');
  second.socket.write('GET /health HTTP/1.1\r\n');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const third = await open(port);
  third.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  t.ok((await third.closed(5000)) !== null, 'the third connection is closed');
  t.equal(third.received(), '', 'unanswered');
  t.equal(await first.closed(100), null, 'the first is still open');
  first.socket.write('Host: localhost\r\nConnection: close\r\n\r\n');
  await first.closed(5000);
  t.match(first.received(), /^HTTP\/1\.1 200 /, 'and is answered');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  t.equal(res.status, 200, 'a new connection below the cap is served');
  second.socket.destroy();
});

t.test('the limits are configured from the environment', async (t) => {
  const defaults = await loadConfig({ VAWG_DATA_DIR: 'memory://' });
  t.match(defaults, { requestTimeoutMs: 300_000, idleTimeoutMs: 30_000, maxConnections: 512, authFailuresPerMinute: 20, requestsPerMinutePerKey: 3000 });
  const config = await loadConfig({ VAWG_DATA_DIR: 'memory://', VAWG_REQUEST_TIMEOUT_S: '900', VAWG_IDLE_TIMEOUT_S: '10', VAWG_MAX_CONNECTIONS: '50' });
  t.match(config, { requestTimeoutMs: 900_000, idleTimeoutMs: 10_000, maxConnections: 50 });
  t.match(serverTimeouts(config), { connectionTimeout: 10_000, requestTimeout: 900_000, http: { headersTimeout: 10_000, requestTimeout: 900_000 } });
  await t.rejects(loadConfig({ VAWG_DATA_DIR: 'memory://', VAWG_REQUEST_TIMEOUT_S: '0' }), { name: 'ConfigError' }, 'no unlimited request time');
  await t.rejects(loadConfig({ VAWG_DATA_DIR: 'memory://', VAWG_IDLE_TIMEOUT_S: '0' }), { name: 'ConfigError' }, 'nor an unlimited idle connection');
});
