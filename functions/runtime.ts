/**
 * What every function of an instance shares: the configuration (parsed once), the container (built once, on first
 * use, and imported lazily, so a cold start pays for the client libraries only when a call needs them) and a logger
 * with a correlation id per call.
 */
import { randomUUID } from 'node:crypto';

import type { Container } from '../shared/app/container.js';
import { config } from '../shared/config.js';
import { createJsonLogger } from '../shared/observability/logger.js';
import type { Logger } from '../shared/ports/index.js';

let container: Promise<Container> | null = null;
let logger: Logger | null = null;

/** The instance's container (the local stack and tests may install their own first). */
export function runtime(): Promise<Container> {
  container ??= import('../shared/app/container.js').then(({ createContainer }) => {
    const built = createContainer(config());
    logger = built.logger;
    return built;
  });
  return container;
}

export function installRuntime(value: Container | null): void {
  container = value === null ? null : Promise.resolve(value);
  logger = value?.logger ?? null;
}

/** A logger for one invocation: `correlationId` ties its lines together in Cloud Logging. */
export function invocationLogger(fn: string, correlationId: string | undefined): Logger {
  logger ??= fallbackLogger();
  return logger.child({ function: fn, correlationId: correlationId ?? randomUUID() });
}

/** Before a container exists: the configured level and org, or defaults when the configuration is invalid. */
function fallbackLogger(): Logger {
  try {
    return createJsonLogger({ level: config().logLevel, fields: { org: config().orgId } });
  } catch {
    // The configuration error itself is reported where the container is built.
    return createJsonLogger();
  }
}
