import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findUp } from '../lib/find-up.js';
import { problem } from '../lib/problem.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { apiMetadata, markdownDocumentSchema, metadataLinks, MetadataSchema, OpenApiDocumentSchema } from '../schema/api/meta.js';
import { DatasetDescriptionSchema } from '../schema/api/dataset.js';
import { DATASET_VERSION, describeDataset } from '../schema/dataset/index.js';

/**
 * Reads a file the repository ships (`CHANGELOG.md`, `docs/versioning.md`) once, at start;
 * `undefined` when the deployment does not carry it.
 */
export function readRepoFile(relative: string, start = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  const file = findUp(relative, start);
  return file === undefined ? undefined : readFileSync(file, 'utf8');
}

/** Documents of the repository served as they are. */
const markdownDocuments = [
  {
    url: metadataLinks.releaseNotes,
    file: 'CHANGELOG.md',
    name: 'release notes',
    operationId: 'getReleaseNotes',
    summary: 'Release notes: what changed for users, as Markdown',
    description: "The project's CHANGELOG.md: additions, changes and deprecations of the API and the dataset, newest first.",
  },
  {
    url: metadataLinks.versioningPolicy,
    file: path.join('docs', 'versioning.md'),
    name: 'versioning policy',
    operationId: 'getVersioningPolicy',
    summary: 'The versioning policy, as Markdown',
    description:
      'Semver for the dataset and the API, the `/v1` path, what counts as a breaking change, how clients treat unknown fields and enum values, and how operations are deprecated (`Deprecation`, `Sunset`, at least six months apart).',
  },
];

const metaRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        response: { 200: jsonResponse('The API name, its versions and the links an integrator starts from.', MetadataSchema) },
      },
    },
    async () => apiMetadata,
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
        response: { 200: jsonResponse('This OpenAPI 3.1 document, as `openapi/openapi.json` in the repository.', OpenApiDocumentSchema) },
      },
    },
    async () => app.swagger(),
  );

  for (const document of markdownDocuments) {
    // Read once at start; a deployment without the file answers 404 rather than failing to start.
    const text = readRepoFile(document.file);
    app.get(
      document.url,
      {
        schema: {
          operationId: document.operationId,
          tags: ['Metadata'],
          summary: document.summary,
          description: document.description,
          security: [],
          produces: ['text/markdown'],
          response: { 200: markdownDocumentSchema(document.file), ...errorResponses(404) },
        },
      },
      async (_request, reply) => {
        if (text === undefined) throw problem(404, 'notFound', `the ${document.name} are not part of this deployment`);
        return reply.type('text/markdown; charset=utf-8').send(text);
      },
    );
  }

  app.get(
    '/v1/dataset',
    {
      schema: {
        operationId: 'getDataset',
        tags: ['Dataset'],
        summary: 'The dataset definition: every field, its code list and definition, and which are mandatory',
        description: `The current dataset version (${DATASET_VERSION}); \`GET /v1/dataset/{version}\` names a version explicitly.`,
        security: [],
        response: { 200: jsonResponse('The current dataset definition: fields, code lists, derived groupings.', DatasetDescriptionSchema) },
      },
    },
    async () => describeDataset(),
  );
};

export default metaRoutes;
