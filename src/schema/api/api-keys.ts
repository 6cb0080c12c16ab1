import { Type, type Static } from 'typebox';
import { RoleSchema, ServiceIdSchema } from './common.js';

export const CreateApiKeySchema = Type.Object(
  {
    role: RoleSchema,
    services: Type.Optional(
      Type.Array(ServiceIdSchema, {
        uniqueItems: true,
        maxItems: 100,
        description: 'Services a provider key may submit and read returns for (required for providers, not allowed otherwise).',
      }),
    ),
    label: Type.String({ minLength: 1, maxLength: 200, description: 'Who or what holds the key, e.g. "VVA case system". Not a person\'s name.' }),
  },
  { additionalProperties: false },
);
export type CreateApiKey = Static<typeof CreateApiKeySchema>;

export const CreatedApiKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    key: Type.String({ description: 'The key itself. Shown once: only its hash is stored.' }),
    role: RoleSchema,
    services: Type.Array(Type.String()),
    label: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'CreatedApiKey' },
);

export const ApiKeyIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
