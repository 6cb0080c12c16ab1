/**
 * How long a client may hold a connection, and how many it may hold. The timeouts themselves are
 * fastify's and Node's (see `serverTimeouts`); this plugin adds what they lack:
 * - the idle timeout counts silence while the request arrives and while the answer leaves, not
 *   while the server works on it, so a long aggregate or relink is not cut off;
 * - an answer sent before the request's body was read (a refused upload: 401, 403, 413, 415) closes
 *   the connection, instead of Node reading and discarding the rest for as long as the client sends;
 * - connections over `maxConnections` are refused by Node as they arrive.
 */
import type { ServerOptions } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';

export interface ConnectionLimits {
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/** What fastify's keep-alive default is for: longer than the 60 s idle timeout of common load balancers. */
const KEEP_ALIVE_MS = 72_000;

/** The fastify options that bound a connection's time. */
export function serverTimeouts(limits: ConnectionLimits): Pick<FastifyServerOptions, 'connectionTimeout' | 'requestTimeout' | 'keepAliveTimeout'> & {
  http: ServerOptions;
} {
  const headersTimeout = Math.min(limits.idleTimeoutMs, limits.requestTimeoutMs);
  return {
    // Node's socket timeout: silence for this long closes the connection.
    connectionTimeout: limits.idleTimeoutMs,
    // The whole request, body included, must arrive within this; a byte every few seconds keeps a
    // socket from being idle but not from this.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_MS,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout,
      // Node checks the two timeouts above only this often (30 s by default), so a short timeout
      // needs a shorter interval to mean what it says.
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(headersTimeout / 4))),
    },
  };
}

export default fp<ConnectionLimits>(
  async (app, limits) => {
    app.server.maxConnections = limits.maxConnections;

    // After parsing: a JSON body has been read by now, a request without a body is complete, and a
    // streamed body (CSV) ends while the handler reads it.
    app.addHook('preHandler', async (request) => {
      const socket = request.raw.socket;
      // app.inject() has no socket to time out.
      if (!(socket instanceof Socket)) return;
      const working = () => socket.setTimeout(0);
      if (request.raw.complete) working();
      else request.raw.once('end', working);
    });

    app.addHook('onSend', async (request, reply) => {
      const socket = request.raw.socket;
      if (!(socket instanceof Socket)) return;
      socket.setTimeout(limits.idleTimeoutMs);
      if (!request.raw.complete) reply.header('connection', 'close');
    });
  },
  { name: 'connections' },
);
