/**
 * `/docs`: Swagger UI over the OpenAPI document, as the VAWG Dataset API's own page: our title,
 * header and logo, a getting-started text above the operations, and a Content-Security-Policy
 * written for exactly what the page loads.
 *
 * The CSP error the page used to log came from Swagger UI's top bar: its logo is an inline SVG
 * holding a `<style>` element, which `style-src 'self'` refuses. The page uses Swagger UI's
 * BaseLayout (no top bar, so no inline style and no box for loading another document's URL) with
 * our header drawn by `docs-assets/docs.css`; nothing on the page is inline, so the policy needs
 * no 'unsafe-inline', hash or nonce.
 */
import { readFile } from 'node:fs/promises';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const DOCS_PREFIX = '/docs';
export const DOCS_TITLE = 'VAWG Dataset API';

/**
 * What the page may load: its own scripts, styles and images (Swagger UI's stylesheet draws its
 * icons as `data:` SVGs), and requests to this server (the document, "Try it out"). No
 * `upgrade-insecure-requests`: a partnership may serve the API over plain HTTP inside its network,
 * where the directive would send the page's own assets to an https:// the server does not answer.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** The first thing the page says, above the document's own description. */
export const GETTING_STARTED = `## Getting started

Keys are issued by your partnership's **admin** (whoever runs this service); nobody creates their own.

1. **The admin registers your service** (\`POST /v1/services\`, admin only).
2. **The admin issues a provider key** bound to that service (\`POST /v1/api-keys\` with \`"role": "provider"\`, admin only). The key is shown once: keep it in your case system's secret store.
3. **You submit a quarterly return** with that key: \`POST /v1/returns\`, as JSON or as CSV (\`Content-Type: text/csv\`, with \`?service=…&period=…\`). \`?dryRun=true\` checks a return without storing it; an \`Idempotency-Key\` header makes a retry safe. Every problem is listed, by row and column.

**Analysts** get an analyst key from the admin: it reads aggregates, indicators and completeness (\`/v1/aggregates\`, \`/v1/indicators\`, \`/v1/completeness\`), with small numbers suppressed, and never record-level data.

To try a call on this page: **Authorize** with your key, open an operation, then **Try it out**.

Before you build: the dataset definition [/v1/dataset](/v1/dataset) (every field and code list), the CSV template [/v1/dataset/template.csv](/v1/dataset/template.csv), the code lists as CSV [/v1/dataset/code-lists.csv](/v1/dataset/code-lists.csv), and this document as [/v1/openapi.json](/v1/openapi.json). The \`vawg\` command-line tool checks a file offline (\`vawg validate\`) and submits it (\`vawg submit\`); see the README.`;

const assetsDir = new URL('../docs-assets/', import.meta.url);

/** The document as the page shows it: the getting-started text first, then the document's own description. */
function withGettingStarted(document: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const info = (document.info ?? {}) as Record<string, unknown>;
  const own = typeof info.description === 'string' ? info.description : '';
  return { ...document, info: { ...info, description: own ? `${GETTING_STARTED}\n\n## About this API\n\n${own}` : GETTING_STARTED } };
}

async function apiDocs(app: FastifyInstance): Promise<void> {
  const [logo, css] = await Promise.all([readFile(new URL('vawg-logo.svg', assetsDir)), readFile(new URL('docs.css', assetsDir), 'utf8')]);
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // Every response under /docs (the page, its scripts and styles, the document) carries this policy instead of helmet's.
    staticCSP: DOCS_CSP,
    // Only drawn by Swagger UI's StandaloneLayout; given so that its own logo is never the fallback.
    logo: { type: 'image/svg+xml', content: logo },
    theme: {
      title: DOCS_TITLE,
      css: [{ filename: 'docs.css', content: css }],
      // Served at /docs/static/theme/vawg-logo.svg: the page's icon and the header's logo (docs.css).
      favicon: [{ filename: 'vawg-logo.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: logo }],
    },
    uiConfig: { layout: 'BaseLayout', deepLinking: true, docExpansion: 'list', displayRequestDuration: true, persistAuthorization: false },
    transformSpecification: (document) => withGettingStarted(document),
  });
}

export default fp(apiDocs, { name: 'api-docs', dependencies: ['@fastify/swagger'] });
