/**
 * The dashboard page: sign in with a key, pick the scope, and every panel reloads from the API.
 */
import './styles.css';
import { ApiError, forgetKey, getJson, readStoredKey, storeKey, type Query } from './api.js';
import { previousScopeQuery, readFilters, scopeQuery, writeFilters, type Filters } from './filters.js';
import { createLabels, labelOfQuarter, labelOfYear, type LabelOf } from './labels.js';
import { panels, type PanelContext } from './panels.js';
import { renderPanel, renderPanelError, renderPanelFrame } from './panel-view.js';
import type { CountMeasure, DatasetDefinition, PeriodItem, Service } from './types.js';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface Reference {
  labelOf: LabelOf;
  services: Service[];
  areaNames: Map<string, string>;
  quarters: string[];
  measures: CountMeasure[];
}

function showSignIn(message = ''): void {
  byId('sign-in').hidden = false;
  byId('board').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in-error').textContent = message;
}

function option(value: string, label: string): HTMLOptionElement {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = label;
  return element;
}

function fillSelect(select: HTMLSelectElement, options: Array<[string, string]>, value: string): void {
  select.replaceChildren(...options.map(([v, l]) => option(v, l)));
  select.value = options.some(([v]) => v === value) ? value : (options[0]?.[0] ?? '');
}

async function loadReference(): Promise<Reference> {
  const [dataset, services, periods, measures] = await Promise.all([
    getJson<DatasetDefinition>('/v1/dataset'),
    getJson<{ items: Service[] }>('/v1/services'),
    getJson<{ items: PeriodItem[] }>('/v1/periods'),
    getJson<{ measures: CountMeasure[] }>('/v1/count-measures'),
  ]);
  const areaCodes = [...new Set(services.items.map((s) => s.area))];
  const areas = await Promise.all(areaCodes.map((code) => getJson<{ code: string; name: string }>(`/v1/areas/${code}`).catch(() => ({ code, name: code }))));
  return {
    labelOf: createLabels(dataset),
    services: services.items,
    areaNames: new Map(areas.map((a) => [a.code, a.name])),
    quarters: periods.items.map((p) => p.period).sort(),
    measures: measures.measures,
  };
}

function currentFinancialYear(today: Date): string {
  const start = today.getMonth() >= 3 ? today.getFullYear() : today.getFullYear() - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/** The filters' options from what the service holds; the state itself comes from the address. */
function fillFilters(reference: Reference, filters: Filters): Filters {
  const form = byId<HTMLFormElement>('filters');
  const select = (name: string) => form.elements.namedItem(name) as HTMLSelectElement;
  const held = [...new Set(reference.quarters.map((q) => q.slice(0, 7)))].sort().reverse();
  // Before the first return, the current financial year: panels read zeros rather than fail for want of a period.
  const years = held.length > 0 ? held : [currentFinancialYear(new Date())];
  fillSelect(
    select('year'),
    years.map((y) => [y, labelOfYear(y)]),
    filters.year || (years[0] ?? ''),
  );
  const quarters: Array<[string, string]> = [['', '(the year)'], ...reference.quarters.map((q): [string, string] => [q, labelOfQuarter(q)])];
  fillSelect(select('from'), quarters, filters.from);
  fillSelect(select('to'), quarters, filters.to);
  fillSelect(select('area'), [['', 'All areas'], ...[...reference.areaNames].map(([code, name]): [string, string] => [code, name])], filters.area);
  const types = [...new Set(reference.services.map((s) => s.serviceType))];
  fillSelect(
    select('serviceType'),
    [['', 'All service types'], ...types.map((t): [string, string] => [t, reference.labelOf('serviceType', t)])],
    filters.serviceType,
  );
  fillSelect(select('service'), [['', 'All services'], ...reference.services.map((s): [string, string] => [s.id, s.name])], filters.service);
  fillSelect(
    select('countMeasure'),
    reference.measures.map((m) => [m.id, m.label]),
    filters.countMeasure || 'helpline_calls',
  );
  return currentFilters();
}

function currentFilters(): Filters {
  const form = byId<HTMLFormElement>('filters');
  const value = (name: string) => (form.elements.namedItem(name) as HTMLSelectElement).value;
  const from = value('from');
  const to = value('to');
  const range = from !== '' && to !== '';
  return {
    year: range ? '' : value('year'),
    from: range ? from : '',
    to: range ? to : '',
    area: value('area'),
    serviceType: value('serviceType'),
    service: value('service'),
    countMeasure: value('countMeasure'),
  };
}

function describeScope(filters: Filters, reference: Reference): string {
  const period = filters.from ? `${labelOfQuarter(filters.from)} to ${labelOfQuarter(filters.to)}` : `financial year ${labelOfYear(filters.year)}`;
  const parts = [period];
  if (filters.area) parts.push(reference.areaNames.get(filters.area) ?? filters.area);
  if (filters.serviceType) parts.push(reference.labelOf('serviceType', filters.serviceType));
  if (filters.service) parts.push(reference.services.find((s) => s.id === filters.service)?.name ?? filters.service);
  return `Showing ${parts.join(', ')}.`;
}

/** The scope, when the service holds returns for any of its quarters: a period before the first return has no figures to compare with, not zeros. */
function heldScope(scope: Query | null, held: readonly string[]): Query | null {
  if (!scope) return null;
  const within = (q: string) => (scope.period ? q.startsWith(`${scope.period}-`) : q >= (scope.from ?? '') && q <= (scope.to ?? ''));
  return held.some(within) ? scope : null;
}

let generation = 0;

async function renderBoard(reference: Reference): Promise<void> {
  const filters = currentFilters();
  writeFilters(filters);
  byId('scope').textContent = describeScope(filters, reference);
  const mine = ++generation;
  const context: PanelContext = {
    scope: scopeQuery(filters),
    previousScope: heldScope(previousScopeQuery(filters), reference.quarters),
    labelOf: reference.labelOf,
    countMeasure: filters.countMeasure,
    areaName: (code) => reference.areaNames.get(code) ?? code,
  };
  const container = byId('panels');
  document.body.dataset.loading = 'true';
  const frames = panels.map((spec) => renderPanelFrame(spec));
  container.replaceChildren(...frames.map((f) => f.element));
  await Promise.all(
    panels.map(async (spec, i) => {
      try {
        const data = await spec.load(context);
        if (mine === generation) renderPanel(frames[i]!, spec, data, filters);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          forgetKey();
          showSignIn('The key was refused. Sign in again.');
        } else if (mine === generation) renderPanelError(frames[i]!, error instanceof Error ? error.message : String(error));
      }
    }),
  );
  if (mine === generation) document.body.dataset.loading = 'false';
}

async function start(): Promise<void> {
  const key = readStoredKey();
  if (!key) return showSignIn();
  let reference: Reference;
  try {
    reference = await loadReference();
    // A provider key may read the reference lists but not the analytics: refuse it here, clearly.
    await getJson('/v1/indicators', { period: reference.quarters[0]?.slice(0, 7) ?? '2022-23' });
  } catch (error) {
    forgetKey();
    if (error instanceof ApiError && (error.status === 401 || error.status === 403))
      return showSignIn(error.status === 401 ? 'That key was not accepted.' : 'That key may not read analytics: use an analyst or admin key.');
    return showSignIn(`The service could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
  byId('sign-in').hidden = true;
  byId('board').hidden = false;
  byId('sign-out').hidden = false;
  fillFilters(reference, readFilters());
  byId<HTMLFormElement>('filters').onchange = (event) => {
    // Choosing a year clears a quarter range, so the year shown is the year asked for.
    const changed = (event.target as HTMLSelectElement).name;
    const form = byId<HTMLFormElement>('filters');
    if (changed === 'year') for (const name of ['from', 'to']) (form.elements.namedItem(name) as HTMLSelectElement).value = '';
    void renderBoard(reference);
  };
  await renderBoard(reference);
}

byId<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('api-key');
  storeKey(input.value.trim());
  input.value = '';
  void start();
});

byId('sign-out').addEventListener('click', () => {
  forgetKey();
  byId('panels').replaceChildren();
  showSignIn('Signed out.');
});

void start();
