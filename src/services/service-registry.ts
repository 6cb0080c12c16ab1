/** The registry of services that submit returns, and the schedule of returns each is expected to send. */
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { services } from '../db/tables.js';
import { parseQuarter } from '../lib/periods.js';
import { problem, type FieldProblem } from '../lib/problem.js';
import type { CreateService, Schedule } from '../schema/api/services.js';
import type { Principal } from './api-keys.js';
import { recordAuditEvent } from './audit.js';

type ServiceRow = typeof services.$inferSelect;

function toApi(row: ServiceRow) {
  return {
    id: row.id,
    name: row.name,
    serviceType: row.serviceType,
    area: row.area,
    schedule: { expectedFrom: row.expectedFrom, expectedUntil: row.expectedUntil, deadlineDays: row.deadlineDays },
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * What the pattern cannot say: a real financial year (`2022-24-Q1` is not), an end not before the
 * start, and no end without a start.
 */
function checkSchedule(schedule: { expectedFrom?: string | null | undefined; expectedUntil?: string | null | undefined }): void {
  const problems: FieldProblem[] = [];
  for (const name of ['expectedFrom', 'expectedUntil'] as const) {
    const value = schedule[name];
    if (value && !parseQuarter(value)) problems.push({ pointer: `/${name}`, code: 'invalid_format', detail: `${value} is not a quarter such as 2022-23-Q1` });
  }
  if (schedule.expectedUntil && !schedule.expectedFrom) {
    problems.push({ pointer: '/expectedUntil', code: 'not_allowed', detail: 'an end needs a start: give expectedFrom too' });
  } else if (schedule.expectedFrom && schedule.expectedUntil && schedule.expectedUntil < schedule.expectedFrom) {
    // Quarter ids sort chronologically as text.
    problems.push({ pointer: '/expectedUntil', code: 'out_of_range', detail: `must not be before expectedFrom (${schedule.expectedFrom})` });
  }
  if (problems.length > 0) throw problem(422, 'validation', 'the reporting schedule is invalid; nothing was changed', problems);
}

export async function createService(db: Database, input: CreateService) {
  checkSchedule(input);
  const [row] = await db.insert(services).values(input).onConflictDoNothing().returning();
  if (!row) throw problem(409, 'conflict', `service ${input.id} is already registered`);
  return toApi(row);
}

export async function listServices(db: Database) {
  const rows = await db.select().from(services).orderBy(asc(services.id));
  return { items: rows.map(toApi) };
}

export interface SetScheduleParams {
  id: string;
  schedule: Schedule;
  principal: Principal;
  requestId?: string;
}

/** Replaces the schedule whole: an omitted `expectedUntil` means no end, not "keep the old one". */
export async function setSchedule(db: Database, params: SetScheduleParams) {
  checkSchedule(params.schedule);
  const schedule = {
    expectedFrom: params.schedule.expectedFrom,
    expectedUntil: params.schedule.expectedUntil ?? null,
    deadlineDays: params.schedule.deadlineDays,
  };
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(services).where(eq(services.id, params.id)).for('update');
    if (!before) throw problem(404, 'notFound', 'no service is registered with that id');
    const [row] = await tx.update(services).set(schedule).where(eq(services.id, params.id)).returning();
    await recordAuditEvent(tx, {
      action: 'service.schedule_set',
      principal: params.principal,
      outcome: 'success',
      resourceType: 'service',
      resourceId: params.id,
      detail: { schedule, previous: toApi(before).schedule },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
    return toApi(row!);
  });
}
