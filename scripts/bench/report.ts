/**
 * What every part of `npm run bench` returns, and the shared formatting: each part measures one SPEC §10 target (or
 * a group of them) and gives back rows of "target / ours / baseline / ratio", the plots it has data for, and notes
 * that say what ran on which infrastructure. scripts/bench.ts prints the rows and writes docs/performance.md.
 */
export interface BenchOptions {
  /** `--quick`: smaller sizes and fewer samples, about two minutes in all (what CI runs so the bench cannot rot). */
  readonly quick: boolean;
  /** Progress lines (stderr): what is being measured now. */
  readonly log: (line: string) => void;
}

export interface Row {
  readonly what: string;
  /** SPEC §10's target, or "—" where the spec sets none. */
  readonly target: string;
  readonly ours: string;
  /** The anchors' way measured in the same run, or "—". */
  readonly baseline: string;
  /** ours / baseline (or baseline / ours where smaller is better, said in the cell), or "—". */
  readonly ratio: string;
}

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface Plot {
  /** File name under docs/performance/ (an SVG). */
  readonly file: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** `line`: y over x per series; `cdf`: each series' points are samples (x ignored), drawn as a distribution. */
  readonly kind: 'line' | 'cdf';
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly series: readonly Series[];
}

export interface Section {
  readonly id: string;
  readonly title: string;
  /** Where it ran: "in-memory adapters", "emulators + simulators (100 ms per API call)", … */
  readonly ranOn: string;
  readonly rows: readonly Row[];
  readonly plots: readonly Plot[];
  /** Sentences for docs/performance.md: what the figures mean, what limits them, what the product does about it. */
  readonly notes: readonly string[];
}

export type Bench = (options: BenchOptions) => Promise<Section>;

/** The p-th percentile (nearest rank) of samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
}

export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** "12× fewer" / "3.4× faster": the ratio said so that bigger reads better; "—" when either side is missing. */
export function betterBy(ours: number, baseline: number, word: string): string {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline <= 0) return '—';
  if (ours <= 0) return `∞× ${word}`;
  const r = baseline / ours;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}× ${word}`;
}

/** Peak resident memory of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
