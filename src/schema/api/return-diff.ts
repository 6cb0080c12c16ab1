/** Schemas of `GET /v1/returns/{id}/diff`: what changed between two versions of a return. */
import { Type } from 'typebox';
import { ReturnStatusSchema } from './returns.js';

export const ReturnDiffQuery = Type.Object({
  from: Type.Optional(
    Type.String({
      pattern: '^(?:[1-9][0-9]{0,8}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
      description: 'The version to compare from: a version number (`1`) or a return id of the same service and period. Default: the previous version.',
    }),
  ),
});

const VersionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  version: Type.Integer({ minimum: 1 }),
  status: ReturnStatusSchema,
  recordCount: Type.Integer({ minimum: 0 }),
  receivedAt: Type.String({ format: 'date-time' }),
  submittedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The API key that submitted the version.' }),
});

export const ReturnDiffSchema = Type.Object({
  service: Type.String(),
  period: Type.String(),
  from: VersionSchema,
  to: VersionSchema,
  added: Type.Array(Type.String(), { description: 'referralIds in `to` but not in `from`, in the order of `to`.' }),
  removed: Type.Array(Type.String(), { description: 'referralIds in `from` but not in `to`, in the order of `from`.' }),
  changed: Type.Array(
    Type.Object({
      referralId: Type.String(),
      fields: Type.Array(Type.String(), {
        description:
          'Dotted paths of the fields that differ, e.g. `victim.ethnicity`. Lists are compared as sets. `victim.linkage.slk581` is compared by its keyed hash and never returned.',
      }),
    }),
    { description: 'Records in both versions (matched by referralId) whose fields differ, in the order of `to`.' },
  ),
  unchanged: Type.Integer({ minimum: 0, description: 'Records in both versions with no field changed.' }),
});
