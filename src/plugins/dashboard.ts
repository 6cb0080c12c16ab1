/**
 * `/dashboard/`: the analysts' dashboard, static files built by Vite from `dashboard/` into
 * `dist/dashboard` (`npm run build:dashboard`; `npm start` and `npm test` build it first). The page
 * holds no data: it reads the public API with the analyst's own key, so disclosure control applies
 * to everything it draws. It is not an API operation, so it is not in the OpenAPI document.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { problem } from '../lib/problem.js';

export const DASHBOARD_PATH = '/dashboard/';
export const dashboardBuildDir = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

async function dashboard(app: FastifyInstance): Promise<void> {
  app.get('/dashboard', { schema: { hide: true } }, async (_request, reply) => reply.redirect(DASHBOARD_PATH, 301));
  if (!existsSync(`${dashboardBuildDir}index.html`)) {
    // A checkout where nobody ran the build: say how to get the page rather than a bare 404.
    app.get(`${DASHBOARD_PATH}*`, { schema: { hide: true } }, async () => {
      throw problem(503, 'unavailable', 'the dashboard has not been built on this server: run `npm run build:dashboard` (npm start does it) and restart');
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dashboardBuildDir,
    prefix: DASHBOARD_PATH,
    decorateReply: false,
    cacheControl: false,
    // File names under assets/ carry their content hash: a browser may keep them; the page itself is always revalidated.
    setHeaders: (reply, path) => {
      reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}

export default fp(dashboard, { name: 'dashboard' });
