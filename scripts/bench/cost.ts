/**
 * A monthly cost estimate for an organisation of N people, computed (not measured) from what the bench measured
 * (Firestore operations and sync deliveries per idle person-hour and per synced change, the org's fixed share of
 * each) and Google Cloud's public list prices, with every assumption named. Pure: no I/O.
 */

/** List prices in USD, as published on the pages named (read 2026-12; check them before relying on the figure). */
export const PRICES = {
  /** https://cloud.google.com/run/pricing — Tier 1 regions, CPU allocated only while a request is processed. */
  run: {
    vcpuSecond: 0.000024,
    gibSecond: 0.0000025,
    perMillionRequests: 0.4,
    freeVcpuSeconds: 180_000,
    freeGibSeconds: 360_000,
    freeRequests: 2_000_000,
  },
  /** https://firebase.google.com/docs/firestore/pricing — Standard edition, a single region such as us-west1. */
  firestore: {
    per100kReads: 0.03,
    per100kWrites: 0.09,
    per100kDeletes: 0.01,
    freeReadsPerDay: 50_000,
    freeWritesPerDay: 20_000,
    freeDeletesPerDay: 20_000,
  },
  /** https://cloud.google.com/pubsub/pricing — throughput, at least 1000 bytes per publish or push request. */
  pubsub: { perTiB: 40, freeGiB: 10, minBytesPerRequest: 1000 },
  /** https://cloud.google.com/scheduler/pricing */
  scheduler: { perJobMonth: 0.1, freeJobs: 3 },
  /** https://cloud.google.com/secret-manager/pricing */
  secrets: { perVersionMonth: 0.06, freeVersions: 6, per10kAccesses: 0.03, freeAccesses: 10_000 },
} as const;

const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Firestore operations, per hour or per change. */
export interface Ops {
  readonly reads: number;
  readonly writes: number;
  readonly deletes: number;
}

/** What the bench measured. */
export interface MeasuredUsage {
  /** The organisation's share of an idle hour whatever its size (the tick's polls, its config reads). */
  readonly orgHour: Ops & { readonly deliveries: number };
  /** Each opted-in person's share of an idle hour (safety syncs, reconciles, the tick's look at each person). */
  readonly personHour: Ops & { readonly deliveries: number };
  /** One synced change, both ways averaged. */
  readonly change: Ops & { readonly deliveries: number };
}

/** What the estimate assumes beyond the measurements; each is printed with the figure. */
export interface CostAssumptions {
  readonly changesPerPersonMonth: number;
  /** Billed seconds per worker delivery (request-based billing rounds up to 100 ms). */
  readonly workerSecondsPerDelivery: number;
  readonly worker: { readonly vcpu: number; readonly gib: number };
  /** The tick holds its request through its second poll: the delay plus its work, once a minute. */
  readonly tickSecondsPerRun: number;
  readonly tick: { readonly vcpu: number; readonly gib: number };
  /** Push notifications: about one per change made in Google (half the changes), this long each. */
  readonly pushSecondsPerCall: number;
  readonly push: { readonly vcpu: number; readonly gib: number };
  /** Warm instances that re-read the credentials every 5 minutes (the container's recheck, Secret Manager's cache). */
  readonly warmInstances: number;
  /** The product's secrets (severa-client-secret, google-sa-p12, its password, severa-webhook-secret), one version each. */
  readonly secrets: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  changesPerPersonMonth: 20 * 21,
  workerSecondsPerDelivery: 1,
  worker: { vcpu: 1, gib: 1 },
  tickSecondsPerRun: 31,
  tick: { vcpu: 0.5, gib: 0.5 },
  pushSecondsPerCall: 0.2,
  push: { vcpu: 1, gib: 0.5 },
  warmInstances: 4,
  secrets: 4,
};

export interface CostLine {
  readonly compute: number;
  readonly firestore: number;
  readonly pubsub: number;
  readonly other: number;
  readonly total: number;
}

const above = (value: number, free: number) => Math.max(0, value - free);

/** The monthly bill for `people` opted-in people, in USD, after each product's free tier. */
export function monthlyCost(
  people: number,
  usage: MeasuredUsage,
  assumptions: CostAssumptions = DEFAULT_ASSUMPTIONS,
  prices = PRICES,
): CostLine {
  const a = assumptions;
  const changes = people * a.changesPerPersonMonth;
  const perMonth = (key: keyof Ops | 'deliveries') =>
    HOURS_PER_MONTH * (usage.orgHour[key] + people * usage.personHour[key]) + changes * usage.change[key];

  const deliveries = perMonth('deliveries');
  const ticks = DAYS_PER_MONTH * 24 * 60;
  const pushes = changes / 2;
  const vcpuSeconds =
    deliveries * a.workerSecondsPerDelivery * a.worker.vcpu +
    ticks * a.tickSecondsPerRun * a.tick.vcpu +
    pushes * a.pushSecondsPerCall * a.push.vcpu;
  const gibSeconds =
    deliveries * a.workerSecondsPerDelivery * a.worker.gib +
    ticks * a.tickSecondsPerRun * a.tick.gib +
    pushes * a.pushSecondsPerCall * a.push.gib;
  const requests = deliveries + ticks + pushes;
  const compute =
    above(vcpuSeconds, prices.run.freeVcpuSeconds) * prices.run.vcpuSecond +
    above(gibSeconds, prices.run.freeGibSeconds) * prices.run.gibSecond +
    (above(requests, prices.run.freeRequests) / 1e6) * prices.run.perMillionRequests;

  const f = prices.firestore;
  const perDay = (n: number) => n / DAYS_PER_MONTH;
  const firestore =
    DAYS_PER_MONTH *
    ((above(perDay(perMonth('reads')), f.freeReadsPerDay) / 1e5) * f.per100kReads +
      (above(perDay(perMonth('writes')), f.freeWritesPerDay) / 1e5) * f.per100kWrites +
      (above(perDay(perMonth('deletes')), f.freeDeletesPerDay) / 1e5) * f.per100kDeletes);

  // Each delivery is one publish and one push; each tick likewise.
  const bytes = (deliveries + ticks) * 2 * prices.pubsub.minBytesPerRequest;
  const pubsub = (above(bytes / 2 ** 30, prices.pubsub.freeGiB) / 1024) * prices.pubsub.perTiB;

  const accesses = a.warmInstances * a.secrets * 12 * HOURS_PER_MONTH;
  const other =
    above(1, prices.scheduler.freeJobs) * prices.scheduler.perJobMonth +
    above(a.secrets, prices.secrets.freeVersions) * prices.secrets.perVersionMonth +
    (above(accesses, prices.secrets.freeAccesses) / 1e4) * prices.secrets.per10kAccesses;

  return { compute, firestore, pubsub, other, total: compute + firestore + pubsub + other };
}

/** Splits two measured idle hours (n1 < n2 people) into the org's fixed share and each person's. */
export function fitIdle(
  n1: number,
  hour1: Ops & { readonly deliveries: number },
  n2: number,
  hour2: Ops & { readonly deliveries: number },
): { orgHour: MeasuredUsage['orgHour']; personHour: MeasuredUsage['personHour'] } {
  const keys = ['reads', 'writes', 'deletes', 'deliveries'] as const;
  const slope = (k: (typeof keys)[number]) => Math.max(0, (hour2[k] - hour1[k]) / (n2 - n1));
  const personHour = Object.fromEntries(
    keys.map((k) => [k, slope(k)]),
  ) as unknown as MeasuredUsage['personHour'];
  const orgHour = Object.fromEntries(
    keys.map((k) => [k, Math.max(0, hour1[k] - n1 * personHour[k])]),
  ) as unknown as MeasuredUsage['orgHour'];
  return { orgHour, personHour };
}
