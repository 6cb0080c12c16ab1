/**
 * One referral, everything stored about it, for a subject access request (UK GDPR Art. 15): every
 * version of the record a service sent under this `referralId` (current and superseded), the later
 * updates that named it, and who has read it. Record-level data: the read itself is audited. The
 * audit log names the referral only by a keyed hash of its service and id, so the log holds no
 * reference a reader could take back to a case file.
 */
import { and, asc, desc, eq, inArray, or } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { auditEvents, recordUpdates, records, returns, services } from '../../db/tables.js';
import { problem } from '../../lib/problem.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { createComponentTokenizer } from '../linkage/tokens.js';
import { rowToRecord } from '../returns/record-rows.js';

export interface ReferralParams {
  principal: Principal;
  serviceId: string;
  referralId: string;
  linkageSecret: string;
  requestId?: string;
}

/** How the audit log names a referral: stable for one service and id, meaningless without the secret. */
export function referralAuditId(linkageSecret: string, serviceId: string, referralId: string): string {
  return createComponentTokenizer(linkageSecret)('referral', `${serviceId}\u0000${referralId}`);
}

const versionStatus = (supersededAt: Date | null) => (supersededAt === null ? 'current' : 'superseded');

export async function exportReferral(db: Database, params: ReferralParams) {
  const [service] = await db.select({ id: services.id }).from(services).where(eq(services.id, params.serviceId));
  if (!service) throw problem(404, 'notFound', `no service ${params.serviceId}`);
  assertServiceAccess(params.principal, params.serviceId);

  const stored = await db
    .select({
      record: records,
      returnId: returns.id,
      period: returns.period,
      version: returns.version,
      receivedAt: returns.receivedAt,
      supersededAt: returns.supersededAt,
    })
    .from(records)
    .innerJoin(returns, eq(returns.id, records.returnId))
    .where(and(eq(returns.serviceId, params.serviceId), eq(records.referralId, params.referralId)))
    .orderBy(asc(returns.period), asc(returns.version));
  const updates = await db
    .select({
      update: recordUpdates,
      returnId: returns.id,
      period: returns.period,
      version: returns.version,
      receivedAt: returns.receivedAt,
      supersededAt: returns.supersededAt,
    })
    .from(recordUpdates)
    .innerJoin(returns, eq(returns.id, recordUpdates.returnId))
    .where(and(eq(returns.serviceId, params.serviceId), eq(recordUpdates.referralId, params.referralId)))
    .orderBy(asc(returns.period), asc(returns.version), asc(recordUpdates.position));
  // The id is the client's: never named back, so a probe learns only that nothing is held.
  if (stored.length === 0 && updates.length === 0) throw problem(404, 'notFound', `service ${params.serviceId} holds no referral with this id`);

  const auditId = referralAuditId(params.linkageSecret, params.serviceId, params.referralId);
  await recordAuditEvent(db, {
    action: 'referral.read',
    principal: params.principal,
    outcome: 'success',
    resourceType: 'referral',
    resourceId: auditId,
    detail: { service: params.serviceId, versions: stored.length, updates: updates.length },
    ...(params.requestId ? { requestId: params.requestId } : {}),
  });
  // Who has seen it: reads of this referral, and of any version of a return that held it.
  const returnIds = [...new Set([...stored, ...updates].map((row) => row.returnId))];
  const reads = await db
    .select({ at: auditEvents.at, action: auditEvents.action, apiKeyId: auditEvents.apiKeyId, role: auditEvents.role })
    .from(auditEvents)
    .where(
      or(
        and(eq(auditEvents.resourceType, 'referral'), eq(auditEvents.resourceId, auditId)),
        and(inArray(auditEvents.action, ['return.read', 'return.diff_read']), inArray(auditEvents.resourceId, returnIds)),
      ),
    )
    .orderBy(desc(auditEvents.id));

  return {
    service: params.serviceId,
    referralId: params.referralId,
    versions: stored.map((row) => ({
      returnId: row.returnId,
      period: row.period,
      version: row.version,
      status: versionStatus(row.supersededAt),
      receivedAt: row.receivedAt.toISOString(),
      record: rowToRecord(row.record),
    })),
    updates: updates.map((row) => ({
      returnId: row.returnId,
      period: row.period,
      version: row.version,
      status: versionStatus(row.supersededAt),
      receivedAt: row.receivedAt.toISOString(),
      update: { referralId: row.update.referralId, referralPeriod: row.update.referralPeriod, ...(row.update.patch as Record<string, unknown>) },
    })),
    reads: reads.map((read) => ({ at: read.at.toISOString(), action: read.action, apiKeyId: read.apiKeyId, role: read.role })),
  };
}
