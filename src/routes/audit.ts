import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditListSchema, AuditQuery } from '../schema/api/audit.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { listAuditEvents } from '../services/audit.js';

const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/audit',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'listAuditEvents',
        tags: ['Audit'],
        summary: 'The audit log: submissions, reads of record-level data, key management, period locks (admin only)',
        description:
          'Newest first. Filter by `action`, `apiKeyId`, `resourceId` and a time window (`from` inclusive, `to` exclusive). ' +
          "Events name API keys and resources, never a person's data, keys or linkage tokens.",
        security: [{ bearerAuth: [] }],
        querystring: AuditQuery,
        response: { 200: jsonResponse('One page of events, newest first, with the total that match.', AuditListSchema), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => listAuditEvents(app.db, request.query),
  );
};

export default auditRoutes;
