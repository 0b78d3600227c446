import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a simulator route sees it. */
export interface SimRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** Raw body text ('' when none). */
  readonly body: string;
  /** Values of `{name}` segments of the matched route pattern. */
  readonly params: Readonly<Record<string, string>>;
}

export interface SimResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON-serialised unless a string (sent as is) or undefined (no body). */
  readonly body?: unknown;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface SimRoute {
  readonly method: string;
  /** e.g. `/v1/activities/{guid}`; `{name}` matches one path segment. */
  readonly pattern: string;
  readonly handler: SimHandler;
}

export const MAX_BODY_BYTES = 1_000_000;

/** Finds the route for a request: the route key (`"GET /v1/activities/{guid}"`) and the path parameters. */
export function matchRoute(
  routes: readonly SimRoute[],
  method: string,
  path: string,
): { route: SimRoute; params: Record<string, string> } | null {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method) continue;
    const parts = route.pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i] ?? '';
      const seg = decodeURIComponent(segments[i] ?? '');
      if (part.startsWith('{') && part.endsWith('}')) params[part.slice(1, -1)] = seg;
      else if (part !== seg) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, params };
  }
  return null;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `dispatch` on 127.0.0.1 (port 0 = any free port). `dispatch` receives every request with its raw body;
 * simulators do their own routing so they can count and fault-inject per route.
 */
export async function listen(
  dispatch: (req: Omit<SimRequest, 'params'>) => Promise<SimResponse>,
  port = 0,
): Promise<RunningServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const response =
        body === null
          ? { status: 413, body: { error: { code: 413, message: 'Request body too large' } } }
          : await dispatch({
              method: req.method ?? 'GET',
              path: url.pathname,
              query: url.searchParams,
              headers: req.headers,
              body,
            }).catch((error: unknown) => ({
              status: 500,
              body: {
                error: { code: 500, message: error instanceof Error ? error.message : 'internal error' },
              },
            }));
      send(res, response);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function send(res: ServerResponse, response: SimResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload = '';
  if (response.body !== undefined) {
    payload = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
    headers['content-type'] ??=
      typeof response.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}
