/**
 * What every function of an instance shares: the configuration (parsed once), the container (built once, lazily,
 * so a cold start pays only for what the first invocation needs) and a logger with a correlation id per call.
 */
import { randomUUID } from 'node:crypto';

import { createContainer, type Container } from '../shared/app/container.js';
import { config } from '../shared/config.js';
import type { Logger } from '../shared/ports/index.js';

let container: Container | null = null;

/** The instance's container (tests and the local stack may install their own first). */
export function runtime(): Container {
  container ??= createContainer(config());
  return container;
}

export function installRuntime(value: Container | null): void {
  container = value;
}

/** A logger for one invocation: `correlationId` ties its lines together in Cloud Logging. */
export function invocationLogger(fn: string, correlationId: string | undefined): Logger {
  return runtime().logger.child({ function: fn, correlationId: correlationId ?? randomUUID() });
}
