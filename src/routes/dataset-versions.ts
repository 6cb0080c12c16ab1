/**
 * The dataset by version: its description and its record JSON Schema at stable URLs, so a supplier
 * can pin the version it built against, and the list of versions. The schema served is the document
 * the returns validator compiles (for a frozen version: its committed snapshot); a published
 * version never changes, so it is cached as immutable.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { DatasetDescriptionSchema, DatasetVersionParams, DatasetVersionsSchema, IfNoneMatchHeaders, RecordJsonSchemaDocument } from '../schema/api/dataset.js';
import { listDatasetVersions } from '../schema/dataset/index.js';
import { describeDatasetVersion, etagMatches, recordSchemaDocument } from '../services/dataset-versions.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Labels and definitions may be clarified without a new version, so the description is cached for a day only. */
const ONE_DAY = 'public, max-age=86400';

const datasetVersionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/dataset/versions',
    {
      schema: {
        operationId: 'listDatasetVersions',
        tags: ['Dataset'],
        summary: 'Every dataset version, with its status and publication date',
        description:
          'The versions a return may declare in `datasetVersion` (JSON: top level; CSV: query parameter). One is `current` (the default, and what `GET /v1/dataset` describes); earlier ones are `supported` (frozen: their documents never change) or `deprecated`. Each is described at `GET /v1/dataset/{version}`.',
        security: [],
        response: {
          200: jsonResponse('Every dataset version, oldest first.', DatasetVersionsSchema, {
            headers: { 'cache-control': Type.String({ description: `\`${ONE_DAY}\`: a new version or status may arrive with a release.` }) },
            examples: {
              versions: {
                summary: 'Two versions',
                value: {
                  versions: [
                    { version: '1.0.0', status: 'supported', publishedAt: '2026-11-23' },
                    { version: '1.1.0', status: 'current', publishedAt: '2026-12-02' },
                  ],
                },
              },
            },
          }),
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', ONE_DAY);
      return { versions: listDatasetVersions() };
    },
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
        params: DatasetVersionParams,
        headers: IfNoneMatchHeaders,
        response: {
          200: {
            description: 'A JSON Schema 2020-12 document for one record.',
            headers: {
              'cache-control': Type.String({ description: `\`${IMMUTABLE}\`: a published dataset version never changes.` }),
              etag: Type.String({ description: 'Entity tag of the schema; send it back in `If-None-Match`.' }),
            },
            content: {
              'application/schema+json': { schema: RecordJsonSchemaDocument },
            },
          },
          304: Type.Null({
            description: 'Not modified: the `If-None-Match` entity tag is current; no body.',
            headers: {
              'cache-control': Type.String({ description: `\`${IMMUTABLE}\`.` }),
              etag: Type.String({ description: 'Entity tag of the schema.' }),
            },
          }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const document = recordSchemaDocument(request.params.version);
      reply.header('cache-control', IMMUTABLE).header('etag', document.etag);
      if (etagMatches(request.headers['if-none-match'], document.etag)) return reply.code(304).send(undefined as never);
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
        params: DatasetVersionParams,
        response: {
          200: jsonResponse('The dataset definition of the version.', DatasetDescriptionSchema, {
            headers: { 'cache-control': Type.String({ description: `\`${ONE_DAY}\`: labels and definitions may be clarified within a version.` }) },
          }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const description = describeDatasetVersion(request.params.version);
      reply.header('cache-control', ONE_DAY);
      return description;
    },
  );
};

export default datasetVersionRoutes;
