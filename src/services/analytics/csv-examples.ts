/**
 * The `text/csv` examples of the OpenAPI document, made by the same formatters the API answers
 * with: from the JSON examples where the document has them, else from a small typed sample (a
 * field the schema adds as required fails to compile here). They cannot drift from the API.
 */
import { csvText } from '../../lib/csv-response.js';
import type { Completeness } from '../../schema/api/completeness.js';
import { aggregateExamples, indicatorListExamples } from '../../schema/api/examples.js';
import type { IndicatorList } from '../../schema/api/indicators.js';
import type { Aggregate } from './aggregates.js';
import { describeDisclosureRule } from './disclosure.js';
import { tabulateAggregate, tabulateCompleteness, tabulateIndicators, tabulateOverlaps, type Names } from './csv-tables.js';
import type { Overlaps } from './overlaps.js';

const names: Names = {
  services: new Map([
    ['col-idva', 'City of London IDVA'],
    ['col-vva', 'City of London VVA'],
  ]),
  areas: new Map([['E09000001', 'City of London']]),
};

const disclosure = { applied: true, ...describeDisclosureRule(5) };

const completenessSample: Completeness = {
  period: { period: '2022-23-Q1', quarters: ['2022-23-Q1'] },
  services: [
    {
      service: 'col-idva',
      name: 'City of London IDVA',
      serviceType: 'idva',
      area: 'E09000001',
      schedule: { basis: 'schedule', expectedFrom: '2022-23-Q1', expectedUntil: null, deadlineDays: 30 },
      quarters: [
        {
          period: '2022-23-Q1',
          submitted: false,
          kind: null,
          version: null,
          receivedAt: null,
          recordCount: null,
          cellCount: null,
          status: 'ok',
          expected: true,
          deadline: '2022-07-30',
          firstReceivedAt: null,
          timeliness: 'missing',
        },
      ],
    },
    {
      service: 'col-vva',
      name: 'City of London VVA',
      serviceType: 'vva',
      area: 'E09000001',
      schedule: { basis: 'schedule', expectedFrom: '2021-22-Q1', expectedUntil: null, deadlineDays: 30 },
      quarters: [
        {
          period: '2022-23-Q1',
          submitted: true,
          kind: 'records',
          version: 2,
          receivedAt: '2022-08-02T10:15:00.000Z',
          recordCount: 62,
          cellCount: null,
          status: 'ok',
          expected: true,
          deadline: '2022-07-30',
          firstReceivedAt: '2022-07-28T16:40:00.000Z',
          timeliness: 'on_time',
        },
      ],
    },
    {
      service: 'col-police',
      name: 'City of London Police',
      serviceType: 'police',
      area: 'E09000001',
      schedule: { basis: 'schedule', expectedFrom: '2022-23-Q1', expectedUntil: null, deadlineDays: 30 },
      quarters: [
        {
          period: '2022-23-Q1',
          submitted: true,
          kind: 'counts',
          version: 1,
          receivedAt: '2022-08-05T09:00:00.000Z',
          recordCount: null,
          cellCount: 14,
          status: 'ok',
          expected: true,
          deadline: '2022-07-30',
          firstReceivedAt: '2022-08-05T09:00:00.000Z',
          timeliness: 'late',
        },
      ],
    },
  ],
  timeliness: { expected: 3, expectedInferred: 0, onTime: 1, late: 1, missing: 1, due: 0, notExpected: 0, submittedUnscheduled: 0 },
  fields: [
    { path: 'victim.ethnicity', label: 'Ethnic group', known: 55, total: 62, completeness: 0.8870967741935484, status: 'ok' },
    { path: 'victim.pregnancy', label: 'Pregnancy and maternity', known: null, total: null, completeness: null, status: 'suppressed' },
  ],
  disclosure,
};

const overlapSample: Overlaps = {
  period: { period: '2022-23-Q1', quarters: ['2022-23-Q1'] },
  unit: 'people (de-duplicated across the services in scope)',
  people: { value: 71, status: 'ok' },
  byServiceCount: [
    { services: '1', value: 59, status: 'ok' },
    { services: '2', value: 12, status: 'ok' },
    { services: '3', value: 0, status: 'ok' },
    { services: '4+', value: 0, status: 'ok' },
  ],
  services: [
    { service: 'col-idva', value: 20, status: 'ok' },
    { service: 'col-vva', value: 63, status: 'ok' },
  ],
  pairs: [{ a: 'col-idva', b: 'col-vva', value: 12, status: 'ok' }],
  onwardReferrals: {
    unit: 'onward referrals',
    windowDays: 183,
    cells: [
      { serviceType: 'idva', outcome: 'found', value: 12, status: 'ok' },
      { serviceType: 'idva', outcome: 'not_found', value: 17, status: 'ok' },
      { serviceType: 'idva', outcome: 'untraceable', value: null, status: 'suppressed' },
    ],
  },
  linkage: { current: true, pendingReturns: 0, failedReturns: 0, oldestPendingSince: null, lastRunAt: '2022-08-02T10:15:04.000Z' },
  disclosure,
};

export const aggregateCsvExample = csvText(tabulateAggregate(aggregateExamples.byRiskLevel!.value as Aggregate, { names, ageBands: 'five_year' }));
export const indicatorListCsvExample = csvText(tabulateIndicators(indicatorListExamples.quarter!.value as IndicatorList));
export const completenessCsvExample = csvText(tabulateCompleteness(completenessSample, names));
export const overlapCsvExample = csvText(tabulateOverlaps(overlapSample, names));
