/**
 * The burst part's workload (scripts/bench/burst.ts) on a running local stack: the real changes people make on both
 * sides (through the simulators' control surfaces), the snapshots that tell when each is visible on the other side,
 * the notifications Google and a Severa relay would send, and the open-loop schedule that sends them at fixed times
 * whatever the answers take.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import type { LocalStack } from '../local-stack.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../../shared/app/webhook-signature.js';
import { DEMO_TYPES, type ActivityModel } from '../../test/sim/severa/index.js';

export interface Person {
  readonly email: string;
  readonly guid: string;
}

type Json = Record<string, unknown>;

/** What both sides show at one moment. */
export interface Snapshot {
  readonly events: ReadonlyMap<string, readonly Json[]>;
  readonly activities: readonly ActivityModel[];
}

export type Direction = 'Severa → Google' | 'Google → Severa';

/** One real change made during the burst, and when it was made and first seen on the other side (epoch ms). */
export interface Change {
  readonly label: string;
  readonly direction: Direction;
  readonly make: () => void;
  readonly visible: (snapshot: Snapshot) => boolean;
  madeAt: number | null;
  seenAt: number | null;
}

export function snapshot(stack: LocalStack, people: readonly Person[]): Snapshot {
  return {
    events: new Map(
      people.map((p) => [p.email, stack.calendarSim.events(p.email).filter((e) => e.status !== 'cancelled')]),
    ),
    activities: stack.severaSim.allActivities(),
  };
}

const hasEvent = (s: Snapshot, person: Person, summary: string): boolean =>
  (s.events.get(person.email) ?? []).some((e) => e.summary === summary);
const hasActivity = (s: Snapshot, person: Person, name: string): boolean =>
  s.activities.some((a) => a.name === name && a.ownerUser.guid === person.guid);

/** Half an hour on a day after tomorrow, one slot per item and side, so no two items share a time. */
function slot(index: number, side: 'S' | 'G'): { start: string; end: string } {
  const day = new Date();
  day.setUTCHours(0, 0, 0, 0);
  const startMs = day.getTime() + 3 * 86_400_000 + (side === 'S' ? 0 : 12 * 3_600_000) + index * 1_800_000;
  return { start: new Date(startMs).toISOString(), end: new Date(startMs + 1_800_000).toISOString() };
}

function createActivity(stack: LocalStack, owner: Person, name: string, index: number): string {
  const { start, end } = slot(index, 'S');
  const created = stack.severaSim.act({
    action: 'create',
    as: owner.guid,
    activity: {
      name,
      startDateTime: start,
      endDateTime: end,
      activityType: { guid: DEMO_TYPES.meeting },
      ownerUser: { guid: owner.guid },
    },
  });
  if (created === null) throw new Error(`the Severa simulator did not create ${name}`);
  return created.guid;
}

function createEvent(stack: LocalStack, owner: Person, summary: string, index: number): string {
  const { start, end } = slot(index, 'G');
  const created = stack.calendarSim.act({
    action: 'create',
    as: owner.email,
    event: { summary, start: { dateTime: start }, end: { dateTime: end } },
  }) as Json;
  if (typeof created.id !== 'string') throw new Error(`the calendar simulator did not create ${summary}`);
  return created.id;
}

/** Items made before the burst (and synced across) so that the burst can edit them. */
export interface Prepared {
  readonly people: readonly Person[];
  readonly activities: readonly { readonly guid: string; readonly owner: Person }[];
  readonly events: readonly { readonly id: string; readonly owner: Person }[];
  /** True once every prepared item is on the other side too. */
  readonly synced: (snapshot: Snapshot) => boolean;
}

export async function prepare(
  stack: LocalStack,
  people: readonly Person[],
  count: number,
): Promise<Prepared> {
  const owner = (j: number): Person => {
    const person = people[j % people.length];
    if (person === undefined) throw new Error('no syncing person');
    return person;
  };
  const activities = Array.from({ length: count }, (_, j) => ({
    guid: createActivity(stack, owner(j), `Burst S${String(j)}`, j),
    owner: owner(j),
  }));
  const events = Array.from({ length: count }, (_, j) => ({
    id: createEvent(stack, owner(j), `Burst G${String(j)}`, j),
    owner: owner(j),
  }));
  if (activities.length > 0) await stack.notifySevera(activities.map((a) => a.guid));
  return {
    people,
    activities,
    events,
    synced: (s) =>
      activities.every((a, j) => hasEvent(s, a.owner, `Burst S${String(j)}`)) &&
      events.every((e, j) => hasActivity(s, e.owner, `Burst G${String(j)}`)),
  };
}

/**
 * `count` changes per side, half of them edits of prepared items and the rest new entries, owners alternating
 * between the syncing people. `onSeveraChange` hears the guid of each Severa change (the relay names it).
 */
export function plannedChanges(
  stack: LocalStack,
  people: readonly Person[],
  prepared: Prepared,
  count: number,
  onSeveraChange: (guid: string) => void,
): Change[] {
  const changes: Change[] = [];
  const track = (label: string, direction: Direction, make: () => void, visible: Change['visible']) =>
    changes.push({ label, direction, make, visible, madeAt: null, seenAt: null });
  for (let j = 0; j < count; j += 1) {
    const edited = prepared.activities[j];
    const owner = edited?.owner ?? people[j % people.length];
    if (owner === undefined) throw new Error('no syncing person');
    const name = edited ? `Burst S${String(j)} (edited)` : `Burst S${String(j)} (new)`;
    track(
      `Severa ${edited ? 'edit' : 'create'} ${String(j)}`,
      'Severa → Google',
      () => {
        if (edited) {
          stack.severaSim.act({ action: 'update', guid: edited.guid, as: owner.guid, changes: { name } });
          onSeveraChange(edited.guid);
        } else {
          onSeveraChange(createActivity(stack, owner, name, 100 + j));
        }
      },
      (s) => hasEvent(s, owner, name),
    );
  }
  for (let j = 0; j < count; j += 1) {
    const edited = prepared.events[j];
    const owner = edited?.owner ?? people[j % people.length];
    if (owner === undefined) throw new Error('no syncing person');
    const summary = edited ? `Burst G${String(j)} (edited)` : `Burst G${String(j)} (new)`;
    track(
      `Google ${edited ? 'edit' : 'create'} ${String(j)}`,
      'Google → Severa',
      () => {
        if (edited)
          stack.calendarSim.act({ action: 'update', as: owner.email, id: edited.id, changes: { summary } });
        else createEvent(stack, owner, summary, 100 + j);
      },
      (s) => hasActivity(s, owner, summary),
    );
  }
  return changes;
}

/** Polls both sides until every change made so far is visible, or `deadline` (epoch ms) passes. */
export async function watchConvergence(
  stack: LocalStack,
  people: readonly Person[],
  changes: readonly Change[],
  until: () => boolean,
  deadline: number,
): Promise<void> {
  for (;;) {
    const now = Date.now();
    const s = snapshot(stack, people);
    for (const change of changes) {
      if (change.madeAt !== null && change.seenAt === null && change.visible(s)) change.seenAt = now;
    }
    const done = until() && changes.every((c) => c.seenAt !== null);
    if (done || now > deadline) return;
    await sleep(20);
  }
}

// ---- notifications

export type Endpoint = 'calendarPush' | 'severaWebhook';

/** One notification's answer: HTTP status (0 when the connection failed) and answer time. */
export interface Answer {
  readonly endpoint: Endpoint;
  readonly status: number;
  readonly ms: number;
  readonly error?: string;
}

/** The headers Google sends on a change, for each syncing person's channel (its secret token as Google has it). */
export async function pushHeaders(stack: LocalStack): Promise<Record<string, string>[]> {
  const simChannels = stack.calendarSim.channels().filter((c) => !c.stopped);
  const out: Record<string, string>[] = [];
  for (const user of await stack.container.stores.users.listUsers()) {
    const channel = user.enabled ? simChannels.find((c) => c.id === user.channel?.id) : undefined;
    if (channel?.token === undefined) continue;
    out.push({
      'x-goog-channel-id': channel.id,
      'x-goog-channel-token': channel.token,
      'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-uri': channel.resourceUri,
      'x-goog-resource-state': 'exists',
    });
  }
  return out;
}

/** Sends one request and times it until the whole answer is in. */
export async function timed(endpoint: Endpoint, send: () => Promise<number>): Promise<Answer> {
  const started = performance.now();
  try {
    const status = await send();
    return { endpoint, status, ms: performance.now() - started };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    const message = error instanceof Error ? `${error.name}: ${error.message}${cause}` : String(error);
    return { endpoint, status: 0, ms: performance.now() - started, error: message };
  }
}

/** A Google push notification: no body, the channel in the headers. */
export async function postPush(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.status;
}

/**
 * A signed change notice, signed as the stack's `notifySevera` signs it (shared/app/webhook-signature.ts), with a
 * time limit a relay would have: a notice not answered within it counts as not answered.
 */
export async function postNotice(
  url: string,
  secret: string,
  activityGuids: readonly string[],
  timeoutMs: number,
): Promise<number> {
  const body = JSON.stringify({ activityGuids });
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Something to do at `at` ms after the burst starts. */
export interface Scheduled {
  readonly at: number;
  readonly run: () => void;
}

/** `count` times spread evenly over `windowMs`, shifted by `phase` (0–1) of a step so streams interleave. */
export function spread(count: number, windowMs: number, phase: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i + phase) * windowMs) / count);
}

/** Runs each item at its time (open loop: nothing waits for an answer); returns when the last has started. */
export async function runSchedule(items: readonly Scheduled[], startedAt: number): Promise<void> {
  const sorted = [...items].sort((a, b) => a.at - b.at);
  for (const item of sorted) {
    const wait = startedAt + item.at - performance.now();
    if (wait > 1) await sleep(wait);
    item.run();
  }
}
