import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { QUARTER_PATTERN } from '../lib/periods.js';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, ServiceIdSchema } from '../schema/api/common.js';
import { recordAuditEvent } from '../services/audit.js';
import { explainPerson } from '../services/linkage/explain.js';
import { activeModel, relinkAll, type LinkageSettings } from '../services/linkage/relink.js';

export interface LinkageRoutesOptions {
  linkageSettings: LinkageSettings;
}

const Levels = Type.Record(Type.String(), Type.String());

const linkageRoutes: FastifyPluginAsyncTypebox<LinkageRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/linkage/relink',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'relinkPersons',
        tags: ['Linkage'],
        summary: 'Re-match every current record into persons, optionally re-estimating the model (EM)',
        description: 'Persons are kept current incrementally as returns arrive; this recomputes them all, e.g. after changing VAWG_MATCH_THRESHOLD.',
        security: [{ bearerAuth: [] }],
        body: Type.Object(
          { estimate: Type.Optional(Type.Boolean({ default: false, description: 'Re-estimate m and u probabilities from the data first.' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            records: Type.Integer(),
            modelVersion: Type.String(),
            estimated: Type.Boolean({ description: 'Whether a new model was estimated (EM needs at least 1,000 records).' }),
            candidatePairs: Type.Integer(),
            linkedPairs: Type.Integer(),
            clusters: Type.Integer(),
            refusedMerges: Type.Integer(),
          }),
          ...errorResponses(400, 401, 403, 415, 422),
        },
      },
    },
    async (request) => {
      // Bodies are not filled with defaults (see app.ts), so the documented default is applied here.
      const stats = await relinkAll(app.db, { settings: options.linkageSettings, estimate: request.body.estimate ?? false });
      request.log.info({ linkage: stats }, 'persons relinked');
      return stats;
    },
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
        querystring: Type.Object({
          service: ServiceIdSchema,
          period: Type.String({ pattern: QUARTER_PATTERN }),
          referralId: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        response: {
          200: Type.Object({
            personId: Type.Union([Type.Integer(), Type.Null()]),
            linked: Type.Boolean(),
            modelVersion: Type.String(),
            records: Type.Array(
              Type.Object({ recordId: Type.Integer(), service: Type.String(), period: Type.String(), referralId: Type.String(), referralDate: Type.String() }),
            ),
            links: Type.Array(
              Type.Object({ recordA: Type.Integer(), recordB: Type.Integer(), weight: Type.Number(), levels: Levels, modelVersion: Type.String() }),
            ),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const person = await explainPerson(app.db, request.query);
      // Record-level data: the read is audited by person (or by record when unlinked), never by name or key.
      await recordAuditEvent(app.db, {
        action: 'linkage.persons_read',
        principal: principalOf(request),
        outcome: 'success',
        resourceType: person.personId === null ? 'record' : 'person',
        resourceId: String(person.personId ?? person.records[0]?.recordId ?? ''),
        detail: { service: request.query.service, period: request.query.period, records: person.records.length },
        requestId: request.id,
      });
      return person;
    },
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
        response: {
          200: Type.Object({ version: Type.String(), threshold: Type.Number(), model: Type.Object({}, { additionalProperties: true }) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async () => {
      const { version, model } = await activeModel(app.db);
      return { version, threshold: options.linkageSettings.threshold, model: model as unknown as Record<string, unknown> };
    },
  );
};

export default linkageRoutes;
