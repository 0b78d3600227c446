/** One user's primary calendar as the simulator stores it, and a stored event as the API returns it. */
import type { Json } from './event-time.js';

export interface StoredEvent {
  ev: Json;
  /** Change counter value of the last write. */
  seq: number;
}

export interface UserCalendar {
  readonly email: string;
  readonly timeZone: string;
  readonly events: Map<string, StoredEvent>;
  /** Bumped by `invalidateSyncTokens`: tokens of an older epoch get 410 (google-calendar.md §1). */
  epoch: number;
}

/**
 * All a cancelled exception of a series is returned with: Google guarantees only `id`, `status`, `recurringEventId`
 * and `originalStartTime` (google-calendar.md §3). It is stored whole (a restore brings its fields back).
 */
const CANCELLED_OCCURRENCE_FIELDS = [
  'kind',
  'etag',
  'id',
  'status',
  'recurringEventId',
  'originalStartTime',
] as const;

/** A stored event as the API returns it: a cancelled occurrence of a series as its bare stub. */
export function asReturned(ev: Json): Json {
  if (ev.status !== 'cancelled' || ev.recurringEventId === undefined) return ev;
  const stub: Json = {};
  for (const field of CANCELLED_OCCURRENCE_FIELDS) if (ev[field] !== undefined) stub[field] = ev[field];
  return stub;
}

/** The stored exceptions (modified or cancelled occurrences) of a series. */
export function exceptionsOf(cal: UserCalendar, masterId: string): Json[] {
  return [...cal.events.values()].map((s) => s.ev).filter((ev) => ev.recurringEventId === masterId);
}
