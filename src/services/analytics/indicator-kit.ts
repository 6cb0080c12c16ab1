/**
 * What every family of indicators is built from (indicators.ts holds the registry): a measure (a
 * count with its cell key, over some set of records), and an indicator's declaration over measures
 * by name, with the disclosure relations suppression derives its subtractions from.
 */
import { sql, type SQL } from 'drizzle-orm';
import { fieldSql } from '../../schema/dataset/columns.js';
import { moduleFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import { literal } from './dimensions.js';

/**
 * A count and the sum of the record keys behind it (its cell key, cell-key.ts). A sum of units per
 * record (children, perpetrators) counts each unit with its record's key.
 */
export interface Measure {
  count: SQL;
  key: SQL;
}

export function countWhere(condition: SQL): Measure {
  return { count: sql`(count(*) filter (where ${condition}))::int`, key: sql`sum(r.record_key) filter (where ${condition})` };
}

export function sumOf(units: SQL): Measure {
  return { count: sql`(coalesce(sum(${units}), 0))::int`, key: sql`sum(r.record_key::bigint * ${units})` };
}

export function inCodes(column: SQL, codes: readonly string[]): SQL {
  return sql`${column} in (${sql.join(codes.map(literal), sql`, `)})`;
}

/**
 * The record carries the service module (sanctuary, court…): any of its fields is stored. A module
 * is given whole (its required fields with it), so this is "the service worked on it".
 */
export function moduleGiven(module: string): SQL {
  const definition = moduleFields.find((m) => m.name === module);
  if (!definition?.fields?.length) throw new Error(`no service module ${module}`);
  return sql`(${sql.join(
    definition.fields.map((f) => sql`${fieldSql([module, f.name])} is not null`),
    sql` or `,
  )})`;
}

/** Why an indicator has no value though nothing was suppressed (status `not_available`). */
export type NotAvailableReason = 'no_denominator' | 'no_population' | 'not_collected' | 'service_type_not_in_scope';

export type CountUnit = 'referrals' | 'people' | 'children' | 'perpetrators' | 'onward referrals';

/**
 * One indicator as declared, over measures named `M`. What suppression needs to know is declared
 * here and nowhere else:
 * - a count names the count it is a part of (`partOf`: the referrals, the sanctuary referrals, the
 *   refuge residents…; null for a sum of units such as children, which is part of nothing), so that
 *   the total − it is protected; counts that never overlap (the intake statuses) share a
 *   `disjointGroup`, so the total − any two or three of them is protected too;
 * - a rate's numerator is always part of its denominator, and its denominator part of `within`
 *   (the referrals unless it says otherwise: the closures, the convictions…), so both complements
 *   are protected without saying; a rate whose denominator is the known answers of a field whose
 *   not-known share is published names that field (`knownAnswersOf`), so the prefer-not-to-say rest
 *   is protected too;
 * - a rate per population says which count its numerator is a part of.
 * Containment is transitive (convictions within finalised cases within referrals), and every
 * indicator publishing a measure is a way to read it: `deriveDifferences` (indicators.ts) covers both.
 */
export type IndicatorDefinition<M extends string = string> = {
  id: string;
  label: string;
  definition: string;
  numerator: M;
} & (
  | {
      kind: 'count';
      unit: CountUnit;
      partOf: M | null;
      disjointGroup?: string;
      /** A sum of units with at least one in every referral this measure counts: the units beyond the first follow by subtraction. */
      noFewerThan?: M;
    }
  | { kind: 'rate'; denominator: M; within: M; knownAnswersOf: FieldDefinition | null; notAvailable?: NotAvailableReason }
  | { kind: 'perPopulation'; unit: string; per: number; population: number | null; partOf: M | null; notAvailable?: NotAvailableReason }
);

/** A count indicator (see `IndicatorDefinition`). */
export function countIndicator<M extends string>(
  id: string,
  label: string,
  unit: CountUnit,
  numerator: M,
  partOf: M | null,
  definition: string,
  options: { noFewerThan?: M; disjointGroup?: string } = {},
): IndicatorDefinition<M> {
  return { kind: 'count', id, label, unit, numerator, partOf, definition, ...options };
}

/** A rate indicator (see `IndicatorDefinition`); `within` defaults to the referrals. */
export function rateIndicator<M extends string>(
  id: string,
  label: string,
  numerator: M,
  denominator: M,
  definition: string,
  options: { within?: M; knownAnswersOf?: FieldDefinition | null; notAvailable?: NotAvailableReason } = {},
): IndicatorDefinition<M> {
  return {
    kind: 'rate',
    id,
    label,
    numerator,
    denominator,
    within: options.within ?? ('referrals' as M),
    knownAnswersOf: options.knownAnswersOf ?? null,
    definition,
    ...(options.notAvailable ? { notAvailable: options.notAvailable } : {}),
  };
}
