import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { coalesced } from '../../../shared/app/coalesce.js';

/** A run that the test finishes by hand, and the moment each run started. */
function manualRuns() {
  const started: number[] = [];
  const finishers: ((value: number) => void)[] = [];
  const failers: ((error: Error) => void)[] = [];
  const run = () =>
    new Promise<number>((resolve, reject) => {
      started.push(started.length + 1);
      finishers.push(resolve);
      failers.push(reject);
    });
  return {
    run,
    started,
    finish: (i: number) => finishers[i]?.(i + 1),
    fail: (i: number) => failers[i]?.(new Error(`run ${String(i + 1)}`)),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesced', () => {
  it('starts a run when none is running', async () => {
    const m = manualRuns();
    const call = coalesced(m.run);
    const first = call();
    assert.deepEqual(m.started, [1]);
    m.finish(0);
    assert.equal(await first, 1);
  });

  it('serves callers that arrive during a run with one next run that starts after it', async () => {
    const m = manualRuns();
    const call = coalesced(m.run);
    const first = call();
    const later = Array.from({ length: 50 }, () => call());
    await tick();
    assert.deepEqual(m.started, [1], 'the next run waits for the current one');
    m.finish(0);
    await tick();
    assert.deepEqual(m.started, [1, 2], 'one run for all fifty');
    m.finish(1);
    assert.equal(await first, 1);
    assert.deepEqual(new Set(await Promise.all(later)), new Set([2]));
  });

  it('a failed run fails its callers only; the next run still starts for the waiting ones', async () => {
    const m = manualRuns();
    const call = coalesced(m.run);
    const first = call();
    const waiting = call();
    m.fail(0);
    await assert.rejects(first, /run 1/);
    await tick();
    assert.deepEqual(m.started, [1, 2]);
    m.finish(1);
    assert.equal(await waiting, 2);
    // Idle again: a new caller starts a fresh run at once.
    const again = call();
    assert.deepEqual(m.started, [1, 2, 3]);
    m.finish(2);
    assert.equal(await again, 3);
  });
});
