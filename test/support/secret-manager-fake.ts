/**
 * An in-process grpc-js fake of Secret Manager v1 (no emulator exists: local-emulators.md §3), served from the
 * `.proto` files shipped inside the installed `@google-cloud/secret-manager` and `google-gax` packages, so the real
 * `SecretManagerServiceClient` talks to it over insecure gRPC. It implements only what the adapter uses:
 * CreateSecret, AddSecretVersion and AccessSecretVersion (a version number or `latest`); a missing secret or version
 * answers NOT_FOUND. `failWith` makes every call answer a given status (PERMISSION_DENIED, UNAVAILABLE, …).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
// Both packages keep their protos under build/protos; google-gax has no `./package.json` export, so go up from main.
const SECRET_MANAGER_PROTOS = join(dirname(require.resolve('@google-cloud/secret-manager')), '..', 'protos');
const GAX_PROTOS = join(dirname(require.resolve('google-gax')), '..', 'protos');

export interface SecretManagerFake {
  /** Port on 127.0.0.1 (insecure). */
  readonly port: number;
  /** Every RPC received, in order: method and the resource it named. */
  readonly calls: { method: string; resource: string }[];
  /** When set, every RPC answers this status (e.g. `grpc.status.PERMISSION_DENIED`) instead of its result. */
  failWith: grpc.status | null;
  stop(): Promise<void>;
}

type Call<T> = grpc.ServerUnaryCall<T, unknown>;
type Reply = grpc.sendUnaryData<unknown>;

export async function startSecretManagerFake(): Promise<SecretManagerFake> {
  const definition = loadSync(join(SECRET_MANAGER_PROTOS, 'google/cloud/secretmanager/v1/service.proto'), {
    includeDirs: [SECRET_MANAGER_PROTOS, GAX_PROTOS],
  });
  const service = definition['google.cloud.secretmanager.v1.SecretManagerService'] as grpc.ServiceDefinition;
  const secrets = new Map<string, Buffer[]>(); // projects/p/secrets/s → versions (1-based by position)
  const calls: SecretManagerFake['calls'] = [];
  const fail = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

  // Records the call, then answers the injected failure or the handler's result (or its thrown status).
  const rpc =
    <T>(method: string, resource: (req: T) => string, handle: (req: T) => unknown) =>
    (call: Call<T>, reply: Reply) => {
      calls.push({ method, resource: resource(call.request) });
      if (fake.failWith !== null) {
        reply(fail(fake.failWith, `${method} refused by the fake (status ${fake.failWith})`));
        return;
      }
      try {
        reply(null, handle(call.request));
      } catch (error) {
        reply(error as grpc.ServiceError);
      }
    };

  const server = new grpc.Server();
  server.addService(service, {
    CreateSecret: rpc<{ parent: string; secretId: string }>(
      'CreateSecret',
      (r) => `${r.parent}/secrets/${r.secretId}`,
      (r) => {
        const name = `${r.parent}/secrets/${r.secretId}`;
        if (secrets.has(name)) throw fail(grpc.status.ALREADY_EXISTS, `Secret [${name}] already exists.`);
        secrets.set(name, []);
        return { name };
      },
    ),
    AddSecretVersion: rpc<{ parent: string; payload?: { data?: Buffer } }>(
      'AddSecretVersion',
      (r) => r.parent,
      (r) => {
        const versions = secrets.get(r.parent);
        if (!versions) throw fail(grpc.status.NOT_FOUND, `Secret [${r.parent}] not found.`);
        versions.push(Buffer.from(r.payload?.data ?? Buffer.alloc(0)));
        return { name: `${r.parent}/versions/${versions.length}`, state: 'ENABLED' };
      },
    ),
    AccessSecretVersion: rpc<{ name: string }>(
      'AccessSecretVersion',
      (r) => r.name,
      (r) => {
        const [, secret = '', version = ''] = /^(.+)\/versions\/([^/]+)$/.exec(r.name) ?? [];
        const versions = secrets.get(secret) ?? [];
        const number = version === 'latest' ? versions.length : Number(version);
        const data = versions[number - 1];
        if (!data) throw fail(grpc.status.NOT_FOUND, `Secret Version [${r.name}] not found.`);
        return { name: `${secret}/versions/${number}`, payload: { data } };
      },
    ),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  const fake: SecretManagerFake = {
    port,
    calls,
    failWith: null,
    // Clients keep their HTTP/2 sessions open, so a graceful shutdown could wait for them: end it at once.
    stop: () => {
      server.forceShutdown();
      return Promise.resolve();
    },
  };
  return fake;
}
