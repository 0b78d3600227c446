/** Helpers for the simulator's own tests: sign a JWT-bearer assertion and call the API like a client would. */
import { sign } from 'node:crypto';

import { withContractRecording } from '../common/index.js';

import { CALENDAR_SCOPE, DEMO_SERVICE_ACCOUNT, createDemoKey, demoFixture } from './demo-fixture.js';
import { createCalendarSim, type CalendarSim, type CalendarSimOptions } from './calendar-sim.js';
import { JWT_BEARER } from './oauth.js';
import { privateKeyPemFromP12, type ServiceAccountKey } from './keys.js';

/** One key per test process: generating RSA keys is the slow part. */
let cached: ServiceAccountKey | null = null;
export function demoKey(): ServiceAccountKey {
  cached ??= createDemoKey();
  return cached;
}

export interface Claims {
  readonly iss?: string;
  readonly sub?: string;
  readonly scope?: string;
  readonly aud?: string;
  readonly iat?: number;
  readonly exp?: number;
}

export function signAssertion(
  privateKeyPem: string,
  claims: Claims & { aud: string },
  nowMs = Date.now(),
): string {
  const iat = Math.floor(nowMs / 1000);
  const payload = { iss: DEMO_SERVICE_ACCOUNT, scope: CALENDAR_SCOPE, iat, exp: iat + 3600, ...claims };
  const enc = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const data = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(payload)}`;
  return `${data}.${sign('RSA-SHA256', Buffer.from(data), privateKeyPem).toString('base64url')}`;
}

export async function requestToken(sim: CalendarSim, assertion: string): Promise<Response> {
  return fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
  });
}

export interface Harness {
  readonly sim: CalendarSim;
  readonly key: ServiceAccountKey;
  token(user: string): Promise<string>;
  /** Drops cached access tokens (a reseed or reset forgets every token the simulator issued). */
  forgetTokens(): void;
  /** A Calendar API call as `user`; `path` is below `/calendar/v3`. */
  call(
    user: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

export async function startDemo(options: CalendarSimOptions = {}): Promise<Harness> {
  const key = demoKey();
  const onResponse = withContractRecording(options.onResponse);
  const sim = createCalendarSim({ ...options, ...(onResponse ? { onResponse } : {}) });
  await sim.start();
  sim.seed(demoFixture(key));
  const tokens = new Map<string, string>();
  // The client path of google-calendar.md §5: the PEM comes out of the P12.
  const pem = privateKeyPemFromP12(key.p12);
  const token = async (user: string): Promise<string> => {
    const known = tokens.get(user);
    if (known !== undefined) return known;
    const res = await requestToken(sim, signAssertion(pem, { sub: user, aud: sim.tokenUrl }));
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || body.access_token === undefined)
      throw new RangeError(`token for ${user}: ${res.status}`);
    tokens.set(user, body.access_token);
    return body.access_token;
  };
  return {
    sim,
    key,
    token,
    forgetTokens: () => {
      tokens.clear();
    },
    call: async (user, method, path, body, headers = {}) =>
      fetch(`${sim.url}/calendar/v3${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await token(user)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}
