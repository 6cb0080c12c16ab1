import { Type, type Static } from 'typebox';
import { AreaCodeSchema, ServiceIdSchema, ServiceTypeSchema } from './common.js';

export const CreateServiceSchema = Type.Object(
  {
    id: ServiceIdSchema,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    serviceType: ServiceTypeSchema,
    area: AreaCodeSchema,
  },
  { additionalProperties: false },
);
export type CreateService = Static<typeof CreateServiceSchema>;

export const ServiceSchema = Type.Object(
  {
    id: ServiceIdSchema,
    name: Type.String(),
    serviceType: Type.String(),
    area: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Service' },
);

export const ServiceListSchema = Type.Object({ items: Type.Array(Type.Ref('Service')) });
