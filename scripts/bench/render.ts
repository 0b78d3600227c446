/** The bench's table for the terminal and docs/performance.md. */
import type { Row, Section } from './report.js';

export interface Machine {
  readonly cpu: string;
  readonly memory: string;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  readonly mode: string;
  readonly seconds: number;
}

const HEAD = ['what', 'target', 'ours', 'baseline', 'ratio'] as const;

function cells(row: Row): string[] {
  return [row.what, row.target, row.ours, row.baseline, row.ratio];
}

/** A plain-text table, columns padded, one block per section. */
export function renderTable(sections: readonly Section[], machine: Machine): string {
  const rows = sections.flatMap((s) => s.rows.map(cells));
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [
    `bench (${machine.mode}): ${machine.cpu}, ${machine.memory}, Node ${machine.node}, ${String(machine.seconds)} s`,
    line(HEAD),
    line(widths.map((w) => '-'.repeat(w))),
  ];
  for (const s of sections) {
    out.push(`# ${s.title} (${s.ranOn})`);
    for (const r of s.rows) out.push(line(cells(r)));
  }
  return out.join('\n');
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** docs/performance.md: the summary table, then each section with its plots and notes. */
export function renderMarkdown(sections: readonly Section[], machine: Machine, plotsDir: string): string {
  const out: string[] = [
    '# Performance',
    '',
    '<!-- Written by `npm run bench` (scripts/bench.ts); edit the bench, not this file. -->',
    '',
    'The SPEC §10 targets, measured by `npm run bench` side by side with a **baseline** that does the job the way',
    'the anchors do: a per-person poller (Severa’s own ~30 s cycle; OGCS and CalendarBridge poll every ~2 min) over',
    'the same simulators. Ratios measured in one run are the headline; absolute times depend on the machine.',
    '',
    `Run: ${machine.date}, ${machine.mode} mode, ${String(machine.seconds)} s. Machine: ${machine.cpu}, ` +
      `${machine.memory}, Node ${machine.node}, ${machine.platform}.`,
    '',
    '| what | target | ours | baseline | ratio |',
    '|---|---|---|---|---|',
  ];
  for (const s of sections) {
    for (const r of s.rows) out.push(`| ${cells(r).map(escapeCell).join(' | ')} |`);
  }
  for (const s of sections) {
    out.push('', `## ${s.title}`, '', `Ran on: ${s.ranOn}.`, '');
    for (const note of s.notes) out.push(`- ${note}`);
    for (const p of s.plots) out.push('', `![${p.title}](${plotsDir}/${p.file})`);
  }
  out.push('');
  return out.join('\n');
}
