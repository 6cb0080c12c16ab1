import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { CreateServiceSchema, ScheduleSchema, ServiceIdParams, ServiceListSchema } from '../schema/api/services.js';
import { createService, listServices, setSchedule } from '../services/service-registry.js';
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
        description:
          'Admin only. The id is a slug chosen once (`col-vva`); a service with the same id answers 409. `expectedFrom`, `expectedUntil` and `deadlineDays` set the reporting schedule completeness is measured against.',
        security: [{ bearerAuth: [] }],
        body: CreateServiceSchema,
        response: { 201: jsonResponse('Registered.', Type.Ref('Service')), ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
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
        description: 'Every registered service with its type, area and reporting schedule, for admins and analysts.',
        security: [{ bearerAuth: [] }],
        response: { 200: jsonResponse('Every registered service, in the order of their ids.', ServiceListSchema), ...errorResponses(401, 403) },
      },
    },
    async () => listServices(app.db),
  );

  app.put(
    '/v1/services/:id/schedule',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'setServiceSchedule',
        tags: ['Services'],
        summary: 'Set which quarters a service is expected to submit returns for, and their deadline',
        description:
          'A return is expected for every quarter from `expectedFrom` to `expectedUntil` (inclusive; null: no end; `expectedFrom` null: no schedule, so completeness infers the quarters expected from the service’s first return onwards and says so with `schedule.basis: inferred`; to say a service has stopped, set `expectedUntil`). ' +
          'Each is due by the end (UTC) of the day `deadlineDays` after its quarter ends. `GET /v1/completeness` reports each quarter on time, late, missing or due from this. ' +
          'The schedule is replaced whole. Audited as `service.schedule_set`.',
        security: [{ bearerAuth: [] }],
        params: ServiceIdParams,
        body: ScheduleSchema,
        response: { 200: jsonResponse('The service with its new schedule.', Type.Ref('Service')), ...errorResponses(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request) => setSchedule(app.db, { id: request.params.id, schedule: request.body, principal: principalOf(request), requestId: request.id }),
  );
};

export default serviceRoutes;
