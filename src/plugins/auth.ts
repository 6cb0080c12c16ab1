/**
 * Bearer API-key authentication and role checks. Runs on `onRequest`, before the body is read, so an
 * unauthenticated upload is refused without being parsed.
 *
 * Failed authentications are counted per client address and per presented key (its hash, kept in
 * memory only); after `failuresPerMinute` of either in a minute, further attempts get 429 before
 * the key is looked up, until the minute ends. Successful requests do not count towards that, so a
 * legitimate client is not slowed by its neighbours' mistakes unless they share its address. A
 * valid key also has a generous limit of its own (`requestsPerMinutePerKey`) against runaway clients.
 */
import { createHash } from 'node:crypto';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { problem } from '../lib/problem.js';
import { findPrincipal, type Principal, type Role } from '../services/api-keys.js';
import { recordAuditEvent } from '../services/audit.js';

declare module 'fastify' {
  interface FastifyInstance {
    requireRole(...roles: Role[]): onRequestHookHandler;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  failuresPerMinute: number;
  requestsPerMinutePerKey: number;
}

const MINUTE_MS = 60_000;

/** The principal of an authenticated route; routes behind `requireRole` always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw problem(401, 'unauthenticated', 'an API key is required');
  return request.principal;
}

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/** Not the stored hash (a different digest), so nothing that identifies a stored key is held or could be logged. */
function presentedKeyBucket(request: FastifyRequest): string {
  const key = presentedKey(request) ?? '';
  return `auth-failures:key:${createHash('sha256').update('rate-limit').update(key).digest('base64url').slice(0, 22)}`;
}

function tooManyRequests(reply: FastifyReply, retryAfterSeconds: number, detail: string) {
  reply.header('retry-after', String(Math.max(1, retryAfterSeconds)));
  return problem(429, 'rateLimited', detail);
}

export default fp<AuthOptions>(
  async (app, options) => {
    // Limiters are created here and applied by hand below: none is attached to routes globally.
    await app.register(rateLimit, { global: false, cache: 10_000 });
    const failuresByAddress = app.createRateLimit({
      max: options.failuresPerMinute,
      timeWindow: MINUTE_MS,
      keyGenerator: (request) => `auth-failures:ip:${normalizeIP(request.ip)}`,
    });
    const failuresByKey = app.createRateLimit({ max: options.failuresPerMinute, timeWindow: MINUTE_MS, keyGenerator: presentedKeyBucket });
    const requestsByKey = app.createRateLimit({
      max: options.requestsPerMinutePerKey,
      timeWindow: MINUTE_MS,
      keyGenerator: (request) => `requests:key:${request.principal?.keyId ?? ''}`,
    });

    /** Seconds until this request's address or key may try again; 0 when it may now. */
    const refusedFor = async (request: FastifyRequest, hasKey: boolean): Promise<number> => {
      const checks = [failuresByAddress(request, { increment: false }), ...(hasKey ? [failuresByKey(request, { increment: false })] : [])];
      let wait = 0;
      for (const state of await Promise.all(checks)) {
        if (!state.isAllowed && state.remaining === 0) wait = Math.max(wait, state.ttlInSeconds);
      }
      return wait;
    };

    const recordFailure = async (request: FastifyRequest, hasKey: boolean) => {
      await Promise.all([failuresByAddress(request), ...(hasKey ? [failuresByKey(request)] : [])]);
    };

    app.decorateRequest('principal', null);
    // A valid key refused (wrong role, another service's data) is worth an audit row: it is how
    // misuse of a leaked or over-shared key shows. Unauthenticated noise (401, 429) is not recorded.
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode !== 403 || !request.principal) return;
      await recordAuditEvent(app.db, {
        action: 'access.denied',
        principal: request.principal,
        outcome: 'failure',
        resourceType: 'route',
        resourceId: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        requestId: request.id,
      }).catch((err: unknown) => request.log.error({ err }, 'audit of a refused request failed'));
    });
    app.decorate('requireRole', (...roles: Role[]) => {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const key = presentedKey(request);
        const wait = await refusedFor(request, key !== null);
        if (wait > 0) {
          throw tooManyRequests(reply, wait, `too many failed authentications from this address or with this key; retry in ${wait} s`);
        }
        if (key === null) {
          await recordFailure(request, false);
          reply.header('www-authenticate', 'Bearer');
          throw problem(401, 'unauthenticated', 'send an API key as "Authorization: Bearer <key>"');
        }
        const principal = await findPrincipal(app.db, key);
        if (!principal) {
          await recordFailure(request, true);
          reply.header('www-authenticate', 'Bearer error="invalid_token"');
          throw problem(401, 'unauthenticated', 'the API key is not valid or has been revoked');
        }
        request.principal = principal;
        const usage = await requestsByKey(request);
        if (!usage.isAllowed && usage.isExceeded) {
          throw tooManyRequests(reply, usage.ttlInSeconds, `this API key has made more than ${options.requestsPerMinutePerKey} requests this minute`);
        }
        if (!roles.includes(principal.role)) {
          throw problem(403, 'forbidden', `this needs the ${roles.join(' or ')} role; the key has the ${principal.role} role`);
        }
      };
    });
  },
  { name: 'auth', dependencies: ['database'] },
);
