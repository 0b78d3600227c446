/**
 * Hostile input against the functions as the Functions Framework serves them (issue 10): the local stack (the
 * official emulators, both simulators, the four functions behind their edge guard, Pub/Sub's authenticated push
 * through its stand-in) and a second functions process for the replay test. Every input below must be refused
 * with a 4xx (or get the documented 2xx: the push handshake, a replayed notice), change nothing in Firestore
 * (the organisation's documents compared before and after), keep the process's memory within a stated bound, and
 * leave no secret and no body text in any log line (our logger's, and whatever reaches stdout or stderr).
 *
 * Prints `hostile: <N> inputs, <R> refused, <C> state changes, <L> leaks`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, createSign, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGzip, brotliCompressSync } from 'node:zlib';

import { Firestore, type DocumentReference } from '@google-cloud/firestore';

import { LOCAL_CONSOLE_CLIENT_ID, startLocalStack, type LocalStack } from '../../scripts/local-stack.js';
import { signWebhook } from '../../shared/app/webhook-signature.js';
import { docId } from '../../shared/adapters/firestore/codec.js';
import { SECRET_NAMES } from '../../shared/config.js';
import { emulatorStatus, freePort, stopOwnEmulators } from '../../scripts/emulators.js';

const statuses = (['firestore', 'pubsub'] as const).map((name) => emulatorStatus(name));
const skip = statuses.flatMap((s) => (s.ok ? [] : [s.reason]))[0] ?? null;
if (skip !== null) console.log(`skipped: ${skip}`);

/** Text put into hostile bodies and headers: none of it may appear in a log line. */
const MARKER = `hostile-${randomUUID()}`;
/** Growth of the process's resident memory allowed over the whole hostile run (before: +513 MB for one body). */
const MEMORY_BOUND_MB = 150;

interface Answer {
  readonly status: number;
  readonly text: string;
}

interface Input {
  readonly name: string;
  readonly send: () => Promise<Answer>;
  /** The documented 2xx answers (handshake, replay); everything else must be a 4xx. */
  readonly ok?: readonly number[];
}

/** A raw HTTP request: any method, headers and body, a declared length that may lie, a streamed body. */
function raw(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    chunks?: Iterable<Buffer>;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    // The server may answer and close before the whole body is sent: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 0, text: error.code });
      else reject(error);
    });
    if (options.chunks) {
      void (async () => {
        try {
          for (const chunk of options.chunks!) {
            if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
            if (req.destroyed) return;
          }
          req.end();
        } catch {
          req.destroy();
        }
      })();
    } else {
      req.end(options.body);
    }
  });
}

/** A gzip of `megabytes` MB of spaces, made in 1 MB steps (the bomb of issue 10 #1, about 300 KB per 300 MB). */
async function gzipBomb(megabytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => gzip.on('end', r));
  const mb = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < megabytes; i += 1) {
    if (!gzip.write(mb)) await new Promise((r) => gzip.once('drain', r));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}

function chunked(total: number, size = 16 * 1024): Iterable<Buffer> {
  return (function* () {
    for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(size, 0x61);
  })();
}

/** Every document of the organisation, path → data, for the before/after comparison. */
async function snapshot(firestore: Firestore, orgId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (doc: DocumentReference) => {
    const snap = await doc.get();
    if (snap.exists) out.set(doc.path, JSON.stringify(snap.data()));
    for (const collection of await doc.listCollections()) {
      for (const child of await collection.listDocuments()) await walk(child);
    }
  };
  await walk(firestore.collection('orgs').doc(docId(orgId)));
  return out;
}

function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => a.get(p) !== b.get(p));
}

/** A token like Google's, signed with a key nobody publishes. */
function forgedToken(aud: string, email: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'forged' })}.${b64({
    iss: 'https://accounts.google.com',
    aud,
    email,
    email_verified: true,
    iat: now,
    exp: now + 3600,
  })}`;
  const signer = createSign('RSA-SHA256');
  signer.update(head);
  return `${head}.${signer.sign(privateKey).toString('base64url')}`;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('hostile input to the functions (issue 10)', { skip: skip ?? false }, () => {
  let stack: LocalStack;
  let firestore: Firestore;
  let secret: string;
  const log: string[] = [];
  const secrets: string[] = [];

  before(async () => {
    stack = await startLocalStack({
      tickIntervalMs: 3_600_000,
      secondPollDelayMs: 0,
      logLevel: 'debug',
      writeLog: (line) => log.push(line),
    });
    firestore = new Firestore({ projectId: stack.projectId });
    secret = await stack.container.secrets.get(SECRET_NAMES.webhookSecret);
    secrets.push(secret, await stack.container.secrets.get(SECRET_NAMES.googleP12));
    // Quiet: the demo users' first syncs are done, nothing else is under way.
    await until('the first syncs', async () => {
      const syncing = (await stack.container.stores.users.listUsers()).filter((u) => u.enabled);
      for (const user of syncing) {
        const status = await stack.container.stores.store.getStatus(user.severaUserGuid);
        if (status.lastSuccessAt === null || user.channel === null) return false;
      }
      return syncing.length > 0;
    });
    await new Promise((r) => setTimeout(r, 1500));
  });

  after(async () => {
    await firestore.terminate();
    await stack.stop();
    await stopOwnEmulators();
  });

  function signed(body: string | Buffer, at = Math.floor(Date.now() / 1000)): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-sync-timestamp': String(at),
      'x-sync-signature': signWebhook(secret, at, body),
    };
  }

  it('refuses every hostile input, changes nothing, stays within memory and leaks nothing', async () => {
    const url = (path: string) => `${stack.functionsUrl}${path}`;
    const channel = (await stack.container.stores.users.listUsers()).find((u) => u.channel !== null)?.channel;
    assert.ok(channel, 'a syncing user with a push channel');
    const push = (headers: Record<string, string>, body?: string) =>
      raw(url('/calendarPush'), { headers, ...(body === undefined ? {} : { body }) });
    const pushHeaders = {
      'x-goog-channel-id': channel.id,
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-state': 'exists',
      'x-goog-message-number': '99',
    };
    const envelope = JSON.stringify({
      message: {
        data: Buffer.from(
          JSON.stringify({
            user: MARKER,
            reason: 'push',
            requestedAt: new Date().toISOString(),
            reconcile: true,
          }),
        ).toString('base64'),
        messageId: MARKER,
      },
      subscription: 'projects/p/subscriptions/s',
    });
    const worker = url(`/syncWorker/projects/${stack.projectId}/topics/${stack.topics.syncRequests}`);
    const tick = url(`/syncTick/projects/${stack.projectId}/topics/${stack.topics.syncTick}`);
    const bearer = (token: string) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
    });
    const bomb = await gzipBomb(300);
    const consoleUrl = (path: string) => url(`/console${path}`);
    const idToken = (email: string, claims: { audience?: string; expiresInSeconds?: number } = {}) => ({
      authorization: `Bearer ${stack.calendarSim.issueIdToken({ email, audience: LOCAL_CONSOLE_CLIENT_ID, ...claims })}`,
    });
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const manyGuids = JSON.stringify({ activityGuids: Array.from({ length: 5000 }, (_, i) => `g-${i}`) });
    const validNotice = JSON.stringify({ activityGuids: [MARKER] });

    const inputs: Input[] = [
      // calendarPush
      { name: 'push: GET', send: () => raw(url('/calendarPush'), { method: 'GET' }) },
      { name: 'push: PUT', send: () => raw(url('/calendarPush'), { method: 'PUT', body: '{}' }) },
      { name: 'push: no headers', send: () => push({}) },
      {
        name: 'push: 1,500-byte channel id',
        send: () => push({ ...pushHeaders, 'x-goog-channel-id': 'c'.repeat(1500) }),
      },
      {
        name: 'push: channel id with odd characters',
        send: () => push({ ...pushHeaders, 'x-goog-channel-id': `${MARKER}/../x` }),
      },
      {
        name: 'push: unknown channel',
        send: () =>
          push({ ...pushHeaders, 'x-goog-channel-id': 'unknown-1', 'x-goog-channel-token': MARKER }),
      },
      { name: 'push: forged token', send: () => push({ ...pushHeaders, 'x-goog-channel-token': MARKER }) },
      { name: 'push: no token', send: () => push(pushHeaders) },
      {
        name: 'push: 10 KB token',
        send: () => push({ ...pushHeaders, 'x-goog-channel-token': MARKER + 'x'.repeat(10_000) }),
      },
      {
        name: 'push: a body',
        send: () => push({ ...pushHeaders, 'content-type': 'application/json' }, JSON.stringify({ MARKER })),
      },
      {
        name: 'push: gzip bomb',
        send: () =>
          raw(url('/calendarPush'), {
            headers: { ...pushHeaders, 'content-encoding': 'gzip', 'content-type': 'application/json' },
            body: bomb,
          }),
      },
      {
        name: 'push: handshake (documented 200)',
        send: () => push({ ...pushHeaders, 'x-goog-resource-state': 'sync' }),
        ok: [200],
      },
      { name: 'push: 20 KB header', send: () => push({ ...pushHeaders, 'x-padding': 'p'.repeat(20_000) }) },
      // severaWebhook
      { name: 'webhook: GET', send: () => raw(url('/severaWebhook'), { method: 'GET' }) },
      {
        name: 'webhook: unsigned',
        send: () =>
          raw(url('/severaWebhook'), { headers: { 'content-type': 'application/json' }, body: validNotice }),
      },
      {
        name: 'webhook: wrong signature',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: { ...signed(validNotice), 'x-sync-signature': `sha256=${'0'.repeat(64)}` },
            body: validNotice,
          }),
      },
      {
        name: 'webhook: old timestamp',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: signed(validNotice, Math.floor(Date.now() / 1000) - 3600),
            body: validNotice,
          }),
      },
      {
        name: 'webhook: signed for another body',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: signed(validNotice),
            body: JSON.stringify({ activityGuids: ['other'] }),
          }),
      },
      {
        name: 'webhook: gzip bomb',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
            body: bomb,
          }),
      },
      {
        name: 'webhook: brotli',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
            body: brotliCompressSync(Buffer.from(validNotice)),
          }),
      },
      {
        name: 'webhook: declared 100 MB',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) },
            chunks: chunked(64 * 1024),
          }),
      },
      {
        name: 'webhook: chunked 15 MB',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
            chunks: chunked(15 * 1024 * 1024),
          }),
      },
      {
        name: 'webhook: malformed JSON',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: signed(`{"activityGuids": [${MARKER}`),
            body: `{"activityGuids": [${MARKER}`,
          }),
      },
      {
        name: 'webhook: deeply nested JSON',
        send: () => raw(url('/severaWebhook'), { headers: signed(deep), body: deep }),
      },
      {
        name: 'webhook: __proto__',
        send: () => {
          const b = `{"activityGuids":["x"],"__proto__":{"polluted":"${MARKER}"}}`;
          return raw(url('/severaWebhook'), { headers: signed(b), body: b });
        },
      },
      {
        name: 'webhook: wrong types',
        send: () => {
          const b = JSON.stringify({ activityGuids: MARKER });
          return raw(url('/severaWebhook'), { headers: signed(b), body: b });
        },
      },
      {
        name: 'webhook: 5,000 guids',
        send: () => raw(url('/severaWebhook'), { headers: signed(manyGuids), body: manyGuids }),
      },
      {
        name: 'webhook: text/plain',
        send: () =>
          raw(url('/severaWebhook'), {
            headers: { ...signed(validNotice), 'content-type': 'text/plain' },
            body: validNotice,
          }),
      },
      {
        name: 'webhook: form with a secret',
        send: () => {
          const b = `client_secret=${MARKER}&access_token=${MARKER}`;
          return raw(url('/severaWebhook'), {
            headers: { ...signed(b), 'content-type': 'application/x-www-form-urlencoded' },
            body: b,
          });
        },
      },
      {
        name: 'webhook: secret in the query string',
        send: () =>
          raw(url(`/severaWebhook?client_secret=${MARKER}`), {
            headers: { 'content-type': 'application/json' },
            body: validNotice,
          }),
      },
      // syncTick and syncWorker: only Pub/Sub's authenticated push
      {
        name: 'tick: {"zzz":1} without a token',
        send: () => raw(tick, { headers: { 'content-type': 'application/json' }, body: '{"zzz":1}' }),
      },
      {
        name: 'worker: hand-made envelope without a token',
        send: () => raw(worker, { headers: { 'content-type': 'application/json' }, body: envelope }),
      },
      {
        name: 'worker: garbage bearer',
        send: () => raw(worker, { headers: bearer(MARKER), body: envelope }),
      },
      {
        name: 'worker: token signed by an unknown key',
        send: () =>
          raw(worker, {
            headers: bearer(
              forgedToken(stack.functionsUrl, `pubsub-push@${stack.projectId}.iam.gserviceaccount.com`),
            ),
            body: envelope,
          }),
      },
      {
        name: 'worker: expired token',
        send: () => raw(worker, { headers: bearer(stack.pushToken({ expiresIn: -600 })), body: envelope }),
      },
      {
        name: 'worker: token for another audience',
        send: () =>
          raw(worker, {
            headers: bearer(stack.pushToken({ aud: 'https://elsewhere.example' })),
            body: envelope,
          }),
      },
      {
        name: 'worker: token of another account',
        send: () =>
          raw(worker, {
            headers: bearer(stack.pushToken({ email: 'intruder@example.com' })),
            body: envelope,
          }),
      },
      {
        name: 'worker: unverified e-mail',
        send: () =>
          raw(worker, { headers: bearer(stack.pushToken({ emailVerified: false })), body: envelope }),
      },
      {
        name: 'tick: expired token',
        send: () => raw(tick, { headers: bearer(stack.pushToken({ expiresIn: -600 })), body: '{"zzz":1}' }),
      },
      { name: 'worker: GET', send: () => raw(worker, { method: 'GET' }) },
      {
        name: 'worker: 20 KB body',
        send: () =>
          raw(worker, {
            headers: bearer(stack.pushToken()),
            body: JSON.stringify({ message: { data: 'A'.repeat(20_000) } }),
          }),
      },
      // console: signed in with Google, each person only their own sync
      { name: 'console: no token', send: () => raw(consoleUrl('/api/me'), { method: 'GET' }) },
      {
        name: 'console: forged signature',
        send: () =>
          raw(consoleUrl('/api/me'), {
            method: 'GET',
            headers: { authorization: `Bearer ${forgedToken(LOCAL_CONSOLE_CLIENT_ID, 'ben@demo.example')}` },
          }),
      },
      {
        name: 'console: expired token',
        send: () =>
          raw(consoleUrl('/api/me'), {
            method: 'GET',
            headers: idToken('ben@demo.example', { expiresInSeconds: -600 }),
          }),
      },
      {
        name: 'console: token for another client',
        send: () =>
          raw(consoleUrl('/api/me'), {
            method: 'GET',
            headers: idToken('ben@demo.example', { audience: 'other.apps.googleusercontent.com' }),
          }),
      },
      {
        name: 'console: a person on an admin route',
        send: () =>
          raw(consoleUrl('/api/admin/people'), { method: 'GET', headers: idToken('ben@demo.example') }),
      },
      {
        name: "console: a person reading someone else's audit",
        send: () =>
          raw(consoleUrl('/api/admin/people/aino%40demo.example/audit'), {
            method: 'GET',
            headers: idToken('ben@demo.example'),
          }),
      },
      {
        name: 'console: an admin switching sync on for someone else',
        send: () =>
          raw(consoleUrl('/api/admin/people/cecilia%40demo.example/sync-on'), {
            headers: { ...idToken('aino@demo.example'), 'content-type': 'application/json' },
            body: '{}',
          }),
      },
      {
        name: 'console: a change from another origin',
        send: () =>
          raw(consoleUrl('/api/me/sync'), {
            method: 'PUT',
            headers: {
              ...idToken('ben@demo.example'),
              'content-type': 'application/json',
              origin: 'https://evil.example',
            },
            body: '{"enabled":false}',
          }),
      },
      {
        name: 'console: unknown field',
        send: () =>
          raw(consoleUrl('/api/me/sync'), {
            method: 'PUT',
            headers: { ...idToken('ben@demo.example'), 'content-type': 'application/json' },
            body: JSON.stringify({ enabled: false, email: MARKER }),
          }),
      },
      {
        name: 'console: DELETE',
        send: () => raw(consoleUrl('/api/me'), { method: 'DELETE', headers: idToken('ben@demo.example') }),
      },
      {
        name: 'console: gzip',
        send: () =>
          raw(consoleUrl('/api/me/sync'), {
            method: 'PUT',
            headers: {
              ...idToken('ben@demo.example'),
              'content-type': 'application/json',
              'content-encoding': 'gzip',
            },
            body: bomb,
          }),
      },
      {
        name: 'worker: gzip',
        send: () =>
          raw(worker, { headers: { ...bearer(stack.pushToken()), 'content-encoding': 'gzip' }, body: bomb }),
      },
    ];

    // Quiet first: the demo's first syncs (and any redelivery of them) have finished when two snapshots 3 s apart
    // agree, so whatever changes from here on was caused by the inputs.
    let before = await snapshot(firestore, stack.container.config.orgId);
    for (let i = 0; i < 20; i += 1) {
      await new Promise((r) => setTimeout(r, 3000));
      const again = await snapshot(firestore, stack.container.config.orgId);
      const settled = differences(before, again).length === 0;
      before = again;
      if (settled) break;
    }
    const captured: string[] = [];
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const capture =
      (original: typeof stdout) =>
      (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      };
    const logStart = log.length;
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    process.stdout.write = capture(stdout);
    process.stderr.write = capture(stderr);
    const failures: string[] = [];
    let refused = 0;
    try {
      for (const input of inputs) {
        const answer = await input.send();
        const acceptable = (input.ok ?? []).includes(answer.status);
        // 0: the server closed the connection on an oversized body after answering (the client saw the reset).
        const isRefusal = (answer.status >= 400 && answer.status < 500) || answer.status === 0;
        if (isRefusal) refused += 1;
        if (!acceptable && !isRefusal)
          failures.push(`${input.name}: ${String(answer.status)} ${answer.text.slice(0, 120)}`);
        if (answer.text.includes(MARKER)) failures.push(`${input.name}: the answer echoes the input`);
        if (/<html|at [\w.]+ \(/i.test(answer.text))
          failures.push(`${input.name}: the answer is not our own short JSON`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      clearInterval(sampler);
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
    const after = await snapshot(firestore, stack.container.config.orgId);
    const changes = differences(before, after);
    const lines = [...log.slice(logStart), ...captured];
    const leaks = lines.filter(
      (line) => line.includes(MARKER) || secrets.some((s) => s !== '' && line.includes(s)),
    );
    const growthMb = (peakRss - rssBefore) / 1024 / 1024;
    console.log(
      `hostile: ${String(inputs.length)} inputs, ${String(refused)} refused, ${String(changes.length)} state changes, ${String(leaks.length)} leaks`,
    );
    console.log(
      `hostile: peak memory growth ${growthMb.toFixed(0)} MB (bound ${String(MEMORY_BOUND_MB)} MB)`,
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(changes, [], 'nothing in Firestore changed');
    assert.deepEqual(
      leaks.map((l) => l.slice(0, 200)),
      [],
      'no secret or body text in any log line',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    assert.ok(growthMb < MEMORY_BOUND_MB, `memory grew ${growthMb.toFixed(0)} MB`);
  });

  it('a signed notice is done once, whichever of two function processes gets it', async () => {
    // A second instance: the Functions Framework in its own process, serving severaWebhook from the same source,
    // with the same configuration (Firestore emulator, secrets file) — as a second Cloud Run instance would be.
    const port = await freePort();
    const env = Object.fromEntries(
      (await import('node:fs'))
        .readFileSync(stack.envFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const root = join(import.meta.dirname, '..', '..');
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js'),
        '--target=severaWebhook',
        `--source=${join(root, 'functions', 'index.ts')}`,
        `--port=${String(port)}`,
      ],
      {
        cwd: root,
        env: { ...process.env, ...env, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    try {
      const second = `http://127.0.0.1:${String(port)}/`;
      await until(
        'the second instance',
        async () => {
          try {
            return (await fetch(second, { method: 'GET' })).status === 405;
          } catch {
            return false;
          }
        },
        60_000,
      );
      const body = JSON.stringify({ activityGuids: [randomUUID()] });
      const headers = signed(body);
      const reads = () => stack.severaSim.stats.total({ method: 'GET' });
      const first = await raw(`${stack.functionsUrl}/severaWebhook`, { headers, body });
      assert.equal(first.status, 202, first.text);
      const afterFirst = reads();
      const replayed = await raw(second, { headers, body });
      assert.equal(replayed.status, 202, replayed.text);
      assert.equal((JSON.parse(replayed.text) as { duplicate?: boolean }).duplicate, true);
      assert.equal(reads(), afterFirst, 'the replay made no Severa call');
      // And the other way round: a fresh notice to the second instance, replayed to the first.
      const body2 = JSON.stringify({ activityGuids: [randomUUID()] });
      const headers2 = signed(body2);
      assert.equal((await raw(second, { headers: headers2, body: body2 })).status, 202);
      const again = await raw(`${stack.functionsUrl}/severaWebhook`, { headers: headers2, body: body2 });
      assert.equal((JSON.parse(again.text) as { duplicate?: boolean }).duplicate, true);
      // The production process refuses the same hostile inputs through the same guard.
      const gz = await raw(second, {
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: await gzipBomb(10),
      });
      assert.equal(gz.status, 415);
      console.log('hostile: a notice replayed to a second functions process did no work');
      // A notice naming 500 activities: their links are looked up together, not one query after another.
      const many = JSON.stringify({ activityGuids: Array.from({ length: 500 }, () => randomUUID()) });
      const started = performance.now();
      const answered = await raw(`${stack.functionsUrl}/severaWebhook`, {
        headers: signed(many),
        body: many,
      });
      assert.equal(answered.status, 202, answered.text);
      console.log(
        `hostile: a signed notice naming 500 activities answered in ${(performance.now() - started).toFixed(0)} ms`,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    assert.ok(!output.join('').includes(secret), 'the second process logged no secret');
  });
});
