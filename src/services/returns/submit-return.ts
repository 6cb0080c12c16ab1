/**
 * Accepts a quarterly return whole or not at all: validated in full first, then written in one
 * transaction as version N+1 of its service and period, superseding the current version.
 */
import { and, eq, inArray, isNull, max, sql } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { records, returns, services } from '../../db/tables.js';
import { problem, type FieldProblem } from '../../lib/problem.js';
import { DATASET_VERSION } from '../../schema/dataset/index.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordToRow, type DeriveTokens, type RecordInput } from './record-rows.js';
import { relinkAfterReturn, type LinkageSettings } from '../linkage/relink.js';
import { toReturnSummary } from './read-returns.js';
import { validateReturn, type ReturnEnvelope } from './validate-return.js';

/** Rows per INSERT: 35 columns × 1,000 rows stays far below PostgreSQL's 65,535 bind parameters. */
const INSERT_CHUNK = 1000;
const ANALYZE_AFTER_ROWS = 5000;

export interface SubmitReturnParams {
  principal: Principal;
  body: unknown;
  dryRun: boolean;
  deriveTokens: DeriveTokens;
  linkageSettings: LinkageSettings;
}

async function referencedServiceProblems(db: Database, envelope: ReturnEnvelope): Promise<FieldProblem[]> {
  const wanted = new Set<string>([envelope.service]);
  envelope.records.forEach((r) => (r.onwardReferrals as Array<{ service?: string }>).forEach((o) => o.service && wanted.add(o.service)));
  const known = new Set(
    (
      await db
        .select({ id: services.id })
        .from(services)
        .where(inArray(services.id, [...wanted]))
    ).map((s) => s.id),
  );
  const problems: FieldProblem[] = [];
  if (!known.has(envelope.service))
    problems.push({
      pointer: '/service',
      code: 'unknown_service',
      detail: `service ${envelope.service} is not registered (an admin registers it with POST /v1/services)`,
    });
  envelope.records.forEach((r, i) =>
    (r.onwardReferrals as Array<{ service?: string }>).forEach((o, j) => {
      if (o.service && !known.has(o.service))
        problems.push({
          pointer: `/records/${i}/onwardReferrals/${j}/service`,
          code: 'unknown_service',
          detail: `service ${o.service} is not registered; omit service and give only serviceType`,
        });
    }),
  );
  return problems;
}

async function nextVersion(db: Pick<Database, 'select'>, service: string, period: string): Promise<number> {
  const [row] = await db
    .select({ latest: max(returns.version) })
    .from(returns)
    .where(and(eq(returns.serviceId, service), eq(returns.period, period)));
  return (row?.latest ?? 0) + 1;
}

export async function submitReturn(db: Database, { principal, body, dryRun, deriveTokens, linkageSettings }: SubmitReturnParams) {
  // Authorisation comes before content: a provider learns nothing about another service's return.
  const claimed = typeof body === 'object' && body !== null ? (body as { service?: unknown }).service : undefined;
  if (typeof claimed === 'string') assertServiceAccess(principal, claimed);

  const report = validateReturn(body);
  if (report.problemCount === 0) {
    report.problems.push(...(await referencedServiceProblems(db, body as ReturnEnvelope)));
    report.problemCount = report.problems.length;
  }
  if (report.problemCount > 0) {
    const more = report.problemCount > report.problems.length ? ` (the first ${report.problems.length} are listed)` : '';
    throw problem(
      422,
      'validation',
      `the return has ${report.problemCount} problem${report.problemCount === 1 ? '' : 's'}${more}; nothing was stored`,
      report.problems,
    );
  }
  const envelope = body as ReturnEnvelope;

  if (dryRun) {
    return {
      dryRun: true as const,
      service: envelope.service,
      period: envelope.period,
      recordCount: envelope.records.length,
      wouldBeVersion: await nextVersion(db, envelope.service, envelope.period),
      warnings: report.warnings,
    };
  }

  const rows = envelope.records.map((record: RecordInput) => recordToRow(record, deriveTokens));
  const stored = await db.transaction(async (tx) => {
    // Serialises submissions for one service and period, so two racing uploads get versions N+1 and N+2.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${envelope.service}/${envelope.period}`}))`);
    const version = await nextVersion(tx, envelope.service, envelope.period);
    const superseded = await tx
      .update(returns)
      .set({ supersededAt: new Date() })
      .where(and(eq(returns.serviceId, envelope.service), eq(returns.period, envelope.period), isNull(returns.supersededAt)))
      .returning({ id: returns.id });
    const [created] = await tx
      .insert(returns)
      .values({
        serviceId: envelope.service,
        period: envelope.period,
        version,
        datasetVersion: DATASET_VERSION,
        recordCount: rows.length,
        warnings: report.warnings,
        submittedBy: principal.keyId,
      })
      .returning();
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      await tx.insert(records).values(rows.slice(start, start + INSERT_CHUNK).map((row, i) => ({ ...row, returnId: created!.id, position: start + i })));
    }
    return { created: created!, supersededId: superseded[0]?.id ?? null };
  });
  // Planner statistics after a bulk load: where autovacuum is slow or off, analytic queries would
  // otherwise plan against row counts from before the return.
  if (rows.length >= ANALYZE_AFTER_ROWS) await db.execute(sql`analyze records`);
  // Linkage runs after the return is committed: a failure there must not lose an accepted return.
  // Persons then stay as they were until the next relink, and the failure is reported to the caller.
  const linkage = await relinkAfterReturn(db, { returnId: stored.created.id, supersededReturnId: stored.supersededId, settings: linkageSettings }).then(
    (stats) => ({ ok: true as const, stats }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { summary: toReturnSummary(stored.created), linkage };
}
