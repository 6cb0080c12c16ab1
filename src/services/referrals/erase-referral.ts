/**
 * Erasure of one referral (UK GDPR Art. 17): every version of its record, every later update that
 * named it, its linkage tokens, person links and analytic rows, in one transaction; the people it
 * was linked with are re-matched without it. What stays: each return's `recordCount` (what the
 * service sent is still a fact) and a tombstone in the audit log naming the referral by a keyed
 * hash, with the reason and how much went, never its content.
 */
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { textArray } from '../../db/arrays.js';
import type { Database } from '../../db/connect.js';
import { jobs, recordUpdates, records, returns, services } from '../../db/tables.js';
import { problem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { LINKAGE_JOB } from '../linkage/linkage-queue.js';
import { eraseLinkedRecords } from '../linkage/record-erasure.js';
import type { LinkageSettings } from '../linkage/relink.js';
import { lockReturnVersions } from '../returns/submit-return.js';
import { referralAuditId } from './export-referral.js';

/** Why a referral was erased: codes, so the tombstone carries no words about a person. */
export const ERASURE_REASONS = ['subject_request', 'recorded_in_error', 'legal_obligation', 'other'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

export interface EraseReferralParams {
  principal: Principal;
  serviceId: string;
  referralId: string;
  reason: ErasureReason;
  linkageSecret: string;
  settings: LinkageSettings;
  requestId?: string;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

async function findReferral(tx: Tx, serviceId: string, referralId: string) {
  const held = await tx
    .select({ id: records.id, returnId: returns.id, period: returns.period })
    .from(records)
    .innerJoin(returns, eq(returns.id, records.returnId))
    .where(and(eq(returns.serviceId, serviceId), eq(records.referralId, referralId)));
  const updates = await tx
    .select({ id: recordUpdates.id, returnId: returns.id, period: returns.period })
    .from(recordUpdates)
    .innerJoin(returns, eq(returns.id, recordUpdates.returnId))
    .where(and(eq(returns.serviceId, serviceId), eq(recordUpdates.referralId, referralId)));
  return { held, updates };
}

/**
 * Whether a linkage run is still to come for any of these returns: it will count its return as it
 * is by then, so the erased records must not be taken out of the term frequencies now as well.
 */
export async function linkagePending(tx: Tx | Database, returnIds: string[]): Promise<boolean> {
  const ids = textArray(returnIds);
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, LINKAGE_JOB),
        inArray(jobs.status, ['queued', 'running', 'failed']),
        or(sql`${jobs.payload}->>'returnId' = any(${ids})`, sql`${jobs.payload}->>'supersededReturnId' = any(${ids})`),
      ),
    );
  return (row?.n ?? 0) > 0;
}

export async function eraseReferral(db: Database, params: EraseReferralParams) {
  const [service] = await db.select({ id: services.id }).from(services).where(eq(services.id, params.serviceId));
  if (!service) throw problem(404, 'notFound', `no service ${params.serviceId}`);
  assertServiceAccess(params.principal, params.serviceId);

  return db.transaction(async (tx) => {
    const before = await findReferral(tx, params.serviceId, params.referralId);
    // Every quarter holding it, locked as a submission locks it, in one order; then read again,
    // since a version accepted meanwhile may hold another copy.
    const periods = [...new Set([...before.held, ...before.updates].map((row) => row.period))].sort();
    for (const period of periods) await lockReturnVersions(tx, params.serviceId, period);
    const { held, updates } = await findReferral(tx, params.serviceId, params.referralId);
    // The id is the client's: never named back.
    if (held.length === 0 && updates.length === 0) throw problem(404, 'notFound', `service ${params.serviceId} holds no referral with this id`);

    const ids = held.map((row) => row.id);
    const exact = !(await linkagePending(tx, [...new Set([...held, ...updates].map((row) => row.returnId))]));
    const relinked = await eraseLinkedRecords(tx, {
      ids,
      exact,
      settings: params.settings,
      remove: async () => {
        if (updates.length)
          await tx.delete(recordUpdates).where(
            inArray(
              recordUpdates.id,
              updates.map((row) => row.id),
            ),
          );
        // Its state, analytic row, perpetrator keys and links go with the records.
        if (ids.length) await tx.delete(records).where(inArray(records.id, ids));
      },
    });

    const erased = { versions: held.length, updates: updates.length };
    await recordAuditEvent(tx, {
      action: 'referral.erased',
      principal: params.principal,
      outcome: 'success',
      resourceType: 'referral',
      resourceId: referralAuditId(params.linkageSecret, params.serviceId, params.referralId),
      detail: { service: params.serviceId, reason: params.reason, ...erased },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
    return { service: params.serviceId, reason: params.reason, erased, peopleRematched: relinked.seeds };
  });
}
