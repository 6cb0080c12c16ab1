import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { ReferralExportSchema, ReferralParams } from '../schema/api/referrals.js';
import { exportReferral } from '../services/referrals/export-referral.js';

export interface ReferralRouteOptions {
  linkageSecret: string;
}

const referralRoutes: FastifyPluginAsyncTypebox<ReferralRouteOptions> = async (app, options) => {
  app.get(
    '/v1/services/:id/referrals/:referralId',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'exportReferral',
        tags: ['Returns'],
        summary: 'Everything stored about one referral: every version, its updates and who read it (subject access)',
        description:
          'For a subject access request (UK GDPR Art. 15): every stored version of the record the service sent under this `referralId`, current and superseded, ' +
          'every later update that named it, and the audit of who has read it. Providers can export referrals of their own services only. ' +
          'Record-level data: audited as `referral.read`, naming the referral by a keyed hash, never its id. Correct a referral by sending a new version of its return.',
        security: [{ bearerAuth: [] }],
        params: ReferralParams,
        response: {
          200: jsonResponse('Every stored version of the referral, its updates and its reads.', ReferralExportSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      exportReferral(app.db, {
        principal: principalOf(request),
        serviceId: request.params.id,
        referralId: request.params.referralId,
        linkageSecret: options.linkageSecret,
        requestId: request.id,
      }),
  );
};

export default referralRoutes;
