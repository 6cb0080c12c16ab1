import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../plugins/auth.js';
import { ScopeQueryProperties } from '../schema/api/analytics.js';
import { errorResponses } from '../schema/api/common.js';
import { computeOverlaps } from '../services/aggregates/overlaps.js';
import type { AnalyticsRoutesOptions } from './aggregates.js';

const Value = { value: Type.Union([Type.Integer(), Type.Null()]), status: Type.String({ enum: ['ok', 'suppressed'] }) };

const overlapRoutes: FastifyPluginAsyncTypebox<AnalyticsRoutesOptions> = async (app, options) => {
  app.get(
    '/v1/overlaps',
    {
      onRequest: app.requireRole('analyst', 'admin'),
      schema: {
        operationId: 'getOverlaps',
        tags: ['Analytics'],
        summary: 'People seen by one, two, three or more services; the service-pair matrix; onward referrals found or not',
        description:
          'People are de-duplicated across services by linkage. An onward referral is `found` when the same person has a referral at a receiving service (that service, or one of that type) within 183 days after it, `not_found` otherwise (unmet need or a lost referral), and `untraceable` when the referring record has no linkage key.',
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(ScopeQueryProperties),
        response: {
          200: Type.Object({
            period: Type.Ref('Scope'),
            unit: Type.String(),
            people: Type.Object(Value),
            byServiceCount: Type.Array(Type.Object({ services: Type.String({ enum: ['1', '2', '3', '4+'] }), ...Value })),
            services: Type.Array(Type.Object({ service: Type.String(), ...Value })),
            pairs: Type.Array(Type.Object({ a: Type.String(), b: Type.String(), ...Value })),
            onwardReferrals: Type.Object({
              unit: Type.String(),
              windowDays: Type.Integer(),
              cells: Type.Array(Type.Object({ serviceType: Type.String(), outcome: Type.String({ enum: ['found', 'not_found', 'untraceable'] }), ...Value })),
            }),
            disclosure: Type.Ref('Disclosure'),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => computeOverlaps(app.db, { ...request.query, exact: principalOf(request).role === 'admin', threshold: options.suppressBelow }),
  );
};

export default overlapRoutes;
