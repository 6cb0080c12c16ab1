import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../plugins/auth.js';
import { errorResponses, jsonResponse } from '../schema/api/common.js';
import { JobIdParams } from '../schema/api/jobs.js';
import { getJob } from '../services/jobs.js';

const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/jobs/:id',
    {
      onRequest: app.requireRole('provider', 'admin'),
      schema: {
        operationId: 'getJob',
        tags: ['Returns'],
        summary: 'Progress and result of a large return processed in the background',
        description:
          'Returns larger than the configured size are answered with 202 and this job. Poll it: `progress` grows while it runs, and `result` holds the status and body the submission would have answered with (201 and the return, or 422 and every problem). Providers see only jobs their own key started.',
        security: [{ bearerAuth: [] }],
        params: JobIdParams,
        response: {
          200: jsonResponse('The job as it is now: its progress while it runs, its result once it has ended.', Type.Ref('Job')),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => getJob(app.db, app.jobs, principalOf(request), request.params.id),
  );
};

export default jobRoutes;
