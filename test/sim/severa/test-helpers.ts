/** Shared setup for the Severa simulator tests (not a test file itself). */
import { SteppedClock, withContractRecording } from '../common/index.js';
import type { ResponseLogEntry } from '../common/index.js';
import { DEMO_CREDENTIALS, demoFixture } from './demo-fixture.js';
import { createSeveraSim, type SeveraSim } from './severa-sim.js';

export const T0 = '2026-11-20T12:00:00Z';

export interface Harness {
  readonly sim: SeveraSim;
  readonly clock: SteppedClock;
  readonly url: string;
  readonly log: ResponseLogEntry[];
  token: string;
  /** Calls the API with the demo credential's token and Client_Id. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(opts: { rateLimitPerSecond?: number } = {}): Promise<Harness> {
  const clock = new SteppedClock(T0);
  const log: ResponseLogEntry[] = [];
  const sim = createSeveraSim({
    clock,
    seed: 42,
    rateLimitPerSecond: opts.rateLimitPerSecond ?? 10_000,
    onResponse: withContractRecording((e) => {
      log.push(e);
    }),
  });
  const server = await sim.start();
  sim.seed(demoFixture);
  const harness: Harness = {
    sim,
    clock,
    url: server.url,
    log,
    token: sim.issueToken(DEMO_CREDENTIALS.clientId),
    async api(method, path, body, headers = {}) {
      return fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${harness.token}`,
          client_id: DEMO_CREDENTIALS.clientId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    close: () => sim.stop(),
  };
  return harness;
}

export interface ErrorBody {
  error: { httpStatusCode: number; type: string; details: { message: string }[] };
}

export async function errorOf(res: Response): Promise<ErrorBody> {
  return (await res.json()) as ErrorBody;
}

export interface ActivityJson {
  guid: string;
  name: string;
  startDateTime: string;
  endDateTime: string | null;
  notes: string | null;
  recurrenceType: string;
  recurrenceParentActivityGuid: string | null;
  recurrence: { exceptions: string[] } | null;
  lastUpdatedDateTime: string;
  createdDateTime: string;
  lastUpdatedBy: { guid: string } | null;
  createdBy: { guid: string } | null;
  activityType: { guid: string; name: string; category: string };
  ownerUser: { guid: string };
}

export async function jsonOf<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
