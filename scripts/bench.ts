/**
 * `npm run bench`: measures the SPEC §10 targets side by side with a baseline doing the job the way the anchors do
 * (a per-person poller), prints one table, and writes docs/performance.md with its plots (docs/performance/*.svg).
 *
 *   npm run bench                      every part, full sizes (about 15 minutes)
 *   npm run bench -- --quick           smaller sizes (about two minutes; what CI runs)
 *   npm run bench -- --only latency,burst   some parts only
 *
 * Only a full run of every part rewrites docs/performance.md (`--write` forces it, `--no-write` prevents it), so a
 * quick or partial run never replaces the published figures.
 *
 * A part that breaks fails the run (exit 1); a figure never does: machines are noisy, and the ratios measured in one
 * run are the headline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { stopOwnEmulators } from './emulators.js';
import type { Bench, Section } from './bench/report.js';
import { renderMarkdown, renderTable } from './bench/render.js';
import { renderSvg } from './bench/svg.js';

/** Each part in its own module, loaded only when it runs; initial-sync first, so its memory figures start fresh. */
const PARTS: readonly { readonly id: string; readonly load: () => Promise<Bench> }[] = [
  { id: 'initial-sync', load: async () => (await import('./bench/initial-sync.js')).initialSync },
  { id: 'scale', load: async () => (await import('./bench/scale.js')).scale },
  { id: 'api-cost', load: async () => (await import('./bench/api-cost.js')).apiCost },
  { id: 'latency', load: async () => (await import('./bench/latency.js')).latency },
  { id: 'cold-start', load: async () => (await import('./bench/cold-start.js')).coldStart },
  { id: 'burst', load: async () => (await import('./bench/burst.js')).burst },
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'docs') },
  },
});

const only = values.only?.split(',').map((s) => s.trim()) ?? null;
const unknown = (only ?? []).filter((id) => !PARTS.some((p) => p.id === id));
if (unknown.length > 0) {
  console.error(`Unknown part ${unknown.join(', ')}; the parts are ${PARTS.map((p) => p.id).join(', ')}.`);
  process.exit(2);
}

const log = (line: string) => {
  process.stderr.write(`[bench] ${line}\n`);
};
const sections: Section[] = [];
const broken: string[] = [];
const started = Date.now();
for (const part of PARTS) {
  if (only && !only.includes(part.id)) continue;
  const t0 = Date.now();
  log(`${part.id}: starting${values.quick ? ' (quick)' : ''}`);
  try {
    const bench = await part.load();
    sections.push(
      await bench({
        quick: values.quick,
        log: (line) => {
          log(`${part.id}: ${line}`);
        },
      }),
    );
    log(`${part.id}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    broken.push(part.id);
    console.error(`[bench] ${part.id} broke:`, error);
  }
}

// Emulators a part started for itself (the live-org harness starts them on demand) stop with the run.
await stopOwnEmulators();

const machine = {
  cpu: `${String(cpus().length)} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
  memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  mode: values.quick ? 'quick' : 'full',
  seconds: Math.round((Date.now() - started) / 1000),
};
console.log(renderTable(sections, machine));

const write = values['no-write'] ? false : (values.write ?? (!values.quick && only === null));
if (write && sections.length > 0) {
  const plotsDir = join(values.out, 'performance');
  mkdirSync(plotsDir, { recursive: true });
  for (const section of sections) {
    for (const plot of section.plots) writeFileSync(join(plotsDir, plot.file), renderSvg(plot));
  }
  writeFileSync(join(values.out, 'performance.md'), renderMarkdown(sections, machine, 'performance'));
  log(`wrote ${join(values.out, 'performance.md')} and its plots`);
}
if (broken.length > 0) {
  console.error(`[bench] broken parts: ${broken.join(', ')}`);
  process.exit(1);
}
