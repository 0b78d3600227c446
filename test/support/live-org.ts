/**
 * A whole organisation on real infrastructure: the Severa and Google Calendar simulators (real HTTP), the official
 * Firestore emulator, and the production composition root (`createContainer`) with the real adapters, worker and
 * tick. Sync requests go through the in-memory publisher so a test decides when (and how often, and how
 * concurrently) each is delivered; test/integration/pubsub-flow tests the same path over the Pub/Sub emulator.
 *
 * People act only through the simulators' control surface (`act`), as they would in each product's own UI.
 */
import { randomUUID } from 'node:crypto';

import { Firestore } from '@google-cloud/firestore';

import { createContainer, type Container } from '../../shared/app/container.js';
import { maintain, pollAndRoute } from '../../shared/app/sync-tick.js';
import { handleSyncRequest, type WorkerOutcome } from '../../shared/app/sync-worker.js';
import { MemorySyncRequestPublisher } from '../../shared/adapters/memory/memory.publisher.js';
import { decodeSyncRequest } from '../../shared/adapters/pubsub/sync-request.codec.js';
import { MemorySecretSource } from '../../shared/adapters/secrets/memory.secret-source.js';
import { RateLimiter } from '../../shared/adapters/throttle.js';
import { SECRET_NAMES, parseConfig } from '../../shared/config.js';
import { SyncError } from '../../shared/domain/index.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import type { Clock, SyncRequest, SyncRequestPublisher, UserRecord } from '../../shared/ports/index.js';
import { defaultSettings } from '../../shared/domain/settings.js';
import { createCalendarSim, type CalendarSim } from '../sim/calendar/calendar-sim.js';
import {
  DEMO_SERVICE_ACCOUNT,
  createDemoKey,
  demoFixture as calendarDemo,
} from '../sim/calendar/demo-fixture.js';
import type { ServiceAccountKey } from '../sim/calendar/keys.js';
import { createSeveraSim, type ActivityModel, type SeveraSim } from '../sim/severa/index.js';
import {
  DEMO_CREDENTIALS,
  DEMO_TYPES,
  DEMO_USERS,
  demoFixture as severaDemo,
} from '../sim/severa/demo-fixture.js';
import { withContractRecording } from '../sim/common/contract-recorder.js';
import type { StatsRow } from '../sim/common/stats.js';
import { EMULATOR_PROJECT, emulatorHost } from '../../scripts/emulators.js';

export const PEOPLE = {
  aino: { guid: DEMO_USERS.helsinki, email: 'aino@demo.example' },
  ben: { guid: DEMO_USERS.newYork, email: 'ben@demo.example' },
  cecilia: { guid: DEMO_USERS.london, email: 'cecilia@demo.example' },
} as const;
export type Person = keyof typeof PEOPLE;

export { DEMO_TYPES };

/** A live (not cancelled) event of a calendar as the simulator stores it. */
export type SimEvent = Record<string, unknown> & { id: string; summary?: string };

let sharedKey: ServiceAccountKey | null = null;

export interface LiveOrgOptions {
  /**
   * Who is in the sync's user directory: everyone (the others with sync off), or only those who have it on (as in an
   * organisation where only people who opted in were ever put there; the bench measures per-person cost so).
   */
  readonly directory?: 'everyone' | 'syncing';
  /** Who has sync on (the others exist on both sides but are not synced). Default aino and ben. */
  readonly syncing?: readonly Person[];
  readonly pushAddress?: string;
  /** More configuration variables (e.g. `SAFETY_SYNC_INTERVAL_MS`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where sync requests go; an in-memory publisher the test delivers from by default. */
  readonly publisher?: SyncRequestPublisher;
  /**
   * The container's clock (the bench runs an hour of ticks in moments); real time by default. The simulators keep
   * real time: their change stamps are only compared with each other, and Google's token exchange signs with the
   * real clock, which the calendar simulator checks as Google does.
   */
  readonly clock?: Clock;
}

export interface DeliveryReport {
  readonly outcomes: WorkerOutcome[];
  /** Deliveries that threw (and were redelivered), by error code. */
  readonly redeliveries: string[];
}

export class LiveOrg {
  /** Throw from here to simulate the worker dying after a durable step; null runs normally. */
  onStep: ((step: string) => void) | null = null;
  readonly sleeps: number[] = [];

  private constructor(
    readonly severaSim: SeveraSim,
    readonly calendarSim: CalendarSim,
    readonly container: Container,
    readonly publisher: MemorySyncRequestPublisher,
    readonly logger: ReturnType<typeof createMemoryLogger>,
    readonly firestore: Firestore,
    /** What must never be logged: the client secret, the P12 and its PEM, and every token the APIs issued. */
    readonly confidential: { readonly secrets: readonly string[]; readonly tokens: readonly string[] },
  ) {}

  /** Starts everything, or returns the reason it cannot run here (an emulator is missing). */
  static async start(options: LiveOrgOptions = {}): Promise<LiveOrg | { skip: string }> {
    const emulator = await emulatorHost('firestore');
    if ('skip' in emulator) return { skip: emulator.skip };
    process.env.METADATA_SERVER_DETECTION ??= 'none';

    // Every access token the simulators issue, so tests can prove none reaches a log line.
    const issuedTokens: string[] = [];
    const onResponse = withContractRecording(
      (entry: { routeKey: string; responseBody: unknown }) => {
        const body = entry.responseBody as { access_token?: unknown; refresh_token?: unknown } | undefined;
        for (const token of [body?.access_token, body?.refresh_token]) {
          if (typeof token === 'string') issuedTokens.push(token);
        }
      },
      { clientRequests: true },
    );
    const severaSim = createSeveraSim({ rateLimitPerSecond: 10_000, onResponse });
    await severaSim.start(0);
    severaSim.seed({ ...severaDemo, activities: [] });
    sharedKey ??= createDemoKey();
    const calendarSim = createCalendarSim({ perUserRatePerMinute: 100_000, onResponse });
    await calendarSim.start(0);
    calendarSim.seed({ ...calendarDemo(sharedKey), events: {} });

    const firestore = new Firestore({ projectId: EMULATOR_PROJECT, host: emulator.host, ssl: false });
    const config = parseConfig({
      SECRET_SOURCE: 'env',
      ORG_ID: `live-${randomUUID().slice(0, 8)}`,
      SEVERA_API_URL: severaSim.url,
      SEVERA_CLIENT_ID: DEMO_CREDENTIALS.clientId,
      GOOGLE_API_ROOT_URL: calendarSim.url,
      GOOGLE_TOKEN_URL: calendarSim.tokenUrl,
      LOG_LEVEL: 'debug',
      ...(options.pushAddress ? { PUSH_ADDRESS: options.pushAddress } : {}),
      ...options.env,
    });
    const p12 = sharedKey.p12.toString('base64');
    const secrets = new MemorySecretSource({
      [SECRET_NAMES.severaClientSecret]: DEMO_CREDENTIALS.clientSecret,
      [SECRET_NAMES.googleP12]: p12,
    });
    const logger = createMemoryLogger('debug');
    let org: LiveOrg | null = null;
    const publisher = new MemorySyncRequestPublisher();
    const container = createContainer(config, {
      ...(options.clock ? { clock: options.clock } : {}),
      firestore,
      secrets,
      publisher: options.publisher ?? publisher,
      logger,
      // Backoff waits are recorded, not slept: storms stay fast and the waits can be asserted.
      sleep: (ms) => {
        org?.sleeps.push(ms);
        return Promise.resolve();
      },
      // Pacing is proved by the Severa adapter's own suite; here it would only slow every scenario down.
      severaRateLimiter: new RateLimiter({ ratePerSecond: Number.POSITIVE_INFINITY }),
      onStep: (step) => org?.onStep?.(step),
    });
    org = new LiveOrg(severaSim, calendarSim, container, publisher, logger, firestore, {
      secrets: [DEMO_CREDENTIALS.clientSecret, p12, sharedKey.privateKeyPem],
      tokens: issuedTokens,
    });
    await org.setUp(options.syncing ?? ['aino', 'ben'], options.directory ?? 'everyone');
    return org;
  }

  /** What the operator's org setup does: settings from Severa's activity types, users from Severa's directory. */
  private async setUp(syncing: readonly Person[], directory: 'everyone' | 'syncing'): Promise<void> {
    const severa = await this.container.severa();
    const types = await severa.listActivityTypes();
    await this.container.stores.orgConfig.putOrgConfig({
      enabled: true,
      serviceAccountEmail: DEMO_SERVICE_ACCOUNT,
      severaClientId: 'demo-sync-client',
      sync: defaultSettings({
        activityTypes: types,
        syncedActivityTypeGuids: [DEMO_TYPES.meeting, DEMO_TYPES.personal, DEMO_TYPES.customerVisit],
      }),
      updatedAt: new Date().toISOString(),
    });
    const on = new Set<string>(syncing.map((p) => PEOPLE[p].guid));
    for (const user of await severa.listUsers()) {
      if (!Object.values(PEOPLE).some((p) => p.guid === user.severaUserGuid)) continue;
      if (directory === 'syncing' && !on.has(user.severaUserGuid)) continue;
      const record: UserRecord = {
        ...user,
        enabled: on.has(user.severaUserGuid),
        channel: null,
        lastReconcileAt: null,
        lastCompleteRunStartedAt: null,
        lastSafetyRequestAt: null,
      };
      await this.container.stores.users.putUser(record);
    }
  }

  async user(person: Person): Promise<UserRecord> {
    const user = await this.container.stores.users.getUser(PEOPLE[person].guid);
    if (!user) throw new Error(`${person} is not in the directory`);
    return user;
  }

  /** Publishes a sync request for a person (what calendarPush / severaWebhook / the tick do). */
  async request(person: Person, overrides: Partial<SyncRequest> = {}): Promise<string> {
    return this.container.publisher.publish({
      user: PEOPLE[person].guid,
      reason: 'manual',
      requestedAt: this.container.clock.now().toISOString(),
      reconcile: false,
      ...overrides,
    });
  }

  /** One org poll (the tick's first half): routed changes become sync requests. */
  async poll(): Promise<readonly string[]> {
    return (await pollAndRoute(await this.container.tickDeps())).requested;
  }

  async maintain(): Promise<void> {
    await maintain(await this.container.tickDeps());
  }

  /**
   * Delivers every pending request to the worker as Pub/Sub would: a delivery that throws is delivered again
   * (up to `maxDeliveries` in all), requests published meanwhile are delivered too.
   */
  async drain(maxDeliveries = 20): Promise<DeliveryReport> {
    const outcomes: WorkerOutcome[] = [];
    const redeliveries: string[] = [];
    let pending = this.publisher.take().map((p) => ({ message: p.message, attempts: 0 }));
    while (pending.length > 0) {
      const next: typeof pending = [];
      for (const item of pending) {
        try {
          outcomes.push(await this.deliver(item.message));
        } catch (error) {
          redeliveries.push(error instanceof SyncError ? error.code : String(error));
          if (item.attempts + 1 >= maxDeliveries) throw error;
          next.push({ message: item.message, attempts: item.attempts + 1 });
        }
      }
      pending = [...next, ...this.publisher.take().map((p) => ({ message: p.message, attempts: 0 }))];
    }
    return { outcomes, redeliveries };
  }

  /** One delivery of a published message to the worker (throws what the function would throw). */
  async deliver(message: unknown): Promise<WorkerOutcome> {
    const decoded = decodeSyncRequest(message);
    return handleSyncRequest(await this.container.workerDeps(), {
      request: decoded.request,
      messageId: decoded.messageId,
      publishTime: decoded.publishTime ?? this.container.clock.now().toISOString(),
    });
  }

  /** Requests and delivers a sync for each person until nothing is pending. */
  async syncAll(people: readonly Person[] = ['aino', 'ben'], reconcile = false): Promise<DeliveryReport> {
    for (const p of people) await this.request(p, { reconcile });
    return this.drain();
  }

  // ---- The two sides as they are (the oracle reads the simulators directly, never through the adapters)

  /** Activities that are entries (single or series master), not expanded occurrences or exception rows. */
  activities(): ActivityModel[] {
    return this.severaSim
      .allActivities()
      .filter((a) => a.recurrenceType === 'None' || a.recurrenceType === 'Series');
  }

  activitiesNamed(name: string): ActivityModel[] {
    return this.activities().filter((a) => a.name === name);
  }

  /** Live events and series masters of a person's calendar (cancelled events and exception instances left out). */
  events(person: Person): SimEvent[] {
    return this.calendarSim
      .events(PEOPLE[person].email)
      .filter((e) => e.status !== 'cancelled' && e.recurringEventId === undefined) as SimEvent[];
  }

  eventsNamed(person: Person, summary: string): SimEvent[] {
    return this.events(person).filter((e) => e.summary === summary);
  }

  /** Every exception instance (moved or cancelled occurrence) of a person's series. */
  exceptions(person: Person, masterId: string): SimEvent[] {
    return this.calendarSim
      .events(PEOPLE[person].email)
      .filter((e) => e.recurringEventId === masterId) as SimEvent[];
  }

  /** Writes made to either API so far (2xx answers to POST/PATCH/PUT/DELETE; tokens, watch and control excluded). */
  writes(): { severa: number; google: number } {
    const count = (rows: readonly StatsRow[]) =>
      rows
        .filter(
          (r) => r.method !== 'GET' && r.status < 300 && !/token|\/_sim\/|watch|channels\/stop/.test(r.route),
        )
        .reduce((n, r) => n + r.count, 0);
    return { severa: count(this.severaSim.stats.rows()), google: count(this.calendarSim.stats.rows()) };
  }

  /** Requests answered with `status` on a route (e.g. the injected 429s a storm produced). */
  answered(sim: 'severa' | 'google', filter: Partial<Omit<StatsRow, 'count'>>): number {
    return (sim === 'severa' ? this.severaSim : this.calendarSim).stats.total(filter);
  }

  async close(): Promise<void> {
    await Promise.all([this.severaSim.stop(), this.calendarSim.stop()]);
    await this.firestore.terminate();
  }
}
