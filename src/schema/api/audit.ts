/** Schemas of `GET /v1/audit`: who did what, never a person's data. */
import { Type } from 'typebox';
import { PaginationQuery } from './common.js';

export const AuditQuery = Type.Object({
  action: Type.Optional(
    Type.String({
      pattern: '^[a-z_]+\\.[a-z_]+$',
      maxLength: 64,
      description:
        'Only events of this action: `return.submitted`, `return.rejected`, `return.read`, `return.diff_read`, `referral.read`, `referral.erased`, `retention.applied`, `linkage.persons_read`, `api_key.created`, `api_key.revoked`, `period.locked`, `period.unlocked`, `service.schedule_set`.',
    }),
  ),
  apiKeyId: Type.Optional(Type.String({ format: 'uuid', description: 'Only events done with this API key.' })),
  resourceId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Only events about this resource (a return id, a period, a service id, an API key id).' }),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this instant (ISO 8601 date-time).' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this instant (exclusive).' })),
  ...PaginationQuery,
});

export const AuditEventSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Increasing with time: events at the same instant keep their order.' }),
    at: Type.String({ format: 'date-time' }),
    apiKeyId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The API key that acted; null for the system itself.' }),
    role: Type.Union([Type.String(), Type.Null()], { description: 'The role of that key when it acted.' }),
    action: Type.String({ description: 'What was done, e.g. `return.submitted`, `return.read`, `api_key.created`, `period.locked`.' }),
    outcome: Type.String({ enum: ['success', 'failure'] }),
    resourceType: Type.Union([Type.String(), Type.Null()], { description: 'What it was done to: `return`, `person`, `api_key`, `period`, `service`.' }),
    resourceId: Type.Union([Type.String(), Type.Null()]),
    detail: Type.Object({}, { additionalProperties: true, description: 'Counts, versions, roles: never record contents, keys or linkage tokens.' }),
    requestId: Type.Union([Type.String(), Type.Null()], { description: 'The `x-request-id` of the request, to find it in the logs.' }),
  },
  { $id: 'AuditEvent', description: 'One entry of the audit log.' },
);

export const AuditListSchema = Type.Object({
  items: Type.Array(Type.Ref('AuditEvent'), { description: 'Newest first.' }),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
