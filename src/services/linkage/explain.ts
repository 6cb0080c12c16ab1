/** Admin-only: the records of one person and the match weights that joined them. */
import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { personLinks, records, returns } from '../../db/tables.js';
import { problem } from '../../lib/problem.js';
import type { Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import { activeModel } from './active-model.js';

export interface RecordName {
  service: string;
  period: string;
  referralId: string;
}

export interface ReadPersonParams extends RecordName {
  principal: Principal;
  requestId?: string;
}

/**
 * The person of a record, for the admin route. Record-level data: the read is audited by person
 * (or by record when unlinked), never by name or key.
 */
export async function readPerson(db: Database, params: ReadPersonParams) {
  const person = await explainPerson(db, params);
  await recordAuditEvent(db, {
    action: 'linkage.persons_read',
    principal: params.principal,
    outcome: 'success',
    resourceType: person.personId === null ? 'record' : 'person',
    resourceId: String(person.personId ?? person.records[0]?.recordId ?? ''),
    detail: { service: params.service, period: params.period, records: person.records.length },
    ...(params.requestId ? { requestId: params.requestId } : {}),
  });
  return person;
}

export async function explainPerson(db: Database, params: RecordName) {
  const [found] = await db
    .select({ id: records.id, personId: records.personId })
    .from(records)
    .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
    .where(and(eq(returns.serviceId, params.service), eq(returns.period, params.period), eq(records.referralId, params.referralId)));
  if (!found) throw problem(404, 'notFound', `no current record ${params.referralId} of ${params.service} in ${params.period}`);
  const personId = found.personId;
  const members = await db
    .select({ id: records.id, service: returns.serviceId, period: returns.period, referralId: records.referralId, referralDate: records.referralDate })
    .from(records)
    .innerJoin(returns, and(eq(returns.id, records.returnId), isNull(returns.supersededAt)))
    .where(personId === null ? eq(records.id, found.id) : eq(records.personId, personId))
    .orderBy(asc(records.referralDate), asc(records.id));
  const ids = members.map((m) => m.id);
  const links = await db
    .select()
    .from(personLinks)
    .where(or(inArray(personLinks.recordA, ids), inArray(personLinks.recordB, ids)));
  const model = await activeModel(db);
  return {
    personId,
    linked: personId !== null,
    modelVersion: model.version,
    records: members.map((m) => ({ recordId: m.id, service: m.service, period: m.period, referralId: m.referralId, referralDate: m.referralDate })),
    links: links.map((l) => ({
      recordA: l.recordA,
      recordB: l.recordB,
      weight: l.weight,
      levels: l.levels as Record<string, string>,
      modelVersion: l.modelVersion,
    })),
  };
}
