/**
 * Plots for docs/performance.md as self-contained SVG (no library, no fonts to fetch): line charts of y over x per
 * series, optionally on log axes, and distributions drawn as empirical CDFs.
 */
import type { Plot, Series } from './report.js';

const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 36, bottom: 48 };
const COLOURS = ['#1a73e8', '#d93025', '#188038', '#f29900', '#8430ce', '#5f6368'];

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly log: boolean;
}

function axis(values: readonly number[], log: boolean, fromZero: boolean): Axis {
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (usable.length === 0) return { min: log ? 1 : 0, max: log ? 10 : 1, log };
  let min = Math.min(...usable);
  let max = Math.max(...usable);
  if (log) {
    min = 10 ** Math.floor(Math.log10(min));
    max = 10 ** Math.ceil(Math.log10(max));
    if (min === max) max = min * 10;
  } else {
    if (fromZero) min = Math.min(0, min);
    if (min === max) max = min + 1;
  }
  return { min, max, log };
}

function scale(a: Axis, v: number, from: number, to: number): number {
  const t = a.log
    ? (Math.log10(v) - Math.log10(a.min)) / (Math.log10(a.max) - Math.log10(a.min))
    : (v - a.min) / (a.max - a.min);
  return from + t * (to - from);
}

function ticks(a: Axis): number[] {
  if (a.log) {
    const out: number[] = [];
    for (let e = Math.log10(a.min); e <= Math.log10(a.max) + 1e-9; e++) out.push(10 ** e);
    return out;
  }
  const raw = (a.max - a.min) / 5;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(a.min / step) * step; v <= a.max + 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  if (Math.abs(v) >= 1e6) return `${String(v / 1e6)}M`;
  if (Math.abs(v) >= 1e4) return `${String(v / 1e3)}k`;
  return String(Number(v.toPrecision(4)));
}

/** A CDF series: sorted samples as x, cumulative share as y (0–100 %). */
function cdfPoints(series: Series): [number, number][] {
  const samples = series.points.map(([, y]) => y).sort((a, b) => a - b);
  return samples.map((v, i) => [v, ((i + 1) / samples.length) * 100]);
}

export function renderSvg(plot: Plot): string {
  const lines: [Series, [number, number][]][] = plot.series.map((s) => [
    s,
    plot.kind === 'cdf' ? cdfPoints(s) : s.points.map(([x, y]) => [x, y]),
  ]);
  const xs = lines.flatMap(([, pts]) => pts.map(([x]) => x));
  const ys = lines.flatMap(([, pts]) => pts.map(([, y]) => y));
  const ax = axis(xs, plot.logX ?? false, plot.kind === 'cdf');
  const ay = plot.kind === 'cdf' ? { min: 0, max: 100, log: false } : axis(ys, plot.logY ?? false, true);
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${String(W)} ${String(H)}" width="${String(W)}" height="${String(H)}" font-family="sans-serif" font-size="12">`,
    `<rect width="${String(W)}" height="${String(H)}" fill="#fff"/>`,
    `<text x="${String(W / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(plot.title)}</text>`,
  ];
  for (const t of ticks(ax)) {
    const x = scale(ax, t, x0, x1).toFixed(1);
    out.push(`<line x1="${x}" y1="${String(y0)}" x2="${x}" y2="${String(y1)}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${String(y0 + 16)}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticks(ay)) {
    const y = scale(ay, t, y0, y1).toFixed(1);
    out.push(`<line x1="${String(x0)}" y1="${y}" x2="${String(x1)}" y2="${y}" stroke="#eee"/>`);
    out.push(
      `<text x="${String(x0 - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${String(x0)}" y1="${String(y0)}" x2="${String(x1)}" y2="${String(y0)}" stroke="#333"/>`,
    `<line x1="${String(x0)}" y1="${String(y0)}" x2="${String(x0)}" y2="${String(y1)}" stroke="#333"/>`,
    `<text x="${String((x0 + x1) / 2)}" y="${String(H - 10)}" text-anchor="middle">${esc(plot.xLabel)}</text>`,
    `<text transform="translate(14 ${String((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${esc(plot.kind === 'cdf' ? 'share of samples (%)' : plot.yLabel)}</text>`,
  );
  lines.forEach(([series, pts], i) => {
    const colour = COLOURS[i % COLOURS.length] ?? '#000';
    const visible = pts.filter(([x, y]) => (!ax.log || x > 0) && (!ay.log || y > 0));
    const path = visible
      .map(
        ([x, y], j) =>
          `${j === 0 ? 'M' : 'L'}${scale(ax, x, x0, x1).toFixed(1)},${scale(ay, y, y0, y1).toFixed(1)}`,
      )
      .join(' ');
    if (path) out.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (plot.kind === 'line') {
      for (const [x, y] of visible) {
        out.push(
          `<circle cx="${scale(ax, x, x0, x1).toFixed(1)}" cy="${scale(ay, y, y0, y1).toFixed(1)}" r="3" fill="${colour}"/>`,
        );
      }
    }
    const ly = M.top + 8 + i * 16;
    out.push(`<rect x="${String(x0 + 10)}" y="${String(ly - 6)}" width="12" height="4" fill="${colour}"/>`);
    out.push(
      `<text x="${String(x0 + 28)}" y="${String(ly)}" dominant-baseline="middle">${esc(series.name)}</text>`,
    );
  });
  if (plot.kind === 'cdf') out.push(`<!-- x: ${esc(plot.xLabel)} -->`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
