/**
 * The results as an SVG chart, written directly: one bar per case showing Strata ÷ Kafka on a log
 * scale around 1, throughput (right of 1 is better for Strata) and p99 latency (left is better).
 */
import type { CaseSummary } from './summary.js';

interface Bar {
  readonly label: string;
  readonly ratio: number;
  readonly better: boolean;
}

interface Panel {
  readonly title: string;
  readonly bars: readonly Bar[];
}

const WIDTH = 960;
const LABEL_WIDTH = 380;
const VALUE_WIDTH = 80;
const ROW = 24;
const PANEL_GAP = 56;
const TOP = 76;

export function renderChart(summaries: readonly CaseSummary[], title: string): string {
  const panels: Panel[] = [
    {
      title: 'Throughput, Strata ÷ Kafka (records/s; higher is better for Strata)',
      bars: summaries
        .filter((s) => s.result.spec.headline === 'throughput' && s.ratio.recordsPerSec !== undefined)
        .map((s) => ({
          label: `${s.result.spec.workload} ${s.result.spec.label}`,
          ratio: s.ratio.recordsPerSec!,
          better: s.ratio.recordsPerSec! >= 1,
        })),
    },
    {
      title: 'p99 latency, Strata ÷ Kafka (lower is better for Strata)',
      bars: summaries
        .filter((s) => s.result.spec.headline === 'latency' && s.ratio.p99Ms !== undefined)
        .map((s) => ({
          label: `${s.result.spec.workload} ${s.result.spec.label}`,
          ratio: s.ratio.p99Ms!,
          better: s.ratio.p99Ms! <= 1,
        })),
    },
  ].filter((p) => p.bars.length > 0);

  const finite = panels.flatMap((p) => p.bars.map((b) => b.ratio)).filter((r) => Number.isFinite(r) && r > 0);
  const lo = 2 ** Math.floor(Math.log2(Math.min(0.25, ...finite)));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(4, ...finite)));
  const plotLeft = LABEL_WIDTH;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (r: number): number => {
    const clamped = Math.min(hi, Math.max(lo, Number.isFinite(r) ? r : hi));
    return plotLeft + ((Math.log2(clamped) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plotWidth;
  };

  const parts: string[] = [];
  let y = TOP;
  for (const panel of panels) {
    parts.push(text(plotLeft - LABEL_WIDTH + 8, y, panel.title, { weight: 'bold' }));
    y += 14;
    const top = y;
    const height = panel.bars.length * ROW;
    for (let e = Math.log2(lo); e <= Math.log2(hi); e++) {
      const gx = x(2 ** e);
      parts.push(
        `<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + height}" stroke="${e === 0 ? '#333' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`,
      );
      parts.push(
        text(gx, top + height + 14, ratioLabel(2 ** e), { anchor: 'middle', size: 11, fill: '#555' }),
      );
    }
    panel.bars.forEach((bar, i) => {
      const rowY = top + i * ROW;
      const x1 = x(1);
      const x2 = x(bar.ratio);
      parts.push(text(plotLeft - 8, rowY + ROW / 2 + 4, fit(bar.label), { anchor: 'end', size: 12 }));
      parts.push(
        `<rect x="${Math.min(x1, x2)}" y="${rowY + 4}" width="${Math.max(1, Math.abs(x2 - x1))}" height="${ROW - 8}" fill="${bar.better ? '#2e7d32' : '#c62828'}"/>`,
      );
      parts.push(
        text(
          WIDTH - VALUE_WIDTH + 8,
          rowY + ROW / 2 + 4,
          Number.isFinite(bar.ratio) ? `${bar.ratio.toFixed(2)}×` : '∞',
          {
            size: 12,
          },
        ),
      );
    });
    y = top + height + 14 + PANEL_GAP;
  }
  const total = y - PANEL_GAP + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${total}" viewBox="0 0 ${WIDTH} ${total}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(8, 24, title, { weight: 'bold', size: 15 }),
    text(
      8,
      42,
      'Medians of the repetitions; log scale; 1× = same as Kafka. Green: Strata better, red: Kafka better.',
      {
        size: 11,
        fill: '#555',
      },
    ),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Labels longer than the label column (about 6.5 px per character at 12 px) end in an ellipsis. */
function fit(label: string): string {
  const max = Math.floor((LABEL_WIDTH - 16) / 6.5);
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

function ratioLabel(r: number): string {
  return r >= 1 ? `${r}×` : `1/${1 / r}×`;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { anchor?: 'start' | 'middle' | 'end'; size?: number; weight?: string; fill?: string } = {},
): string {
  return `<text x="${x}" y="${y}" text-anchor="${style.anchor ?? 'start'}" font-size="${style.size ?? 13}" font-weight="${style.weight ?? 'normal'}" fill="${style.fill ?? '#111'}">${escapeXml(content)}</text>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
