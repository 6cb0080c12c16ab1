import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { ErasureQuery, ReferralErasureSchema, ReferralExportSchema, ReferralParams } from '../schema/api/referrals.js';
import type { LinkageSettings } from '../services/linkage/relink.js';
import { eraseReferral, type ErasureReason } from '../services/referrals/erase-referral.js';
import { exportReferral } from '../services/referrals/export-referral.js';

export interface ReferralRouteOptions {
  linkageSecret: string;
  linkageSettings: LinkageSettings;
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

  app.delete(
    '/v1/services/:id/referrals/:referralId',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'eraseReferral',
        tags: ['Returns'],
        summary: 'Erase one referral from every version: its records, updates, tokens and person links (right to erasure)',
        description:
          'For an erasure (UK GDPR Art. 17), a correction that cannot wait for a new version, or a legal obligation: deletes every stored version of the record the service sent under this `referralId`, ' +
          'every later update naming it, its linkage tokens, its person links and its place in analytics, in one transaction, and matches the people it was linked with again without it. ' +
          'Each return keeps its `recordCount`; the audit log keeps a tombstone (`referral.erased`, the reason and the counts, the referral named by a keyed hash). Providers can erase referrals of their own services only. ' +
          'Backups still hold it until they expire (docs/operations.md).',
        security: [{ bearerAuth: [] }],
        params: ReferralParams,
        querystring: ErasureQuery,
        response: {
          200: jsonResponse('What was erased.', ReferralErasureSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      eraseReferral(app.db, {
        principal: principalOf(request),
        serviceId: request.params.id,
        referralId: request.params.referralId,
        reason: request.query.reason as ErasureReason,
        linkageSecret: options.linkageSecret,
        settings: options.linkageSettings,
        requestId: request.id,
      }),
  );
};

export default referralRoutes;
