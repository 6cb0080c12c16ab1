import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { API_VERSION } from '../lib/version.js';
import { problem } from '../lib/problem.js';
import { errorResponses } from '../schema/api/common.js';
import { DATASET_VERSION, DATASET_VERSIONS, describeDataset } from '../schema/dataset/index.js';

/**
 * Reads a file of the repository (`CHANGELOG.md`, `docs/versioning.md`) once, walking up from this
 * file as the migrator finds `migrations/`, so it is found from `src/` and from a build alike.
 * `undefined` when the deployment does not carry it.
 */
export function readRepoFile(relative: string, start = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return readFileSync(candidate, 'utf8');
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const link = (description: string) => Type.String({ description });

export const metadataLinks = {
  openapi: '/v1/openapi.json',
  docs: '/docs',
  dataset: '/v1/dataset',
  health: '/health',
  recordSchema: `/v1/dataset/${DATASET_VERSION}/record.schema.json`,
  template: '/v1/dataset/template.csv',
  codeLists: '/v1/dataset/code-lists',
  releaseNotes: '/v1/release-notes',
  versioningPolicy: '/v1/versioning-policy',
};

const MetadataSchema = Type.Object(
  {
    name: Type.String(),
    apiVersion: Type.String({ description: 'Semver of the API; the path stays `/v1` while it only grows (see the versioning policy).' }),
    datasetVersion: Type.String({ description: 'Semver of the current dataset definition, which returns are validated against.' }),
    datasetVersions: Type.Array(Type.String(), { description: 'Every dataset version this server describes and publishes a record schema for.' }),
    links: Type.Object({
      openapi: link('The OpenAPI 3.1 document.'),
      docs: link('Interactive documentation.'),
      dataset: link('The current dataset definition: fields, code lists, derived groupings.'),
      health: link('Liveness.'),
      recordSchema: link("The current dataset version's record JSON Schema (2020-12), the one the server validates with."),
      template: link('The CSV template of a return.'),
      codeLists: link('Every code list, with the crosswalks from other code systems (`.csv` for a table).'),
      releaseNotes: link('What changed for users, newest first (Markdown).'),
      versioningPolicy: link('What may change within v1, what counts as breaking, and how deprecation works (Markdown).'),
    }),
  },
  {
    examples: [
      {
        name: 'VAWG Dataset API',
        apiVersion: API_VERSION,
        datasetVersion: DATASET_VERSION,
        datasetVersions: [...DATASET_VERSIONS],
        links: metadataLinks,
      },
    ],
  },
);

const markdownDocument = (description: string) => Type.String({ description });

const metaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Read once at start; a deployment without the files answers 404 rather than failing to start.
  const releaseNotes = readRepoFile('CHANGELOG.md');
  const versioningPolicy = readRepoFile(path.join('docs', 'versioning.md'));

  app.get(
    '/v1',
    {
      schema: {
        operationId: 'getApiMetadata',
        tags: ['Metadata'],
        summary: 'API name, versions and links to the spec, docs, dataset, release notes and versioning policy',
        description:
          'The entry point for an integrator: the API and dataset versions, and where the OpenAPI document, the record JSON Schema, the CSV template, the code lists, the release notes and the versioning policy are. Clients must ignore fields they do not know: new ones may be added within v1.',
        security: [],
        response: { 200: MetadataSchema },
      },
    },
    async () => ({
      name: 'VAWG Dataset API',
      apiVersion: API_VERSION,
      datasetVersion: DATASET_VERSION,
      datasetVersions: [...DATASET_VERSIONS],
      links: metadataLinks,
    }),
  );

  app.get(
    '/v1/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        tags: ['Metadata'],
        summary: 'The OpenAPI 3.1 document of this API',
        description: 'Generated from the route schemas; the same document is committed as `openapi/openapi.json`.',
        security: [],
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async () => app.swagger(),
  );

  app.get(
    '/v1/release-notes',
    {
      schema: {
        operationId: 'getReleaseNotes',
        tags: ['Metadata'],
        summary: 'Release notes: what changed for users, as Markdown',
        description: "The project's CHANGELOG.md: additions, changes and deprecations of the API and the dataset, newest first.",
        security: [],
        produces: ['text/markdown'],
        response: { 200: markdownDocument('CHANGELOG.md (Markdown).'), ...errorResponses(404) },
      },
    },
    async (_request, reply) => {
      if (releaseNotes === undefined) throw problem(404, 'notFound', 'the release notes are not part of this deployment');
      return reply.type('text/markdown; charset=utf-8').send(releaseNotes);
    },
  );

  app.get(
    '/v1/versioning-policy',
    {
      schema: {
        operationId: 'getVersioningPolicy',
        tags: ['Metadata'],
        summary: 'The versioning policy, as Markdown',
        description:
          'Semver for the dataset and the API, the `/v1` path, what counts as a breaking change, how clients treat unknown fields and enum values, and how operations are deprecated (`Deprecation`, `Sunset`, at least six months apart).',
        security: [],
        produces: ['text/markdown'],
        response: { 200: markdownDocument('docs/versioning.md (Markdown).'), ...errorResponses(404) },
      },
    },
    async (_request, reply) => {
      if (versioningPolicy === undefined) throw problem(404, 'notFound', 'the versioning policy is not part of this deployment');
      return reply.type('text/markdown; charset=utf-8').send(versioningPolicy);
    },
  );

  app.get(
    '/v1/dataset',
    {
      schema: {
        operationId: 'getDataset',
        tags: ['Dataset'],
        summary: 'The dataset definition: every field, its code list and definition, and which are mandatory',
        description: `The current dataset version (${DATASET_VERSION}); \`GET /v1/dataset/{version}\` names a version explicitly.`,
        security: [],
        response: { 200: Type.Object({ datasetVersion: Type.String() }, { additionalProperties: true }) },
      },
    },
    async () => describeDataset(),
  );
};

export default metaRoutes;
