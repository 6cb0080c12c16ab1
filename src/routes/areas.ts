import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AreaParams, PutAreaSchema } from '../schema/api/areas.js';
import { errorResponses, jsonResponse, locationHeader } from '../schema/api/common.js';
import { getArea, putArea } from '../services/areas.js';

const areaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/v1/areas/:code',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'putArea',
        tags: ['Areas'],
        summary: 'Create or replace an area and its population figures',
        description:
          'Admin only. Replaces the name and every population year of the area (201 when it is new, 200 when replaced). Population figures are the denominators of rates per population and of representation in aggregates.',
        security: [{ bearerAuth: [] }],
        params: AreaParams,
        body: PutAreaSchema,
        response: {
          200: jsonResponse('Replaced: the area as it now is.', Type.Ref('Area')),
          201: jsonResponse('Created: the new area.', Type.Ref('Area'), {
            headers: { location: locationHeader('Where the area is read: `/v1/areas/{code}`.') },
          }),
          ...errorResponses(400, 401, 403, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const { created, area } = await putArea(app.db, request.params.code, request.body);
      if (created) reply.header('location', `/v1/areas/${area.code}`);
      return reply.status(created ? 201 : 200).send(area);
    },
  );

  app.get(
    '/v1/areas/:code',
    {
      onRequest: app.requireRole('admin', 'analyst'),
      schema: {
        operationId: 'getArea',
        tags: ['Areas'],
        summary: 'Read an area and its population figures',
        description: 'For admins and analysts. 404 when the area has not been registered.',
        security: [{ bearerAuth: [] }],
        params: AreaParams,
        response: { 200: jsonResponse('The area and every population year.', Type.Ref('Area')), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getArea(app.db, request.params.code),
  );
};

export default areaRoutes;
