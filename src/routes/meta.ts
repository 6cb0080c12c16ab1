import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { API_VERSION } from '../lib/version.js';
import { DATASET_VERSION, describeDataset } from '../schema/dataset/index.js';

const metaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1',
    {
      schema: {
        operationId: 'getApiMetadata',
        tags: ['Metadata'],
        summary: 'API name, versions and links to the spec, docs and dataset',
        response: {
          200: Type.Object({
            name: Type.String(),
            apiVersion: Type.String(),
            datasetVersion: Type.String(),
            links: Type.Object({ openapi: Type.String(), docs: Type.String(), dataset: Type.String(), health: Type.String() }),
          }),
        },
      },
    },
    async () => ({
      name: 'VAWG Dataset API',
      apiVersion: API_VERSION,
      datasetVersion: DATASET_VERSION,
      links: { openapi: '/v1/openapi.json', docs: '/docs', dataset: '/v1/dataset', health: '/health' },
    }),
  );

  app.get(
    '/v1/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        tags: ['Metadata'],
        summary: 'The OpenAPI 3.1 document of this API',
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async () => app.swagger(),
  );

  app.get(
    '/v1/dataset',
    {
      schema: {
        operationId: 'getDataset',
        tags: ['Dataset'],
        summary: 'The dataset definition: every field, its code list and definition, and which are mandatory',
        response: { 200: Type.Object({ datasetVersion: Type.String() }, { additionalProperties: true }) },
      },
    },
    async () => describeDataset(),
  );
};

export default metaRoutes;
