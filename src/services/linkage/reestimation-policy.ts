/**
 * When to re-estimate the linkage model (EM) without being asked: a pure decision from what the
 * model in force was trained on and what the data is now.
 *
 * Contract (the background linkage worker calls it before a full relink):
 * - `model.trainedOnRecords`: the records the model in force was estimated on
 *   (`linkage_models.trained_on_records`); `model.trainedAt`: when (`linkage_models.created_at`,
 *   which a re-estimation of the same version resets), or null when no model is stored and the
 *   default is in force (activeModel's DEFAULT_MODEL, whose trainedOnRecords is the data size its
 *   prior assumes, not data it has seen).
 * - `data.linkableRecords`: current records with a linkage key, as the relink would load them;
 *   `data.now`: the clock; `data.changedSinceTraining`: whether any return was accepted or
 *   superseded since `trainedAt` (when the caller does not know, a record count different from
 *   `trainedOnRecords` stands for it, which misses a resubmission of as many records).
 * - Returns `estimate` (run the relink with `estimate: true`) and why, first that applies:
 *   `too_few` (fewer than MIN_RECORDS_FOR_ESTIMATION linkable records: EM would fall back to the
 *   defaults anyway), `untrained` (the default model is in force and there is enough data),
 *   `grown` (the records have grown by `growthRatio` or more since training), `scheduled` (the
 *   model is `maxAgeDays` old or more and the data changed since), else `current`.
 * - Deterministic, no I/O, no clock of its own; never throws on odd input (a trainedAt after
 *   `now` counts as age 0, a non-positive trainedOnRecords as untrained).
 *
 * Why these defaults: λ is rescaled to the data size at every match (relink's scaleModel), so
 * growth alone does not stale the prior; what growth stales is m and u, learnt from a population
 * of which a quarter more records means at least a fifth was never seen (new services, new areas
 * with their own attribute recording). A full relink with EM is about half a minute at 110,000
 * records (bench/README.md); re-estimating at every 25% of growth is about 30 re-estimations from
 * a thousand records to a million, costing together about five full relinks at the final size (a
 * geometric series of ratio 1 / 1.25). The schedule catches drift that does not change the count
 * (resubmissions, a service recording an attribute differently), and needs a change so an idle
 * system does not re-estimate the same data every month.
 */
import { MIN_RECORDS_FOR_ESTIMATION } from './relink.js';

export interface TrainedModel {
  trainedOnRecords: number;
  /** Null: no estimated model is stored (the default is in force). */
  trainedAt: Date | null;
}

export interface CurrentData {
  linkableRecords: number;
  now: Date;
  /** Returns accepted or superseded since the model was trained; unknown when absent. */
  changedSinceTraining?: boolean;
}

export interface ReestimationSettings {
  /** Re-estimate once the records have grown by this share of trainedOnRecords (0.25 unless told). */
  growthRatio?: number;
  /** Re-estimate a model this many days old when the data changed since (30 unless told). */
  maxAgeDays?: number;
  /** Fewer linkable records than this: never (MIN_RECORDS_FOR_ESTIMATION unless told). */
  minRecords?: number;
}

export type ReestimationReason = 'too_few' | 'untrained' | 'grown' | 'scheduled' | 'current';

export interface ReestimationDecision {
  estimate: boolean;
  reason: ReestimationReason;
}

export const DEFAULT_GROWTH_RATIO = 0.25;
export const DEFAULT_MAX_AGE_DAYS = 30;

const DAY_MS = 86_400_000;

export function decideReestimation(model: TrainedModel, data: CurrentData, settings: ReestimationSettings = {}): ReestimationDecision {
  // Read at the call, not at load: relink.ts may import this file, and a cycle's bindings are
  // not yet initialised while the modules load.
  const minRecords = settings.minRecords ?? MIN_RECORDS_FOR_ESTIMATION;
  const growthRatio = settings.growthRatio ?? DEFAULT_GROWTH_RATIO;
  const maxAgeDays = settings.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;

  if (!(data.linkableRecords >= minRecords)) return { estimate: false, reason: 'too_few' };
  if (model.trainedAt === null || !(model.trainedOnRecords > 0)) return { estimate: true, reason: 'untrained' };
  if (data.linkableRecords >= model.trainedOnRecords * (1 + growthRatio)) return { estimate: true, reason: 'grown' };
  const ageDays = Math.max(0, data.now.getTime() - model.trainedAt.getTime()) / DAY_MS;
  const changed = data.changedSinceTraining ?? data.linkableRecords !== model.trainedOnRecords;
  if (ageDays >= maxAgeDays && changed) return { estimate: true, reason: 'scheduled' };
  return { estimate: false, reason: 'current' };
}
