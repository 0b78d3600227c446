/**
 * What the calendar simulator's parts share: clock, dice, faults, stats, the event store, watch channels, issued
 * tokens, the rate window, the write log and the loaded seed. `createCalendarSim` (calendar-sim.ts) builds one and
 * hands it to each route module (routes/) and the dispatcher (dispatch.ts).
 */
import type { KeyObject } from 'node:crypto';

import type { Faults, RequestStats, SimClock, SimRequest, SimResponse } from '../common/index.js';
import type { Seed } from './fixture.js';
import type { IdTokenSigningKey } from './identity.js';
import type { CalendarStore } from './store.js';

/** The API's base path (discovery `servicePath`). */
export const API = '/calendar/v3';
export const EVENTS_PATH = `${API}/calendars/{calendarId}/events`;
export const EVENT_PATH = `${EVENTS_PATH}/{eventId}`;

/** events.insert / update / patch / delete: the calls that take `sendUpdates`. */
export const isEventWrite = (method: string, pattern: string): boolean =>
  method !== 'GET' && (pattern === EVENTS_PATH || pattern === EVENT_PATH);

export interface ChannelInfo {
  readonly id: string;
  readonly resourceId: string;
  readonly resourceUri: string;
  readonly token: string | undefined;
  readonly address: string;
  readonly user: string;
  readonly expiration: number;
  readonly stopped: boolean;
  readonly messageNumber: number;
}

export type Channel = { -readonly [K in keyof ChannelInfo]: ChannelInfo[K] };

/** The write log keeps this many latest entries, so a long local stack or benchmark run stays bounded. */
export const WRITE_LOG_LIMIT = 10_000;

/** One event write the API received (`GET /_sim/writes`), so tests can assert who would have been told of it. */
export interface WriteLogEntry {
  readonly method: string;
  readonly route: string;
  readonly eventId: string | null;
  readonly user: string | null;
  /** `sendUpdates` as sent; null when absent (Google's default: no notifications). */
  readonly sendUpdates: string | null;
  readonly status: number;
}

/** An API route: runs for the user its token belongs to. */
export interface ApiRoute {
  readonly method: string;
  readonly pattern: string;
  readonly handler: (req: SimRequest, user: string) => SimResponse;
}

export interface CalendarContext {
  readonly clock: SimClock;
  readonly random: () => number;
  readonly ratePerMinute: number;
  readonly faults: Faults;
  readonly stats: RequestStats;
  readonly store: CalendarStore;
  readonly channels: Map<string, Channel>;
  readonly tokens: Map<string, { user: string; expiresAt: number }>;
  /** Request times per user in the rate window. */
  readonly recent: Map<string, number[]>;
  /** Push notifications on their way. */
  readonly pending: Set<Promise<void>>;
  /** The user each authenticated request belongs to. */
  readonly requestUser: WeakMap<SimRequest, string>;
  readonly writeLog: WriteLogEntry[];
  /** The loaded seed (after parsing), its service account's public key and its users' addresses. */
  seed: Seed | null;
  saKey: KeyObject | null;
  users: Set<string>;
  /** The server's base URL, or a placeholder before it has started. */
  baseUrl(): string;
  /** The ID-token signing key, made on first use and kept through reset and reseed. */
  signingKey(): IdTokenSigningKey;
  readonly reset: () => void;
}
