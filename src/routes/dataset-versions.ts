/**
 * The dataset by version: its description and its record JSON Schema at stable URLs, so a supplier
 * can pin the version it built against. The schema served is the object the returns validator
 * compiles (`recordJsonSchema`), serialised once; a published version never changes, so it is
 * cached as immutable.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problem } from '../lib/problem.js';
import { errorResponses } from '../schema/api/common.js';
import { DATASET_VERSION, DATASET_VERSIONS, describeDataset, recordJsonSchema } from '../schema/dataset/index.js';

interface PublishedVersion {
  describe: () => Record<string, unknown>;
  recordSchema: Readonly<Record<string, unknown>>;
}

/** The versions this server can serve. Only the current one is defined in code today. */
const published = new Map<string, PublishedVersion>([[DATASET_VERSION, { describe: describeDataset, recordSchema: recordJsonSchema }]]);

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Labels and definitions may be clarified without a new version, so the description is cached for a day only. */
const ONE_DAY = 'public, max-age=86400';

const VersionParams = Type.Object({
  version: Type.String({ description: `A dataset version (semver), e.g. \`${DATASET_VERSION}\`. \`GET /v1\` lists them.`, examples: [DATASET_VERSION] }),
});

function unknownVersion(version: string) {
  return problem(404, 'notFound', `no dataset version ${version}; available: ${DATASET_VERSIONS.join(', ')}`);
}

const datasetVersionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const schemaDocuments = new Map(
    [...published].map(([version, { recordSchema }]) => {
      const body = `${JSON.stringify(recordSchema, null, 2)}\n`;
      return [version, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` }];
    }),
  );

  app.get(
    '/v1/dataset/:version/record.schema.json',
    {
      schema: {
        operationId: 'getRecordJsonSchema',
        tags: ['Dataset'],
        summary: 'The record JSON Schema (2020-12) of a dataset version',
        description:
          "Exactly the schema the server validates each record of a return with (every field, code list, bound and conditional requirement), so a supplier's own validator gives the server's verdict on a record. The rules across records (a unique `referralId`, a `referralDate` inside the period) and a few across fields are checked by `vawg validate` and the server, not the schema. `$id` is a URN naming the version; a published version never changes, so the response may be cached for a year.",
        security: [],
        params: VersionParams,
        response: {
          200: {
            description: 'A JSON Schema 2020-12 document for one record.',
            headers: {
              'cache-control': Type.String({ description: `\`${IMMUTABLE}\`: a published dataset version never changes.` }),
              etag: Type.String({ description: 'Entity tag of the schema; send it back in `If-None-Match`.' }),
            },
            content: {
              'application/schema+json': {
                // Not described property by property: `$id` as a property name confuses the spec generator's resolver.
                schema: Type.Object({}, { additionalProperties: true, description: 'A JSON Schema 2020-12 document (`$schema`, `$id`, `properties`, …).' }),
              },
            },
          },
          304: Type.Null({ description: 'Not modified: the `If-None-Match` entity tag is current.' }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const document = schemaDocuments.get(request.params.version);
      if (!document) throw unknownVersion(request.params.version);
      reply.header('cache-control', IMMUTABLE).header('etag', document.etag);
      const given = request.headers['if-none-match'];
      if (given && given.split(',').some((tag) => tag.trim().replace(/^W\//, '') === document.etag)) return reply.code(304).send(undefined as never);
      return reply.type('application/schema+json; charset=utf-8').send(document.body);
    },
  );

  app.get(
    '/v1/dataset/:version',
    {
      schema: {
        operationId: 'getDatasetVersion',
        tags: ['Dataset'],
        summary: 'The dataset definition of one dataset version',
        description:
          'What `GET /v1/dataset` gives for the current version, for a version named in the path: every field with its definition and code list, the code lists, the derived groupings.',
        security: [],
        params: VersionParams,
        response: {
          200: Type.Object({ datasetVersion: Type.String() }, { additionalProperties: true }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const version = published.get(request.params.version);
      if (!version) throw unknownVersion(request.params.version);
      reply.header('cache-control', ONE_DAY);
      return version.describe();
    },
  );
};

export default datasetVersionRoutes;
