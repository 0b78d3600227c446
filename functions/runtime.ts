/**
 * What every function of an instance shares: the configuration (parsed once), the container (built once, on first
 * use) and a logger with a correlation id per call. Both the configuration and the container are imported lazily,
 * so that an instance starts with neither `zod` nor the client libraries loaded: a call pays for them when it needs
 * them (docs/performance.md "Cold start").
 */
import { randomUUID } from 'node:crypto';

import type { Container } from '../shared/app/container.js';
import type * as configuration from '../shared/config.js';
import type { LogFields, Logger } from '../shared/ports/index.js';
import { createJsonLogger } from '../shared/observability/logger.js';

type ConfigModule = typeof configuration;

let container: Promise<Container> | null = null;
/** The container's logger, once it exists. */
let logger: Logger | null = null;
/** The configuration module, once a call has loaded it. */
let configModule: ConfigModule | null = null;

/** The instance's container (the local stack and tests may install their own first). */
export function runtime(): Promise<Container> {
  container ??= Promise.all([import('../shared/app/container.js'), import('../shared/config.js')]).then(
    ([{ createContainer }, loaded]) => {
      configModule = loaded;
      const built = createContainer(loaded.config());
      logger = built.logger;
      return built;
    },
  );
  return container;
}

export function installRuntime(value: Container | null): void {
  container = value === null ? null : Promise.resolve(value);
  logger = value?.logger ?? null;
}

/**
 * A logger for one invocation: `correlationId` ties its lines together in Cloud Logging. It is cheap to make and
 * loads nothing: each line goes through the container's logger when one exists by the time it is written (a call
 * usually builds the container before it logs), else through {@link fallbackLogger}.
 */
export function invocationLogger(fn: string, correlationId: string | undefined): Logger {
  return deferredLogger({ function: fn, correlationId: correlationId ?? randomUUID() });
}

function deferredLogger(fields: LogFields): Logger {
  let base: Logger | null = null;
  let bound: Logger | null = null;
  const current = (): Logger => {
    const now = logger ?? fallbackLogger();
    if (now !== base || bound === null) {
      base = now;
      bound = now.child(fields);
    }
    return bound;
  };
  return {
    debug: (message, more) => {
      current().debug(message, more);
    },
    info: (message, more) => {
      current().info(message, more);
    },
    warn: (message, more) => {
      current().warn(message, more);
    },
    error: (message, more) => {
      current().error(message, more);
    },
    child: (more) => deferredLogger({ ...fields, ...more }),
  };
}

let fallback: { readonly logger: Logger; readonly configured: boolean } | null = null;

/**
 * Before a container exists: the configured level and org once a call has loaded the configuration; before that
 * (an edge refusal on a fresh instance), or when the configuration is invalid, the defaults.
 */
function fallbackLogger(): Logger {
  const configured = configModule !== null;
  if (fallback === null || fallback.configured !== configured) {
    fallback = { logger: configuredLogger(configModule) ?? createJsonLogger(), configured };
  }
  return fallback.logger;
}

function configuredLogger(module: ConfigModule | null): Logger | null {
  if (module === null) return null;
  try {
    return createJsonLogger({ level: module.config().logLevel, fields: { org: module.config().orgId } });
  } catch {
    // The configuration error itself is reported where the container is built.
    return null;
  }
}
