/** API keys: created once and shown once, stored only as SHA-256 hashes, revocable. */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { apiKeys, services } from '../db/tables.js';
import { problem } from '../lib/problem.js';
import type { CreateApiKey } from '../schema/api/api-keys.js';
import { recordAuditEvent } from './audit.js';

export type Role = 'admin' | 'provider' | 'analyst';

export interface Principal {
  keyId: string;
  role: Role;
  /** Services a provider key is bound to; empty for other roles. */
  services: string[];
}

/** Providers see and submit only the services their key is bound to; admins see everything. */
export function assertServiceAccess(principal: Principal, serviceId: string): void {
  if (principal.role === 'provider' && !principal.services.includes(serviceId)) {
    // The id may come unchecked from a return's body: it is named back only when shaped like a service id.
    const named = /^(?=.{2,64}$)[a-z0-9]+(?:-[a-z0-9]+)*$/.test(serviceId) ? ` ${serviceId}` : ' named';
    throw problem(403, 'forbidden', `this API key may not submit or read returns for the service${named}`);
  }
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function generateApiKey(): string {
  return `vawg_${randomBytes(32).toString('base64url')}`;
}

export async function findPrincipal(db: Database, key: string): Promise<Principal | null> {
  const [row] = await db
    .select({ id: apiKeys.id, role: apiKeys.role, services: apiKeys.services })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)));
  return row ? { keyId: row.id, role: row.role as Role, services: row.services } : null;
}

/** Who is managing keys, for the audit log; absent for keys the system makes itself. */
export interface KeyManagementContext {
  principal: Principal;
  requestId?: string;
}

export async function createApiKey(db: Database, input: CreateApiKey, context?: KeyManagementContext) {
  const bound = input.services ?? [];
  if (input.role === 'provider' && bound.length === 0) {
    throw problem(422, 'validation', 'a provider key must be bound to at least one service', [
      { pointer: '/services', code: 'required', detail: 'list the services this provider may submit for' },
    ]);
  }
  if (input.role !== 'provider' && bound.length > 0) {
    throw problem(422, 'validation', `an ${input.role} key is not bound to services`, [
      { pointer: '/services', code: 'not_allowed', detail: 'only provider keys are bound to services' },
    ]);
  }
  if (bound.length > 0) {
    const known = new Set((await db.select({ id: services.id }).from(services).where(inArray(services.id, bound))).map((s) => s.id));
    const unknown = bound.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw problem(
        422,
        'validation',
        'some services are not registered',
        unknown.map((id) => ({ pointer: `/services/${bound.indexOf(id)}`, code: 'unknown_service', detail: `service ${id} is not registered` })),
      );
    }
  }
  const key = generateApiKey();
  // The key and its audit event commit together; the event holds neither the key nor its hash.
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(apiKeys)
      .values({ label: input.label, role: input.role, services: bound, keyHash: hashApiKey(key) })
      .returning();
    if (context) await auditKeyChange(tx, 'api_key.created', created!, context);
    return created!;
  });
  return { id: row.id, key, role: row.role, services: row.services, label: row.label, createdAt: row.createdAt.toISOString() };
}

export async function revokeApiKey(db: Database, id: string, context?: KeyManagementContext): Promise<void> {
  await db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    if (!revoked) throw problem(404, 'notFound', `no active API key ${id}`);
    if (context) await auditKeyChange(tx, 'api_key.revoked', revoked, context);
  });
}

async function auditKeyChange(
  db: Pick<Database, 'insert'>,
  action: 'api_key.created' | 'api_key.revoked',
  row: typeof apiKeys.$inferSelect,
  context: KeyManagementContext,
): Promise<void> {
  await recordAuditEvent(db, {
    action,
    principal: context.principal,
    outcome: 'success',
    resourceType: 'api_key',
    resourceId: row.id,
    detail: { role: row.role, services: row.services, label: row.label },
    ...(context.requestId ? { requestId: context.requestId } : {}),
  });
}

/** Makes the configured bootstrap key a live admin key (re-activating it if it was revoked). */
export async function ensureAdminKey(db: Database, key: string, label = 'bootstrap admin (VAWG_BOOTSTRAP_ADMIN_KEY)'): Promise<void> {
  await db
    .insert(apiKeys)
    .values({ label, role: 'admin', keyHash: hashApiKey(key) })
    .onConflictDoUpdate({ target: apiKeys.keyHash, set: { role: 'admin', revokedAt: null } });
}

export async function hasActiveAdminKey(db: Database): Promise<boolean> {
  const rows = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows.length > 0;
}

/** A first admin key for the embedded mode; the caller writes it to a file, never to a log. */
export async function createFirstAdminKey(db: Database): Promise<string> {
  const key = generateApiKey();
  await ensureAdminKey(db, key, 'first admin key (embedded mode)');
  return key;
}
