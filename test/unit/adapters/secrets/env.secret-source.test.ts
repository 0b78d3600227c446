/**
 * The local secret sources: `SECRET_<NAME>` variables, a JSON file, and the in-memory map. A miss says how to fix
 * it; no error ever quotes a value or the file's content.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  EnvSecretSource,
  MemorySecretSource,
  SecretMissingError,
  secretEnvVar,
} from '../../../../shared/adapters/secrets/index.js';
import { PermanentError } from '../../../../shared/domain/index.js';

const VALUE = 'pa55-w0rd-that-must-never-leak';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'env-secrets-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts a configuration error whose message matches `pattern` and contains no secret value. */
async function rejectsConfiguration(promise: Promise<unknown>, pattern: RegExp, values: string[] = [VALUE]) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PermanentError, `expected a PermanentError, got ${String(error)}`);
    assert.equal(error.code, 'configuration');
    assert.match(error.message, pattern);
    for (const value of values) {
      assert.ok(!error.message.includes(value), `the message leaks a value: ${error.message}`);
      assert.ok(
        !String((error.cause as Error | undefined)?.message).includes(value),
        'the cause leaks a value',
      );
    }
    return true;
  });
}

describe('secretEnvVar', () => {
  it('upper-cases the name and turns every other character into "_"', () => {
    assert.equal(secretEnvVar('severa-client-secret'), 'SECRET_SEVERA_CLIENT_SECRET');
    assert.equal(secretEnvVar('google_sa-p12'), 'SECRET_GOOGLE_SA_P12');
    assert.equal(secretEnvVar('Key2'), 'SECRET_KEY2');
  });
});

describe('EnvSecretSource', () => {
  it('reads SECRET_<NAME> from the environment it is given', async () => {
    const source = new EnvSecretSource({ env: { SECRET_SEVERA_CLIENT_SECRET: VALUE } });
    assert.equal(await source.get('severa-client-secret'), VALUE);
  });

  it('reads the JSON file when the variable is absent or empty, and prefers the environment', async () => {
    const file = join(dir, 'read.json');
    await writeFile(
      file,
      JSON.stringify({ 'google-sa-p12': 'from-file', 'severa-client-secret': 'file-value' }),
    );
    const source = new EnvSecretSource({
      env: { SECRET_SEVERA_CLIENT_SECRET: 'env-value', SECRET_GOOGLE_SA_P12: '' },
      file,
    });
    assert.equal(await source.get('severa-client-secret'), 'env-value');
    assert.equal(await source.get('google-sa-p12'), 'from-file');
  });

  it('sees a file edited after start (read on every get)', async () => {
    const file = join(dir, 'edited.json');
    await writeFile(file, JSON.stringify({ token: 'one' }));
    const source = new EnvSecretSource({ env: {}, file });
    assert.equal(await source.get('token'), 'one');
    await writeFile(file, JSON.stringify({ token: 'two' }));
    assert.equal(await source.get('token'), 'two');
  });

  it('says how to set a missing secret (no file configured)', async () => {
    const source = new EnvSecretSource({ env: { SECRET_OTHER: VALUE } });
    await rejectsConfiguration(
      source.get('severa-client-secret'),
      /^Secret "severa-client-secret" is not set; set the environment variable SECRET_SEVERA_CLIENT_SECRET, or name a JSON secrets file \(SECRETS_FILE\)/,
    );
    await assert.rejects(source.get('severa-client-secret'), SecretMissingError, 'absent, not unreadable');
  });

  it('says how to set a missing secret (file configured, present or not)', async () => {
    const file = join(dir, 'other.json');
    await writeFile(file, JSON.stringify({ other: VALUE }));
    for (const path of [file, join(dir, 'absent', 'secrets.json')]) {
      const source = new EnvSecretSource({ env: {}, file: path });
      await rejectsConfiguration(
        source.get('webhook'),
        new RegExp(
          `Secret "webhook" is not set; set the environment variable SECRET_WEBHOOK, or add "webhook" to ${path}`,
        ),
      );
    }
  });

  it('treats an empty value in the file as not set', async () => {
    const file = join(dir, 'empty.json');
    await writeFile(file, JSON.stringify({ webhook: '' }));
    await rejectsConfiguration(new EnvSecretSource({ env: {}, file }).get('webhook'), /is not set/);
  });

  it('refuses a file that is not JSON without quoting it (the parser would)', async () => {
    // V8 quotes the text for some errors: `Unexpected token 'p', "pa55-w0rd…" is not valid JSON`.
    for (const [n, text] of [`{"severa-client-secret": "${VALUE}", oops}`, VALUE].entries()) {
      const file = join(dir, `broken-${n.toString()}.json`);
      await writeFile(file, text);
      await rejectsConfiguration(
        new EnvSecretSource({ env: {}, file }).get('severa-client-secret'),
        new RegExp(`^The secrets file ${file} is not valid JSON\\.$`),
      );
    }
  });

  it('refuses a file that is not a JSON object', async () => {
    const file = join(dir, 'array.json');
    await writeFile(file, JSON.stringify([VALUE]));
    await rejectsConfiguration(
      new EnvSecretSource({ env: {}, file }).get('x-name'),
      /must hold a JSON object of name → value/,
    );
  });

  it('refuses a non-string value, naming the secret but not the value', async () => {
    const file = join(dir, 'number.json');
    await writeFile(file, JSON.stringify({ pin: 987654321 }));
    await rejectsConfiguration(
      new EnvSecretSource({ env: {}, file }).get('pin'),
      /^Secret "pin" in .* must be a string/,
      ['987654321'],
    );
  });

  it('refuses a name Secret Manager could not hold', async () => {
    const source = new EnvSecretSource({ env: { SECRET_A_B: VALUE } });
    await rejectsConfiguration(source.get('a.b'), /^Secret name "a\.b" is invalid/);
    await rejectsConfiguration(source.get(''), /^Secret name "" is invalid/);
  });

  it('saves secrets to the file (owner-only, other entries kept), and get reads them back', async () => {
    const file = join(dir, 'nested', 'dir', 'secrets.json');
    const source = new EnvSecretSource({ env: {}, file });
    await source.putSecret('google-sa-p12', 'MIIK…base64');
    await Promise.all([source.putSecret('a-one', '1'), source.putSecret('b-two', '2')]);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      'google-sa-p12': 'MIIK…base64',
      'a-one': '1',
      'b-two': '2',
    });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await source.get('b-two'), '2');
  });

  it('has nowhere to save without a file', async () => {
    await rejectsConfiguration(
      new EnvSecretSource({ env: {} }).putSecret('webhook', VALUE),
      /Cannot save secret "webhook": no secrets file is configured \(SECRETS_FILE\); set the environment variable SECRET_WEBHOOK/,
    );
  });
});

describe('MemorySecretSource', () => {
  it('serves, misses and saves like the other sources', async () => {
    const source = new MemorySecretSource({ 'severa-client-secret': VALUE });
    assert.equal(await source.get('severa-client-secret'), VALUE);
    await rejectsConfiguration(source.get('webhook'), /^Secret "webhook" is not set\.$/);
    await source.putSecret('webhook', 'w');
    assert.equal(await source.get('webhook'), 'w');
    assert.deepEqual(source.reads, ['severa-client-secret', 'webhook', 'webhook']);
    assert.equal(await new MemorySecretSource([['k', 'v']]).get('k'), 'v');
  });
});
