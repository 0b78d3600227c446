/**
 * `npm start -- --real`: the same functions, Pub/Sub wiring and scheduler stand-in as the local stack, on the
 * emulators for state, but talking to the Severa and Google APIs named in `.env` (docs/local-stack.md, .env.example)
 * instead of the simulators. No demo data: the organisation is set up and people opted in with the operator CLI.
 */
import { createContainer, type Container } from '../shared/app/container.js';
import { parseConfig } from '../shared/config.js';
import { startLocalIssuer } from '../test/sim/identity/index.js';
import { EMULATOR_PROJECT } from './emulators.js';
import { ensureEmulators, serveFunctions, startScheduler, wirePubSub } from './local-stack.js';

export interface RealStack {
  readonly functionsUrl: string;
  readonly container: Container;
  readonly topics: { readonly syncRequests: string; readonly syncTick: string };
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRealStack(options: {
  readonly functionsPort: number;
  readonly tickIntervalMs: number;
}): Promise<RealStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await ensureEmulators(cleanups);
    process.env.GOOGLE_CLOUD_PROJECT ??= EMULATOR_PROJECT;
    const functionsUrl = await serveFunctions(options.functionsPort, cleanups);
    // Pub/Sub is the emulator here, so its authenticated push is the local stand-in's, as in the local stack.
    const pushServiceAccount = `pubsub-push@${process.env.GOOGLE_CLOUD_PROJECT}.iam.gserviceaccount.com`;
    const pushIssuer = await startLocalIssuer({
      target: functionsUrl,
      audience: functionsUrl,
      serviceAccount: pushServiceAccount,
    });
    cleanups.push(() => pushIssuer.close());
    Object.assign(process.env, {
      PUSH_AUTH_AUDIENCE: functionsUrl,
      PUSH_AUTH_SERVICE_ACCOUNT: pushServiceAccount,
      PUSH_AUTH_CERTS_URL: pushIssuer.certsUrl,
      PUSH_AUTH_ISSUERS: pushIssuer.issuer,
    });
    const config = parseConfig(process.env);
    const topics = {
      syncRequests: config.syncRequestsTopic,
      syncTick: process.env.SYNC_TICK_TOPIC ?? 'sync-tick',
    };
    const container = createContainer(config);
    const { installRuntime } = await import('../functions/runtime.js');
    installRuntime(container);
    cleanups.push(async () => {
      installRuntime(null);
      await container.close();
    });
    const pubsub = await wirePubSub(
      config.projectId ?? EMULATOR_PROJECT,
      pushIssuer.relayUrl,
      topics,
      cleanups,
    );
    const tick = startScheduler(pubsub, topics.syncTick, options.tickIntervalMs, container.logger, cleanups);
    return { functionsUrl, container, topics, tick, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
