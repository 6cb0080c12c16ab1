import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { LinkageModelSchema, LinkageStatusSchema, PersonQuery, PersonSchema, RelinkBody, RelinkResultSchema } from '../schema/api/linkage.js';
import { readLinkageModel } from '../services/linkage/active-model.js';
import { readPerson } from '../services/linkage/explain.js';
import { readLinkageStatus, relinkEverything } from '../services/linkage/linkage-queue.js';
import type { LinkageSettings } from '../services/linkage/relink.js';

export interface LinkageRoutesOptions {
  linkageSettings: LinkageSettings;
}

const linkageRoutes: FastifyPluginAsyncTypebox<LinkageRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/linkage/relink',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'relinkPersons',
        tags: ['Linkage'],
        summary: 'Re-match every current record into persons, optionally re-estimating the model (EM)',
        description:
          'Persons are kept current incrementally as returns arrive; this recomputes them all, e.g. after changing VAWG_MATCH_THRESHOLD. Victims and alleged perpetrators are linked apart (`perpetrators`), never with each other.',
        security: [{ bearerAuth: [] }],
        body: RelinkBody,
        response: { 200: jsonResponse('Relinked: what was compared, linked and clustered.', RelinkResultSchema), ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request) =>
      relinkEverything(app.db, {
        settings: options.linkageSettings,
        ...(request.body.estimate !== undefined ? { estimate: request.body.estimate } : {}),
        log: request.log,
      }),
  );

  app.get(
    '/v1/linkage/status',
    {
      onRequest: app.requireRole('admin', 'analyst'),
      schema: {
        operationId: 'getLinkageStatus',
        tags: ['Linkage'],
        summary: 'How current persons are: returns waiting for linkage, failures, the last run and the model in force',
        description:
          'Linkage runs after a return is answered (VAWG_LINKAGE_MODE `background`), in a queue every instance works through one return at a time. ' +
          'Counts are of returns, never of people.',
        security: [{ bearerAuth: [] }],
        response: { 200: jsonResponse('The state of linkage.', LinkageStatusSchema), ...errorResponses(401, 403) },
      },
    },
    async () => readLinkageStatus(app.db, app.linkage.mode),
  );

  app.get(
    '/v1/linkage/persons',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'explainPerson',
        tags: ['Linkage'],
        summary: 'The person a record belongs to: its records and the match weights that joined them (admin only)',
        description:
          'Names a record by `service`, `period` and `referralId`, and answers with every record linked to the same person and the comparison levels and weights of each link. Every read is audited. 404 when no current record matches.',
        security: [{ bearerAuth: [] }],
        querystring: PersonQuery,
        response: {
          200: jsonResponse("The record's person: every record linked to it and the links between them.", PersonSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => readPerson(app.db, { ...request.query, principal: principalOf(request), requestId: request.id }),
  );

  app.get(
    '/v1/linkage/model',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'getLinkageModel',
        tags: ['Linkage'],
        summary: 'The Fellegi–Sunter model in use: m and u probabilities per comparison level',
        description: 'Admin only. The model version, the match threshold in force, and the m and u probabilities behind every match weight.',
        security: [{ bearerAuth: [] }],
        response: { 200: jsonResponse('The model in use and the match threshold in force.', LinkageModelSchema), ...errorResponses(401, 403) },
      },
    },
    async () => readLinkageModel(app.db, options.linkageSettings),
  );
};

export default linkageRoutes;
