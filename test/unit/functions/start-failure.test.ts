/**
 * A function whose configuration is invalid answers with our own short 503 and says why in the log, through every
 * entry point: never the framework's raw 500 (Pub/Sub and Google then deliver again with backoff, and the log line
 * tells the operator what to fix). Runs the entry points of functions/index.ts in this process with an invalid
 * `ORG_ID`, so building the container fails on the first call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type * as functions from '@google-cloud/functions-framework';

import type * as entryPoints from '../../../functions/index.js';

interface Answer {
  status: number;
  body: unknown;
}

function fakeRequest(headers: Record<string, string>, body?: unknown): functions.Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    headers: lower,
    body,
    rawBody: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    path: '/',
    query: {},
    method: 'POST',
    header: (name: string) => lower[name.toLowerCase()],
  } as unknown as functions.Request;
}

function fakeResponse(): { res: functions.Response; answer: Promise<Answer> } {
  let status = 200;
  let resolve: (a: Answer) => void = () => undefined;
  const answer = new Promise<Answer>((r) => (resolve = r));
  const res = {
    headersSent: false,
    status(code: number) {
      status = code;
      return res;
    },
    json(body: unknown) {
      res.headersSent = true;
      resolve({ status, body });
      return res;
    },
    end() {
      res.headersSent = true;
      resolve({ status, body: undefined });
      return res;
    },
    set() {
      return res;
    },
  };
  return { res: res as unknown as functions.Response, answer };
}

const lines: string[] = [];
const write = process.stdout.write.bind(process.stdout);
const saved = process.env.ORG_ID;

describe('a function that cannot start (invalid configuration)', () => {
  let entry: typeof entryPoints;
  before(async () => {
    process.env.ORG_ID = 'not an org id!';
    (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    entry = await import('../../../functions/index.js');
  });
  after(() => {
    (process.stdout as { write: unknown }).write = write;
    if (saved === undefined) delete process.env.ORG_ID;
    else process.env.ORG_ID = saved;
  });

  const push = { authorization: 'Bearer x.y.z', 'content-type': 'application/json' };
  const cases: [string, () => functions.HttpFunction, functions.Request, string][] = [
    [
      'syncWorker',
      () => entry.syncWorker,
      fakeRequest(push, { message: {} }),
      'the function could not start',
    ],
    ['syncTick', () => entry.syncTick, fakeRequest(push, { message: {} }), 'the function could not start'],
    [
      'calendarPush',
      () => entry.calendarPush,
      fakeRequest({ 'x-goog-resource-state': 'exists' }),
      'push notification failed',
    ],
    ['severaWebhook', () => entry.severaWebhook, fakeRequest({}, { activityGuids: ['a'] }), 'webhook failed'],
  ];
  for (const [name, fn, req, said] of cases) {
    it(`${name} answers 503 and logs "${said}"`, async () => {
      lines.length = 0;
      const { res, answer } = fakeResponse();
      await fn()(req, res);
      const got = await answer;
      assert.equal(got.status, 503);
      assert.ok(typeof got.body === 'object' && got.body !== null && 'error' in got.body);
      const logged = lines.map(
        (l) => JSON.parse(l) as { message: string; severity: string; function?: string },
      );
      const line = logged.find((l) => l.message === said);
      assert.ok(line, `logged: ${lines.join('')}`);
      assert.equal(line.severity, 'ERROR');
      assert.equal(line.function, name);
      assert.match(JSON.stringify(line), /ORG_ID/);
    });
  }

  it("calendarPush answers Google's channel handshake all the same: it needs nothing built", async () => {
    const { res, answer } = fakeResponse();
    await entry.calendarPush(fakeRequest({ 'x-goog-resource-state': 'sync' }), res);
    assert.equal((await answer).status, 200);
  });
});
