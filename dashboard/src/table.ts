/**
 * A panel's figures as a table: the same rows draw the chart, fill the text table beside it and make
 * the CSV, so the three can never disagree.
 */
import type { Status } from './types.js';

export interface Cell {
  value: number | null;
  status: Status;
  /** What the table shows instead of the plain number (a percentage, a rate). */
  text?: string;
}

export interface PanelTable {
  /** The first column's heading, then one per series. */
  rowHeading: string;
  series: string[];
  /** `id`: a stable identifier of the row (an indicator's id), for links and automated checks. */
  rows: Array<{ label: string; id?: string; cells: Cell[] }>;
}

const NUMBER = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });

export function formatCell(cell: Cell | undefined): string {
  if (!cell) return '';
  if (cell.status === 'suppressed') return 'suppressed';
  if (cell.text !== undefined) return cell.text;
  if (cell.status === 'not_available' || cell.value === null) return 'not available';
  return NUMBER.format(cell.value);
}

export function renderTable(table: PanelTable, caption: string): HTMLTableElement {
  const element = document.createElement('table');
  element.className = 'figures';
  element.createCaption().textContent = caption;
  const head = element.createTHead().insertRow();
  for (const heading of [table.rowHeading, ...table.series]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = heading;
    head.append(th);
  }
  const body = element.createTBody();
  for (const row of table.rows) {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = row.label;
    tr.append(th);
    for (const cell of row.cells) {
      const td = tr.insertCell();
      td.textContent = formatCell(cell);
      td.dataset.status = cell.status;
    }
  }
  return element;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as a CSV file: labels, and `suppressed` where the dashboard shows suppressed. */
export function tableToCsv(table: PanelTable): string {
  // Numbers unformatted (no thousands separator), so a spreadsheet reads them as numbers.
  const csvCell = (cell: Cell) => (cell.status === 'ok' && cell.value !== null && cell.text === undefined ? String(cell.value) : formatCell(cell));
  const lines = [[table.rowHeading, ...table.series], ...table.rows.map((row) => [row.label, ...row.cells.map(csvCell)])];
  return `${lines.map((line) => line.map(csvField).join(',')).join('\r\n')}\r\n`;
}
