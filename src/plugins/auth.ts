/**
 * Bearer API-key authentication and role checks. Runs on `onRequest`, before the body is read, so an
 * unauthenticated upload is refused without being parsed.
 */
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

/** The principal of an authenticated route; routes behind `requireRole` always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw problem(401, 'unauthenticated', 'an API key is required');
  return request.principal;
}

export default fp(
  async (app) => {
    app.decorateRequest('principal', null);
    // A valid key refused (wrong role, another service's data) is worth an audit row: it is how
    // misuse of a leaked or over-shared key shows. Unauthenticated noise (401) is not recorded.
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
        const header = request.headers.authorization;
        const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
        if (!match) {
          reply.header('www-authenticate', 'Bearer');
          throw problem(401, 'unauthenticated', 'send an API key as "Authorization: Bearer <key>"');
        }
        const principal = await findPrincipal(app.db, match[1]!);
        if (!principal) {
          reply.header('www-authenticate', 'Bearer error="invalid_token"');
          throw problem(401, 'unauthenticated', 'the API key is not valid or has been revoked');
        }
        request.principal = principal;
        if (!roles.includes(principal.role)) {
          throw problem(403, 'forbidden', `this needs the ${roles.join(' or ')} role; the key has the ${principal.role} role`);
        }
      };
    });
  },
  { name: 'auth', dependencies: ['database'] },
);
