import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../plugins/auth.js';
import { ApiKeyIdParams, CreateApiKeySchema } from '../schema/api/api-keys.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { createApiKey, revokeApiKey } from '../services/api-keys.js';

const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/api-keys',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'createApiKey',
        tags: ['API keys'],
        summary: 'Create an API key (shown once)',
        description:
          'Roles: `admin` (everything), `provider` (submit and read returns of the services it is bound to), `analyst` (aggregates, indicators, completeness; never record-level data).',
        security: [{ bearerAuth: [] }],
        body: CreateApiKeySchema,
        response: {
          201: jsonResponse('Created: the key is in `key`, shown this once.', Type.Ref('CreatedApiKey')),
          ...errorResponses(400, 401, 403, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(app.db, request.body, { principal: principalOf(request), requestId: request.id });
      request.log.info({ apiKeyId: created.id, role: created.role }, 'api key created');
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'revokeApiKey',
        tags: ['API keys'],
        summary: 'Revoke an API key',
        description: 'Admin only. The key stops working at once; the revocation is recorded in the audit log. Unknown ids answer 404.',
        security: [{ bearerAuth: [] }],
        params: ApiKeyIdParams,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeApiKey(app.db, request.params.id, { principal: principalOf(request), requestId: request.id });
      request.log.info({ apiKeyId: request.params.id }, 'api key revoked');
      return reply.status(204).send(null);
    },
  );
};

export default apiKeyRoutes;
