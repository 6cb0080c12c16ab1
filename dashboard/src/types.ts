/** The parts of the API's answers the dashboard reads (the OpenAPI document has them whole). */
export type Status = 'ok' | 'suppressed' | 'not_available';

export interface PublishedValue {
  value: number | null;
  status: Status;
}

export interface Disclosure {
  applied: boolean;
  rule?: string;
  threshold?: number;
}

export interface Scope {
  period?: string;
  quarters: string[];
}

export interface Aggregate {
  unit: string;
  groupBy: string[];
  period: Scope;
  cells: Array<PublishedValue & { key: Record<string, string>; populationShare?: number | null }>;
  totals: { overall: PublishedValue };
  linkage?: LinkageCurrency;
  disclosure: Disclosure;
}

/** How current the persons counted are (`LinkageCurrency` in the API). */
export interface LinkageCurrency {
  current: boolean;
  pendingReturns: number;
  failedReturns: number;
  lastRunAt: string | null;
}

export interface Indicator extends PublishedValue {
  id: string;
  label: string;
  definition: string;
  unit: string;
  percent?: number | null;
}

export interface Indicators {
  period: Scope;
  indicators: Indicator[];
  linkage?: LinkageCurrency;
  disclosure: Disclosure;
}

export interface Overlaps {
  unit: string;
  people: PublishedValue;
  byServiceCount: Array<PublishedValue & { services: string }>;
  linkage?: LinkageCurrency;
  disclosure: Disclosure;
}

export interface Completeness {
  services: Array<{
    service: string;
    name: string;
    quarters: Array<{
      period: string;
      submitted: boolean;
      kind?: 'records' | 'counts' | 'records_and_counts' | null;
      recordCount: number | null;
      cellCount?: number | null;
      status?: Status;
      timeliness?: string;
      expected?: boolean;
    }>;
  }>;
  disclosure: Disclosure;
}

export interface Counts {
  label: string;
  unit: string;
  cells: Array<PublishedValue & { key: Record<string, string>; ratePer1000?: number | null; populationYear?: number }>;
  disclosure: Disclosure;
}

export interface CodeList {
  id: string;
  label: string;
  codes: Array<{ code: string; label: string }>;
}

export interface DatasetDefinition {
  codeLists: CodeList[];
  ageBandSets: Array<{ id: string; bands: Array<{ code: string; label: string }> }>;
}

export interface Service {
  id: string;
  name: string;
  serviceType: string;
  area: string;
}

export interface PeriodItem {
  period: string;
}

export interface CountMeasure {
  id: string;
  label: string;
  unit: string;
}
