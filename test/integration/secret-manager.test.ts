/**
 * The real `SecretManagerSource` (and the real `@google-cloud/secret-manager` client under it) against the in-repo
 * grpc-js fake of Secret Manager (test/support/secret-manager-fake.ts; no emulator exists, local-emulators.md §3).
 * The fake records every RPC, so the cache is proven by counting calls, not by timing.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';

import {
  SecretManagerSource,
  SecretMissingError,
  type SecretManagerSourceOptions,
} from '../../shared/adapters/secrets/index.js';
import { PermanentError, TransientError } from '../../shared/domain/index.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import type { Clock } from '../../shared/ports/index.js';
import { startSecretManagerFake, type SecretManagerFake } from '../support/secret-manager-fake.js';

// Without credentials the client probes the GCE metadata server (a warning and a delay); scripts/run-tests.ts
// sets this for the whole run, a file run on its own sets it here.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const PROJECT = 'demo-severa-sync';
const VALUE = 'Sev3ra-cl1ent-s3cret-never-logged';

class ManualClock implements Clock {
  #ms = Date.parse('2026-05-04T06:00:00Z');
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

let fake: SecretManagerFake;
const sources: SecretManagerSource[] = [];
let secretCounter = 0;
/** Unique per test: the fake keeps its secrets for the whole file. */
const uniqueName = (stem: string) => `${stem}-${(secretCounter++).toString()}`;

function source(options: Partial<SecretManagerSourceOptions> = {}): SecretManagerSource {
  const created = new SecretManagerSource({
    projectId: PROJECT,
    clientOptions: { apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() },
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    ...options,
  });
  sources.push(created);
  return created;
}

/** RPCs the fake received for one method. */
const callsOf = (method: string) => fake.calls.filter((c) => c.method === method);

/** A configuration error whose message matches every pattern and quotes no value. */
async function rejectsConfiguration(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PermanentError, `expected a PermanentError, got ${String(error)}`);
    assert.equal(error.code, 'configuration');
    for (const pattern of patterns) assert.match(error.message, pattern);
    assert.ok(!error.message.includes(VALUE), 'the message quotes a secret value');
    return true;
  });
}

before(async () => {
  fake = await startSecretManagerFake();
});
beforeEach(() => {
  fake.failWith = null;
});
after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await fake.stop();
});

describe('SecretManagerSource against the Secret Manager fake', () => {
  it('puts a secret (creating it) and another instance gets it from versions/latest', async () => {
    const name = uniqueName('severa-client-secret');
    await source().putSecret(name, VALUE);
    // The version first: a secret is created only when Google says it does not exist (infra/ makes them empty, and
    // the console's account may add versions but not create secrets).
    assert.deepEqual(
      fake.calls.filter((c) => c.resource.includes(name)),
      [
        { method: 'AddSecretVersion', resource: `projects/${PROJECT}/secrets/${name}` },
        { method: 'CreateSecret', resource: `projects/${PROJECT}/secrets/${name}` },
        { method: 'AddSecretVersion', resource: `projects/${PROJECT}/secrets/${name}` },
      ],
    );
    assert.equal(await source().get(name), VALUE);
    assert.deepEqual(callsOf('AccessSecretVersion').at(-1), {
      method: 'AccessSecretVersion',
      resource: `projects/${PROJECT}/secrets/${name}/versions/latest`,
    });
  });

  it('puts again on an existing secret: a new version, served at once by the instance that saved it', async () => {
    const name = uniqueName('webhook');
    const writer = source();
    await writer.putSecret(name, 'first');
    assert.equal(await writer.get(name), 'first');
    const accesses = callsOf('AccessSecretVersion').length;
    await writer.putSecret(name, 'second');
    assert.equal(await writer.get(name), 'second');
    assert.equal(callsOf('AccessSecretVersion').length, accesses, 'served from the cache the save refreshed');
    assert.equal(await source().get(name), 'second');
  });

  it('caches a value for the TTL: no RPC within it, one after it', async () => {
    const name = uniqueName('google-sa-p12-password');
    await source().putSecret(name, 'v1');
    const clock = new ManualClock();
    const reader = source({ clock, ttlMs: 60_000 });
    const accesses = () => callsOf('AccessSecretVersion').filter((c) => c.resource.includes(name)).length;

    assert.equal(await reader.get(name), 'v1');
    assert.equal(accesses(), 1);
    await source().putSecret(name, 'v2'); // rotated by someone else
    clock.advance(59_999);
    assert.equal(await reader.get(name), 'v1', 'still within the TTL');
    assert.equal(accesses(), 1, 'a second get makes no RPC');
    clock.advance(1);
    assert.equal(await reader.get(name), 'v2', 'read again after the TTL');
    assert.equal(accesses(), 2);
  });

  it('shares one RPC among concurrent first reads', async () => {
    const name = uniqueName('shared');
    await source().putSecret(name, VALUE);
    const reader = source();
    const values = await Promise.all([reader.get(name), reader.get(name), reader.get(name)]);
    assert.deepEqual(values, [VALUE, VALUE, VALUE]);
    assert.equal(callsOf('AccessSecretVersion').filter((c) => c.resource.includes(name)).length, 1);
  });

  it('returns a binary (non-UTF-8) value base64-encoded', async () => {
    const name = uniqueName('google-sa-p12');
    await source().putSecret(name, 'placeholder');
    // A P12 added with `gcloud secrets versions add --data-file=key.p12` is raw DER bytes.
    const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
    const raw = new SecretManagerServiceClient({
      apiEndpoint: '127.0.0.1',
      port: fake.port,
      sslCreds: grpc.credentials.createInsecure(),
    });
    const der = Buffer.from([0x30, 0x82, 0x0a, 0xff, 0xfe, 0x00, 0x80]);
    await raw.addSecretVersion({ parent: `projects/${PROJECT}/secrets/${name}`, payload: { data: der } });
    await raw.close();
    assert.equal(await source().get(name), der.toString('base64'));
  });

  it('a missing secret is a configuration error with the gcloud hint, not a retry', async () => {
    const name = uniqueName('missing-secret');
    const before = fake.calls.length;
    await rejectsConfiguration(
      source().get(name),
      new RegExp(`^Secret "${name}" was not found in project ${PROJECT}`),
      new RegExp(
        `gcloud secrets create ${name} --project=${PROJECT} --replication-policy=automatic --data-file=FILE`,
      ),
    );
    assert.equal(fake.calls.length - before, 1, 'NOT_FOUND is not retried');
    await assert.rejects(source().get(name), SecretMissingError, 'absent, not unreadable');
  });

  it('a secret without versions is missing too', async () => {
    const name = uniqueName('no-version');
    const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
    const raw = new SecretManagerServiceClient({
      apiEndpoint: '127.0.0.1',
      port: fake.port,
      sslCreds: grpc.credentials.createInsecure(),
    });
    await raw.createSecret({ parent: `projects/${PROJECT}`, secretId: name, secret: {} });
    await raw.close();
    await rejectsConfiguration(source().get(name), /was not found .*or has no version yet/);
  });

  it('permission denied names the role to grant (reading and saving), never the value', async () => {
    const name = uniqueName('denied');
    await source().putSecret(name, VALUE);
    fake.failWith = grpc.status.PERMISSION_DENIED;
    await rejectsConfiguration(
      source().get(name),
      new RegExp(`may not read secret "${name}" in project ${PROJECT}`),
      /grant it roles\/secretmanager\.secretAccessor on the secret/,
    );
    await rejectsConfiguration(
      source().putSecret(name, VALUE),
      /may not add a version to secret .* roles\/secretmanager\.secretVersionAdder/,
    );
  });

  it('an unavailable service is a TransientError after a few quick retries (injected sleep)', async () => {
    const name = uniqueName('flaky');
    const slept: number[] = [];
    const logger = createMemoryLogger();
    const reader = source({ sleep: (ms) => Promise.resolve(void slept.push(ms)), logger });
    fake.failWith = grpc.status.UNAVAILABLE;
    const before = fake.calls.length;
    await assert.rejects(reader.get(name), (error: unknown) => {
      assert.ok(error instanceof TransientError, `expected a TransientError, got ${String(error)}`);
      assert.match(
        error.message,
        new RegExp(`Secret Manager call for secret "${name}" failed \\(UNAVAILABLE\\)`),
      );
      return true;
    });
    assert.equal(fake.calls.length - before, 3, 'three attempts');
    assert.equal(slept.length, 2);
    assert.equal(logger.lines.filter((l) => l.includes('retrying')).length, 2);

    fake.failWith = null; // the blip ends: a later get succeeds (the failure was not cached)
    await source().putSecret(name, VALUE);
    assert.equal(await reader.get(name), VALUE);
  });

  it('logs names and versions, never values', async () => {
    const name = uniqueName('logged');
    const logger = createMemoryLogger('debug');
    const store = source({ logger });
    await store.putSecret(name, VALUE);
    store.invalidate(name);
    assert.equal(await store.get(name), VALUE);
    assert.ok(logger.lines.length >= 2, 'something was logged');
    assert.ok(logger.lines.some((l) => l.includes(name)));
    for (const line of logger.lines) assert.ok(!line.includes(VALUE), `a log line leaks the value: ${line}`);
  });

  it('refuses an invalid name before any RPC', async () => {
    const before = fake.calls.length;
    await rejectsConfiguration(source().get('../other'), /^Secret name "\.\.\/other" is invalid/);
    assert.equal(fake.calls.length, before);
  });
});
