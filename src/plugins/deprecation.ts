/**
 * Deprecation and sunset of operations (`docs/versioning.md`). A route opts in with
 *
 *   config: { deprecation: { since: '2026-01-01', sunset: '2026-07-01', link: '/docs/…' } }
 *
 * and every response of it then carries `Deprecation: @<unix seconds>` (RFC 9745), `Sunset:
 * <HTTP-date>` (RFC 8594) and `Link: <…>; rel="deprecation"`; its OpenAPI operation is marked
 * `deprecated: true`. The dates are checked when the route is registered: a sunset less than six
 * months after the deprecation stops the server from starting.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export interface DeprecationConfig {
  /** The day the operation was deprecated (`YYYY-MM-DD`, UTC). */
  since: string;
  /** The day it may stop working (`YYYY-MM-DD`, UTC), at least `MIN_NOTICE_MONTHS` after `since`. */
  sunset: string;
  /** Where the deprecation and the way off it are explained (relative or absolute URL). */
  link: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    deprecation?: DeprecationConfig;
  }
}

/** The shortest notice between deprecation and sunset. */
export const MIN_NOTICE_MONTHS = 6;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDay(value: unknown, what: string, route: string): Date {
  const match = typeof value === 'string' ? DAY.exec(value) : null;
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new Error(`${route}: deprecation.${what} must be a date YYYY-MM-DD, not ${String(value)}`);
  return date;
}

export interface DeprecationHeaders {
  deprecation: string;
  sunset: string;
  link: string;
}

/** The three headers for a deprecation, checked: throws when a date is invalid or the notice too short. */
export function deprecationHeaders(config: DeprecationConfig, route = 'route'): DeprecationHeaders {
  const since = parseDay(config.since, 'since', route);
  const sunset = parseDay(config.sunset, 'sunset', route);
  const earliest = new Date(since);
  earliest.setUTCMonth(earliest.getUTCMonth() + MIN_NOTICE_MONTHS);
  if (sunset < earliest) throw new Error(`${route}: sunset ${config.sunset} is less than ${MIN_NOTICE_MONTHS} months after the deprecation (${config.since})`);
  if (typeof config.link !== 'string' || config.link.length === 0 || /[<>\s]/.test(config.link))
    throw new Error(`${route}: deprecation.link must be a URL explaining the deprecation`);
  return {
    // RFC 9745: a Structured Field Date, `@` and seconds since the epoch.
    deprecation: `@${Math.floor(since.getTime() / 1000)}`,
    // RFC 8594: an HTTP-date (IMF-fixdate), which is what toUTCString writes.
    sunset: sunset.toUTCString(),
    link: `<${config.link}>; rel="deprecation"; type="text/html"`,
  };
}

const deprecationPlugin: FastifyPluginAsync = async (app) => {
  const computed = new WeakMap<DeprecationConfig, DeprecationHeaders>();

  app.addHook('onRoute', (route) => {
    const config = route.config?.deprecation;
    if (!config) return;
    computed.set(config, deprecationHeaders(config, `${String(route.method)} ${route.url}`));
    // @fastify/swagger reads the schema when the document is generated, after every route is added.
    route.schema = { ...(route.schema ?? {}), deprecated: true } as typeof route.schema;
  });

  app.addHook('onSend', async (request, reply) => {
    const config = request.routeOptions.config.deprecation;
    if (!config) return;
    const headers = computed.get(config) ?? deprecationHeaders(config);
    reply.header('deprecation', headers.deprecation);
    reply.header('sunset', headers.sunset);
    const existing = reply.getHeader('link');
    reply.header('link', existing ? `${String(existing)}, ${headers.link}` : headers.link);
  });
};

export default fp(deprecationPlugin, { name: 'deprecation' });
