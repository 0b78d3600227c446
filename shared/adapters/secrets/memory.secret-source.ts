import type { SecretStore } from '../../ports/index.js';
import { SecretMissingError, assertSecretName } from './secret-name.js';

/** Secrets in a Map (tests, simulators). Misses fail like the other sources do, without quoting any value. */
export class MemorySecretSource implements SecretStore {
  readonly #values: Map<string, string>;
  /** Names asked for, in order (tests assert what was read, never values). */
  readonly reads: string[] = [];

  constructor(values: Iterable<readonly [string, string]> | Readonly<Record<string, string>> = []) {
    const entries = Symbol.iterator in values ? [...values] : Object.entries(values);
    this.#values = new Map(entries);
  }

  get(name: string): Promise<string> {
    assertSecretName(name);
    this.reads.push(name);
    const value = this.#values.get(name);
    if (value === undefined || value === '') {
      return Promise.reject(new SecretMissingError(`Secret "${name}" is not set.`));
    }
    return Promise.resolve(value);
  }

  putSecret(name: string, value: string): Promise<void> {
    assertSecretName(name);
    this.#values.set(name, value);
    return Promise.resolve();
  }
}
