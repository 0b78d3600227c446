import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_ASSUMPTIONS,
  PRICES,
  fitIdle,
  monthlyCost,
  type MeasuredUsage,
} from '../../../scripts/bench/cost.js';

const none = { reads: 0, writes: 0, deletes: 0, deliveries: 0 };
const idle: MeasuredUsage = { orgHour: none, personHour: none, change: none };
const noTick = { ...DEFAULT_ASSUMPTIONS, tickSecondsPerRun: 0, changesPerPersonMonth: 0, secrets: 0 };

describe('the monthly cost estimate', () => {
  it('costs nothing when everything stays inside the free tiers', () => {
    assert.deepEqual(monthlyCost(50, idle, noTick), {
      compute: 0,
      firestore: 0,
      pubsub: 0,
      other: 0,
      total: 0,
    });
  });

  it('bills Firestore reads past the daily free quota at the list price', () => {
    // The org reads 10,000 documents an hour: 240,000 a day, 190,000 of them past the free quota.
    const usage: MeasuredUsage = { ...idle, orgHour: { ...none, reads: 10_000 } };
    const c = monthlyCost(1, usage, noTick);
    const perDay = 10_000 * 24;
    const expected =
      (730 / 24) * ((perDay - PRICES.firestore.freeReadsPerDay) / 1e5) * PRICES.firestore.per100kReads;
    assert.ok(Math.abs(c.firestore - expected) < 1e-9, `${String(c.firestore)} vs ${String(expected)}`);
    assert.equal(c.compute, 0);
  });

  it('the tick that holds its request through the second poll is a fixed compute cost', () => {
    const tick = { ...noTick, tickSecondsPerRun: 31, tick: { vcpu: 1, gib: 0.5 } };
    const withTick = monthlyCost(1, idle, tick);
    const vcpuSeconds = (730 / 24) * 24 * 60 * 31;
    const expected =
      (vcpuSeconds - PRICES.run.freeVcpuSeconds) * PRICES.run.vcpuSecond +
      Math.max(0, vcpuSeconds * 0.5 - PRICES.run.freeGibSeconds) * PRICES.run.gibSecond;
    assert.ok(Math.abs(withTick.compute - expected) < 1e-6);
    assert.equal(monthlyCost(5_000, idle, tick).compute, withTick.compute);
  });

  it('grows with people through their share only', () => {
    const usage: MeasuredUsage = { ...idle, personHour: { ...none, reads: 100, writes: 20 } };
    const small = monthlyCost(500, usage, noTick).firestore;
    const large = monthlyCost(5_000, usage, noTick).firestore;
    assert.ok(
      large > 9 * small,
      'above the free tier, ten times the people cost more than nine times as much',
    );
  });
});

describe('fitIdle', () => {
  it('splits two measured hours into the organisation’s share and each person’s', () => {
    const fitted = fitIdle(1, { reads: 130, writes: 30, deletes: 1, deliveries: 5 }, 3, {
      reads: 330,
      writes: 70,
      deletes: 1,
      deliveries: 15,
    });
    assert.deepEqual(fitted.personHour, { reads: 100, writes: 20, deletes: 0, deliveries: 5 });
    assert.deepEqual(fitted.orgHour, { reads: 30, writes: 10, deletes: 1, deliveries: 0 });
  });
});
