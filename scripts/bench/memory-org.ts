/**
 * An organisation of N people in memory for the scale and initial-sync benches: the test World (in-memory Severa,
 * calendars, link store, manual clock) plus the operations stores, a publisher, the real tick (`pollAndRoute` +
 * `maintain`) and the real worker (`handleSyncRequest`), with every call counted.
 *
 * The in-memory Severa and Calendar count their own calls. The stores have no counters: each is wrapped in a
 * counting Proxy that tallies its method calls as reads (get…, list…, find…, read…, was…) or writes (everything
 * else: put, set, add, ack, delete, update, acquire, release, claim, markProcessed, append). These are operations of
 * the in-memory stand-in, one per method call, not measured Firestore RPCs or billed documents (a `listLinks` is one
 * query here, however many documents it would return).
 */
import { performance } from 'node:perf_hooks';

import {
  MemoryAuditLog,
  MemoryLeaseStore,
  MemoryMessageLog,
  MemoryOrgConfigStore,
  MemoryUserDirectory,
} from '../../shared/adapters/memory/memory.operations.js';
import { MemorySyncRequestPublisher } from '../../shared/adapters/memory/memory.publisher.js';
import { firstSyncQueued } from '../../shared/app/operator/people.opt-in.js';
import {
  DEFAULT_TICK_OPTIONS,
  isMaintenanceMinute,
  maintain,
  pollAndRoute,
  type TickDeps,
  type TickOptions,
} from '../../shared/app/sync-tick.js';
import {
  DEFAULT_WORKER_OPTIONS,
  handleSyncRequest,
  type WorkerDeps,
  type WorkerOutcome,
} from '../../shared/app/sync-worker.js';
import type { Link, SyncUser } from '../../shared/domain/index.js';
import { nullLogger } from '../../shared/observability/logger.js';
import type {
  CalendarChannelsPort,
  CalendarPort,
  SeveraPort,
  SyncRequest,
  SyncStore,
  UserRecord,
  WatchChannel,
  WatchRequest,
} from '../../shared/ports/index.js';
import type { World } from '../../test/support/world.js';

/** The Severa config's default second poll of a tick (shared/config.ts TICK_SECOND_POLL_DELAY_MS). */
export const SECOND_POLL_DELAY_MS = 30_000;
/** Cloud Scheduler fires the tick every minute (SPEC §5). */
export const TICK_PERIOD_MS = 60_000;
/** The config's default upkeep cadence (shared/config.ts TICK_MAINTENANCE_EVERY_MINUTES): every 5th tick. */
export const MAINTENANCE_EVERY_MINUTES = 5;

export interface Tally {
  reads: number;
  writes: number;
  /** Documents the reads returned, as Firestore would bill them: a listing's rows, at least 1 per read. */
  docs: number;
}

const READ_METHOD = /^(get|list|find|read|was)/;

/** `target` with every method call counted into `tally` as a read or a write, by the method's name. */
export function counted<T extends object>(target: T, tally: Tally): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]): unknown => {
        const result = Reflect.apply(value as (...a: unknown[]) => unknown, obj, args);
        if (!READ_METHOD.test(prop)) {
          tally.writes += 1;
          return result;
        }
        tally.reads += 1;
        const countDocs = (v: unknown) => {
          tally.docs += Array.isArray(v) ? Math.max(1, v.length) : 1;
        };
        // Counted once the read answers; a failed read is the caller's to handle (and costs one document).
        void Promise.resolve(result).then(countDocs, () => {
          tally.docs += 1;
        });
        return result;
      };
    },
  });
}

/** Google's push channels, counted as Google calls (the tick renews them; the memory Calendar has none). */
class CountingChannels implements CalendarChannelsPort {
  calls = 0;
  constructor(private readonly world: World) {}
  watch(_user: SyncUser, request: WatchRequest): Promise<WatchChannel> {
    this.calls += 1;
    const expiration = new Date(this.world.clock.now().getTime() + request.ttlSeconds * 1000).toISOString();
    return Promise.resolve({
      id: request.id,
      resourceId: `res-${request.id}`,
      expiration,
      token: request.token,
      address: request.address,
    });
  }
  stop(): Promise<void> {
    this.calls += 1;
    return Promise.resolve();
  }
}

/** Every counter of the org at one moment; `minus` gives what happened between two snapshots. */
export interface Counts {
  readonly severaReads: number;
  readonly severaWrites: number;
  readonly googleReads: number;
  readonly googleWrites: number;
  readonly published: number;
  readonly storeReads: number;
  readonly storeWrites: number;
  readonly storeDocs: number;
}

export function minus(after: Counts, before: Counts): Counts {
  return {
    severaReads: after.severaReads - before.severaReads,
    severaWrites: after.severaWrites - before.severaWrites,
    googleReads: after.googleReads - before.googleReads,
    googleWrites: after.googleWrites - before.googleWrites,
    published: after.published - before.published,
    storeReads: after.storeReads - before.storeReads,
    storeWrites: after.storeWrites - before.storeWrites,
    storeDocs: after.storeDocs - before.storeDocs,
  };
}

export const severaCalls = (c: Counts) => c.severaReads + c.severaWrites;
export const googleCalls = (c: Counts) => c.googleReads + c.googleWrites;

export interface WorkerRun {
  readonly request: SyncRequest;
  readonly ms: number;
  /** This process's CPU time during the run (user + system): what the run costs on an idle core. */
  readonly cpuMs: number;
  readonly outcome: WorkerOutcome;
  /** What this run cost (the worker's own store operations included). */
  readonly counts: Counts;
}

export interface TickRun {
  /** The tick function's own time (polls and upkeep), without the 30 s wait between its polls. */
  readonly tickMs: number;
  readonly tickCpuMs: number;
  /** Whether this tick ran the upkeep (every {@link MAINTENANCE_EVERY_MINUTES}th minute). */
  readonly upkeep: boolean;
  /** The worker runs for what the tick published, in order. */
  readonly runs: readonly WorkerRun[];
  /** The same runs by delivery: after the first poll and the upkeep, and after the second poll. */
  readonly deliveries: readonly (readonly WorkerRun[])[];
  readonly counts: Counts;
}

/** CPU time (user + system) since `start`, in ms. */
export function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

export function userRecord(user: SyncUser): UserRecord {
  return {
    ...user,
    enabled: true,
    channel: null,
    lastReconcileAt: null,
    lastCompleteRunStartedAt: null,
    lastSafetyRequestAt: null,
  };
}

type Listing = (rows: number) => void;

/** `target` with the size of some methods' results reported (an array's length, or a listing's `changes`). */
function watched<T extends object>(target: T, report: Readonly<Record<string, Listing>>): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      const method = (...args: unknown[]): unknown => Reflect.apply(value, obj, args);
      const note = typeof prop === 'string' ? report[prop] : undefined;
      if (note === undefined) return method;
      return async (...args: unknown[]) => {
        const result: unknown = await method(...args);
        note(rowsOf(result));
        return result;
      };
    },
  });
}

function rowsOf(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const changes = (result as { changes?: unknown }).changes;
  return Array.isArray(changes) ? changes.length : 0;
}

/** A Severa port that counts its calls. */
export type CountedSevera = SeveraPort & {
  readonly calls: { readonly reads: number; readonly writes: number };
};

/** A link store the bench can also read whole (for its checks). */
export type BenchStore = SyncStore & { allLinks(): Link[] };

/**
 * The org: a World, its people in the user directory (opted out until {@link optIn}), the org switched on with the
 * World's settings, and the tick and worker wired with counted stores. Nothing is delivered by itself: {@link tick}
 * and {@link deliver} play Cloud Scheduler and Pub/Sub.
 */
export class MemoryOrg {
  readonly world: World;
  readonly store: BenchStore;
  readonly severa: CountedSevera;
  readonly publisher: MemorySyncRequestPublisher;
  readonly storeOps: Tally = { reads: 0, writes: 0, docs: 0 };
  readonly tickOptions: TickOptions;
  /**
   * Rows returned by each listing, in order: the org polls (`listChangedSince`), the Severa window listings of
   * reconciles, and the Google listings. The APIs page them (Severa by 100 rows, Google by up to 2,500).
   */
  readonly rows = { poll: [] as number[], window: [] as number[], google: [] as number[] };
  readonly #users: MemoryUserDirectory;
  readonly #channels: CountingChannels;
  readonly #tick: TickDeps;
  readonly #worker: WorkerDeps;
  #published = 0;

  /**
   * The org over `world`, with its link store, and its Severa port (the World's MemorySevera unless given, e.g. an
   * indexed view of it): whatever it is, its `calls` are what the bench counts.
   */
  static async create(
    world: World,
    store: BenchStore,
    people: readonly SyncUser[],
    severa: CountedSevera = world.severa,
  ): Promise<MemoryOrg> {
    const users = new MemoryUserDirectory();
    for (const person of people) await users.putUser({ ...userRecord(person), enabled: false });
    return new MemoryOrg(world, store, users, severa);
  }

  private constructor(world: World, store: BenchStore, users: MemoryUserDirectory, severa: CountedSevera) {
    this.world = world;
    this.store = store;
    this.severa = severa;
    this.#users = users;
    const orgConfig = new MemoryOrgConfigStore({
      enabled: true,
      serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
      severaClientId: 'bench-client',
      sync: world.settings,
      updatedAt: '2026-03-01T00:00:00Z',
    });
    this.publisher = new MemorySyncRequestPublisher({ clock: world.clock });
    this.#channels = new CountingChannels(world);
    // The deployed tick renews push channels (a push address is configured): counted as Google calls.
    this.tickOptions = { ...DEFAULT_TICK_OPTIONS, pushAddress: 'https://example.invalid/calendarPush' };
    const common = {
      severa: this.#watchedSevera(),
      store: counted<SyncStore>(store, this.storeOps),
      users: counted(this.#users, this.storeOps),
      orgConfig: counted(orgConfig, this.storeOps),
      clock: world.clock,
      logger: nullLogger,
    };
    this.#tick = {
      ...common,
      channels: this.#channels,
      publisher: this.publisher,
      options: this.tickOptions,
    };
    this.#worker = {
      ...common,
      calendar: this.#watchedCalendar(),
      leases: counted(new MemoryLeaseStore(), this.storeOps),
      messages: counted(new MemoryMessageLog(), this.storeOps),
      audit: counted(new MemoryAuditLog(), this.storeOps),
      options: DEFAULT_WORKER_OPTIONS,
      onStep: (step) => this.onStep?.(step),
    };
  }

  /** Called after every durable step of a worker run (the runner's `onStep`). */
  onStep: ((step: string) => void) | undefined;

  /** The in-memory Severa, with the rows of its listings noted (its calls it counts itself). */
  #watchedSevera(): SeveraPort {
    return watched(this.severa, {
      listChangedSince: (rows) => this.rows.poll.push(rows),
      listForUser: (rows) => this.rows.window.push(rows),
    });
  }

  /** The in-memory Calendar, with the rows of its listings noted. */
  #watchedCalendar(): CalendarPort {
    return watched(this.world.calendar, {
      list: (rows) => this.rows.google.push(rows),
    });
  }

  /**
   * These people switch their sync on (S2: in the console, each for themselves): as the console's switch does, each
   * is enabled, sees their first sync queued, and that sync is asked for at once (delivered with the next tick's
   * requests). Their push channel is opened by the next upkeep here (the console opens it at once).
   */
  async optIn(people: readonly SyncUser[]): Promise<void> {
    for (const person of people) {
      await this.#users.updateUser(person.severaUserGuid, { enabled: true });
      const status = await this.store.getStatus(person.severaUserGuid);
      await this.store.setStatus(person.severaUserGuid, firstSyncQueued(status));
      await this.publisher.publish({
        user: person.severaUserGuid,
        reason: 'initial',
        requestedAt: this.world.clock.now().toISOString(),
        reconcile: true,
      });
    }
  }

  async userRecords(): Promise<readonly UserRecord[]> {
    return this.#users.listUsers();
  }

  counts(): Counts {
    const { severa } = this;
    const { calendar } = this.world;
    return {
      severaReads: severa.calls.reads,
      severaWrites: severa.calls.writes,
      googleReads: calendar.calls.reads + this.#channels.calls,
      googleWrites: calendar.calls.writes,
      published: this.#published + this.publisher.published.length,
      storeReads: this.storeOps.reads,
      storeWrites: this.storeOps.writes,
      storeDocs: this.storeOps.docs,
    };
  }

  /**
   * One Cloud Scheduler tick as `runTickCycle` runs it (a poll, the upkeep when its minute has come — every
   * {@link MAINTENANCE_EVERY_MINUTES}th — and a second poll 30 s later), with Pub/Sub delivering what each poll
   * published to the worker right away, as the push subscription does.
   */
  async tick(): Promise<TickRun> {
    const before = this.counts();
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    await pollAndRoute(this.#tick);
    const upkeep = isMaintenanceMinute(this.world.clock.now(), MAINTENANCE_EVERY_MINUTES);
    if (upkeep) await maintain(this.#tick);
    let tickMs = performance.now() - t0;
    let tickCpuMs = cpuMs(cpu0);
    const first = await this.deliver();
    this.world.clock.advance(SECOND_POLL_DELAY_MS);
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    await pollAndRoute(this.#tick);
    tickMs += performance.now() - t0;
    tickCpuMs += cpuMs(cpu0);
    const second = await this.deliver();
    this.world.clock.advance(TICK_PERIOD_MS - SECOND_POLL_DELAY_MS);
    return {
      tickMs,
      tickCpuMs,
      upkeep,
      runs: [...first, ...second],
      deliveries: [first, second],
      counts: minus(this.counts(), before),
    };
  }

  /** Delivers every published request to the real worker, one at a time; a failed run is a broken bench. */
  async deliver(): Promise<WorkerRun[]> {
    const runs: WorkerRun[] = [];
    const messages = this.publisher.take();
    this.#published += messages.length;
    for (const m of messages) {
      const before = this.counts();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const outcome = await handleSyncRequest(this.#worker, {
        request: m.request,
        messageId: m.messageId,
        publishTime: m.message.publishTime,
      });
      const ms = performance.now() - t0;
      runs.push({
        request: m.request,
        ms,
        cpuMs: cpuMs(cpu0),
        outcome,
        counts: minus(this.counts(), before),
      });
      if (outcome.kind === 'failed') {
        throw new Error(`the worker failed for ${m.request.user}: ${outcome.status.message ?? 'no message'}`);
      }
      if (outcome.kind === 'synced' && outcome.result.failed > 0) {
        throw new Error(
          `the worker left ${String(outcome.result.failed)} failed item(s) for ${m.request.user}`,
        );
      }
    }
    return runs;
  }
}
