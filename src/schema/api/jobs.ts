import { Type } from 'typebox';

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
          body: Type.Object({}, { additionalProperties: true, description: 'A Return, a DryRunResult or a Problem.' }),
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
