import { Type } from 'typebox';
import { ProblemSchema } from './common.js';

/**
 * A problem a job ended with: the problem document the submission would have answered, written
 * when the job ended, so without a request id (`requestId`, `instance` may be absent).
 */
const JobProblemSchema = Type.Object(
  { ...ProblemSchema.properties, instance: Type.Optional(ProblemSchema.properties.instance), requestId: Type.Optional(ProblemSchema.properties.requestId) },
  { description: 'RFC 9457 problem details of a job that failed or whose return was rejected.' },
);

export const JobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.String({ enum: ['submit-return', 'validate-return'] }),
    status: Type.String({ enum: ['queued', 'running', 'succeeded', 'failed'] }),
    service: Type.Union([Type.String(), Type.Null()]),
    period: Type.Union([Type.String(), Type.Null()]),
    progress: Type.Object({
      recordsRead: Type.Integer({ minimum: 0 }),
      fraction: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'Share of the body read so far; null when not known.' }),
    }),
    result: Type.Union(
      [
        Type.Object({
          status: Type.Integer({ description: 'The HTTP status the submission would have answered with: 201, 200 (dry run), 409, 422…' }),
          // oneOf, not anyOf: the three are told apart by their required properties.
          body: Type.Unsafe<Record<string, unknown>>({
            oneOf: [Type.Ref('Return'), Type.Ref('DryRunResult'), JobProblemSchema],
            description: 'What the submission would have answered: the stored Return (201), a DryRunResult (200, a dry run) or a problem document (4xx, 5xx).',
          }),
        }),
        Type.Null(),
      ],
      { description: 'Set when the job has ended.' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'Job', description: 'Background processing of a large return: poll until status is succeeded or failed.' },
);

export const JobIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
