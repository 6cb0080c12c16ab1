import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schema/api/common.js';
import { CreateServiceSchema, ServiceListSchema } from '../schema/api/services.js';
import { createService, listServices } from '../services/services.js';
import { Type } from 'typebox';

const serviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/services',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'createService',
        tags: ['Services'],
        summary: 'Register a service that submits returns',
        security: [{ bearerAuth: [] }],
        body: CreateServiceSchema,
        response: { 201: Type.Ref('Service'), ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => reply.status(201).send(await createService(app.db, request.body)),
  );

  app.get(
    '/v1/services',
    {
      onRequest: app.requireRole('admin', 'analyst'),
      schema: {
        operationId: 'listServices',
        tags: ['Services'],
        summary: 'List registered services',
        security: [{ bearerAuth: [] }],
        response: { 200: ServiceListSchema, ...errorResponses(401, 403) },
      },
    },
    async () => listServices(app.db),
  );
};

export default serviceRoutes;
