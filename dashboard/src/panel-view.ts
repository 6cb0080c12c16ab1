/**
 * One panel on the page: its title, what it counts, the disclosure rule, the chart with its text
 * table beside it, and downloads of both. `data-panel` names it for links and automated checks.
 */
import type { Chart } from 'chart.js';
import { drawBarChart } from './chart.js';
import type { Filters } from './filters.js';
import type { PanelData, PanelSpec } from './panels.js';
import { renderTable, tableToCsv } from './table.js';

export interface PanelFrame {
  element: HTMLElement;
  body: HTMLElement;
  chart?: Chart;
}

export function renderPanelFrame(spec: PanelSpec): PanelFrame {
  const element = document.createElement('section');
  element.className = 'panel';
  element.dataset.panel = spec.name;
  element.dataset.state = 'loading';
  element.setAttribute('aria-labelledby', `panel-${spec.name}-title`);
  const title = document.createElement('h2');
  title.id = `panel-${spec.name}-title`;
  title.textContent = spec.title;
  const body = document.createElement('div');
  body.className = 'panel-body';
  body.textContent = 'Loading…';
  element.append(title, body);
  return { element, body };
}

function fileStem(spec: PanelSpec, filters: Filters): string {
  const period = filters.from ? `${filters.from}_to_${filters.to}` : filters.year;
  return [spec.name, period, filters.area, filters.serviceType, filters.service].filter(Boolean).join('-');
}

function download(name: string, href: string): void {
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.addEventListener('click', onClick);
  return element;
}

export function renderPanel(frame: PanelFrame, spec: PanelSpec, data: PanelData, filters: Filters): void {
  frame.chart?.destroy();
  const about = document.createElement('p');
  about.className = 'panel-about';
  about.textContent = `Counts ${data.counts}.`;
  const rule = document.createElement('p');
  rule.className = 'panel-rule';
  rule.textContent = data.disclosure.applied
    ? `Disclosure control: ${data.disclosure.rule ?? 'small numbers are suppressed'} Counts carry a small random adjustment (the ONS cell key method), so they may differ slightly from a service's own.`
    : 'Disclosure control is not applied to this key (admin): the figures are exact and not for publication as they stand.';
  const figures = document.createElement('div');
  figures.className = data.chartSeries.length > 0 ? 'panel-figures' : 'panel-figures table-only';
  const table = renderTable(data.table, spec.title);
  if (spec.name === 'indicators')
    table.querySelectorAll('tbody tr').forEach((row, i) => {
      const id = data.table.rows[i]?.id;
      if (id) (row as HTMLElement).dataset.indicatorId = id;
      row.querySelector('td')?.setAttribute('data-role', 'value');
    });
  const actions = document.createElement('div');
  actions.className = 'panel-actions';
  const stem = fileStem(spec, filters);
  actions.append(
    button('Download table (CSV)', () => download(`${stem}.csv`, URL.createObjectURL(new Blob([tableToCsv(data.table)], { type: 'text/csv;charset=utf-8' })))),
  );
  frame.body.replaceChildren(about, rule, figures, actions);
  delete frame.chart;
  if (data.chartSeries.length > 0 && data.table.rows.length > 0) {
    const holder = document.createElement('div');
    holder.className = 'chart';
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${spec.title}: chart of the table beside it`);
    holder.append(canvas);
    figures.append(holder, table);
    frame.chart = drawBarChart(canvas, data.table, data.chartSeries);
    // The categories drawn hatched, for a reader of the page's structure (and automated checks).
    const hatched = data.table.rows.filter((row) => data.chartSeries.some((i) => row.cells[i]?.status === 'suppressed')).map((row) => row.label);
    if (hatched.length > 0) holder.dataset.suppressed = hatched.join('|');
    actions.append(button('Download chart (PNG)', () => download(`${stem}.png`, canvas.toDataURL('image/png'))));
  } else {
    figures.append(table);
  }
  if (data.table.rows.length === 0) {
    const empty = document.createElement('p');
    empty.textContent = 'Nothing in scope.';
    figures.prepend(empty);
  }
  frame.element.dataset.state = 'ready';
}

export function renderPanelError(frame: PanelFrame, message: string): void {
  const error = document.createElement('p');
  error.className = 'error';
  error.setAttribute('role', 'alert');
  error.textContent = `This panel could not be loaded: ${message}`;
  frame.body.replaceChildren(error);
  frame.element.dataset.state = 'error';
}
