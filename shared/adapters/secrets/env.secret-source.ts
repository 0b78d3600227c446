/**
 * Secrets from the environment and, optionally, a local JSON file: the local stack's source (SPEC §8), and the
 * production one too when Cloud Functions mounts secrets as environment variables (`--set-secrets`,
 * local-emulators.md §3).
 *
 * - `SECRET_<NAME>`: the name upper-cased, every other character as `_` (`severa-client-secret` →
 *   `SECRET_SEVERA_CLIENT_SECRET`). The environment wins over the file.
 * - the file (e.g. the git-ignored `.local/secrets.json`) is a JSON object of name → value. It is read on every
 *   `get`, so a value saved by {@link EnvSecretSource.putSecret} or by hand is seen without a restart; a missing
 *   file counts as empty.
 * - an empty value counts as not set (an unset variable in a `.env` file is often `NAME=`).
 *
 * No error quotes a value or the file's content: a JSON parse error's own message would, so it is not passed on.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { PermanentError } from '../../domain/errors.js';
import type { SecretStore } from '../../ports/index.js';
import { SecretMissingError, assertSecretName, secretEnvVar } from './secret-name.js';

export interface EnvSecretSourceOptions {
  /** The environment to read (the composition root passes `process.env`; nothing here reads it itself). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON file of name → value; null or absent for none. */
  readonly file?: string | null;
}

export class EnvSecretSource implements SecretStore {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #file: string | null;
  /** Saves run one after another, so two concurrent saves in this process cannot drop each other's value. */
  #saving: Promise<void> = Promise.resolve();

  constructor(options: EnvSecretSourceOptions) {
    this.#env = options.env;
    this.#file = options.file ?? null;
  }

  async get(name: string): Promise<string> {
    assertSecretName(name);
    const variable = secretEnvVar(name);
    const fromEnv = this.#env[variable];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (this.#file !== null) {
      const values = await this.#readFile();
      const value = values[name];
      if (value !== undefined && typeof value !== 'string') {
        throw new PermanentError(
          'configuration',
          `Secret "${name}" in ${this.#file} must be a string (binary values base64-encoded).`,
        );
      }
      if (value !== undefined && value !== '') return value;
    }
    const where =
      this.#file === null
        ? `set the environment variable ${variable}, or name a JSON secrets file (SECRETS_FILE) that has "${name}"`
        : `set the environment variable ${variable}, or add "${name}" to ${this.#file} (a JSON object of name → value)`;
    throw new SecretMissingError(`Secret "${name}" is not set; ${where}.`);
  }

  /**
   * Saves `value` under `name` in the file (the operator CLI's org setup when running locally). The file is
   * replaced atomically and readable by its owner only. Without a file there is nowhere to write.
   */
  putSecret(name: string, value: string): Promise<void> {
    const saved = this.#saving.then(() => this.#save(name, value));
    this.#saving = saved.catch(() => undefined);
    return saved;
  }

  async #save(name: string, value: string): Promise<void> {
    assertSecretName(name);
    if (this.#file === null) {
      throw new PermanentError(
        'configuration',
        `Cannot save secret "${name}": no secrets file is configured (SECRETS_FILE); ` +
          `set the environment variable ${secretEnvVar(name)} instead.`,
      );
    }
    const values = { ...(await this.#readFile()), [name]: value };
    const temporary = `${this.#file}.${randomUUID()}.tmp`;
    try {
      await mkdir(dirname(this.#file), { recursive: true });
      await writeFile(temporary, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, this.#file);
    } catch (error) {
      throw new PermanentError(
        'configuration',
        `Cannot save secret "${name}" to ${this.#file} (${errorCode(error)}).`,
        { cause: error },
      );
    }
  }

  async #readFile(): Promise<Readonly<Record<string, unknown>>> {
    const file = this.#file ?? '';
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return {};
      throw new PermanentError(
        'configuration',
        `Cannot read the secrets file ${file} (${errorCode(error)}).`,
        {
          cause: error,
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not chained as `cause`: the parser's message quotes the text around the error, i.e. secret values.
      throw new PermanentError('configuration', `The secrets file ${file} is not valid JSON.`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new PermanentError(
        'configuration',
        `The secrets file ${file} must hold a JSON object of name → value.`,
      );
    }
    return parsed as Readonly<Record<string, unknown>>;
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
