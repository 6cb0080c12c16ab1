/**
 * Charts with Chart.js (canvas: a PNG download is the canvas itself). A suppressed value is never
 * drawn as zero: its category gets a hatched bar the full height of the axis, labelled as
 * suppressed in the legend, which cannot be read as a figure.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset } from 'chart.js';
import type { PanelTable } from './table.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Okabe and Ito's palette: distinguishable with the common forms of colour blindness. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

function hatchPattern(): CanvasPattern | string {
  const tile = document.createElement('canvas');
  tile.width = 8;
  tile.height = 8;
  const context = tile.getContext('2d');
  if (!context) return '#bbbbbb';
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, 8, 8);
  context.strokeStyle = '#555555';
  context.lineWidth = 1.5;
  context.beginPath();
  context.moveTo(0, 8);
  context.lineTo(8, 0);
  context.moveTo(-2, 2);
  context.lineTo(2, -2);
  context.moveTo(6, 10);
  context.lineTo(10, 6);
  context.stroke();
  return context.createPattern(tile, 'repeat') ?? '#bbbbbb';
}

export const SUPPRESSED_LABEL = 'Suppressed (not zero)';

export function drawBarChart(canvas: HTMLCanvasElement, table: PanelTable, seriesShown: number[] = table.series.map((_, i) => i)): Chart {
  const labels = table.rows.map((row) => row.label);
  const shown = seriesShown.map((i) => ({ name: table.series[i]!, index: i }));
  const datasets: Array<ChartDataset<'bar', Array<number | null>>> = shown.map(({ name, index }, n) => ({
    label: name,
    data: table.rows.map((row) => (row.cells[index]?.status === 'ok' ? row.cells[index]!.value : null)),
    backgroundColor: PALETTE[n % PALETTE.length],
  }));
  const highest = Math.max(1, ...datasets.flatMap((d) => d.data.filter((v): v is number => v !== null)));
  const anySuppressed = table.rows.map((row) => shown.some(({ index }) => row.cells[index]?.status === 'suppressed'));
  if (anySuppressed.some(Boolean))
    datasets.push({
      label: SUPPRESSED_LABEL,
      data: anySuppressed.map((suppressed) => (suppressed ? highest : null)),
      backgroundColor: hatchPattern(),
      borderColor: '#555555',
      borderWidth: 1,
    });
  return new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            // The hatched bar's height is not a figure: its tooltip says so.
            label: (item) => (item.dataset.label === SUPPRESSED_LABEL ? SUPPRESSED_LABEL : `${item.dataset.label}: ${item.formattedValue}`),
          },
        },
      },
    },
  });
}
