import { Type, type Static } from 'typebox';
import { AreaCodeSchema } from './common.js';

const Count = Type.Integer({ minimum: 0 });

export const PopulationSchema = Type.Object(
  {
    year: Type.Integer({ minimum: 1990, maximum: 2100 }),
    total: Count,
    adultFemale: Type.Optional(Type.Integer({ minimum: 0, description: 'Females aged 16 and over (SafeLives Marac denominator).' })),
    byGroup: Type.Optional(
      Type.Object(
        {
          sex: Type.Optional(Type.Record(Type.String(), Count)),
          ageBand: Type.Optional(Type.Record(Type.String(), Count)),
          ethnicityGroup: Type.Optional(Type.Record(Type.String(), Count)),
          minoritisedEthnicity: Type.Optional(
            Type.Record(Type.String(), Count, {
              description: 'By `yes` (any ethnic group but White British) and `no` (White British): the definition `minoritisedEthnicityRate` counts.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'Population counts by `sex`, `ageBand`, `ethnicityGroup` and `minoritisedEthnicity` codes, to compare referrals with the population.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PutAreaSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    population: Type.Array(PopulationSchema, { maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type PutArea = Static<typeof PutAreaSchema>;

export const AreaParams = Type.Object({ code: AreaCodeSchema });

export const AreaSchema = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    population: Type.Array(PopulationSchema),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Area' },
);
