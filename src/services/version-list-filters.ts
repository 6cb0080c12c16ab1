/**
 * The filters of a list of versioned submissions (`GET /v1/returns`, `GET /v1/count-returns`): by
 * service (a provider sees only its own), by period (a quarter or a financial year) and by status
 * (`current`: the versions that count). Both tables version per service and period alike.
 */
import { eq, inArray, isNull, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { quartersOf } from '../lib/periods.js';
import { problem } from '../lib/problem.js';
import { assertServiceAccess, type Principal } from './api-keys.js';

export interface VersionListParams {
  principal: Principal;
  service?: string | undefined;
  period?: string | undefined;
  status: string;
  limit: number;
  offset: number;
}

export function versionListFilters(columns: { serviceId: PgColumn; period: PgColumn; supersededAt: PgColumn }, params: VersionListParams): SQL[] {
  const filters: SQL[] = [];
  if (params.service) {
    assertServiceAccess(params.principal, params.service);
    filters.push(eq(columns.serviceId, params.service));
  } else if (params.principal.role === 'provider') {
    filters.push(inArray(columns.serviceId, params.principal.services));
  }
  if (params.period) {
    const quarters = quartersOf(params.period);
    // The period is not quoted back: problems never repeat what a client sent.
    if (!quarters)
      throw problem(400, 'badRequest', 'period is not a financial year or quarter', [
        { parameter: 'period', code: 'invalid_format', detail: 'use 2022-23 or 2022-23-Q1' },
      ]);
    filters.push(
      inArray(
        columns.period,
        quarters.map((q) => q.id),
      ),
    );
  }
  if (params.status === 'current') filters.push(isNull(columns.supersededAt));
  return filters;
}
