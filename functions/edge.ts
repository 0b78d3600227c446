/**
 * The edge of every function (issue 10 #1, #5): what a request must be before the Functions Framework or our code
 * reads any of it. The framework's own body parsers decompress and parse up to 1 GB before a handler runs; this
 * guard runs first, so they never see a body:
 *
 * - only the function's methods (`POST`; the console also `GET` and `PUT`); a `Content-Encoding` other than
 *   `identity` is refused (no decompression at all);
 * - a declared `Content-Length` above the function's limit is refused before a byte is read, and a chunked body
 *   is read only up to the limit;
 * - a body must be JSON (`calendarPush` takes none), parsed here; malformed JSON gets our own short answer;
 * - the request then reaches the framework already read, so its parsers skip it (`req.body` and `req.rawBody` are
 *   set here, as the framework would).
 *
 * Every refusal is a short JSON answer and one log line through our redacting logger; nothing of the body is logged.
 * Installed before the framework's server in production ({@link installEdgeGuard}) and in front of each function
 * by the local stack ({@link guardRequest}), so both serve the functions through the same code.
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';

import { MAX_NOTICE_BYTES } from '../shared/app/limits.js';
import type { Logger } from '../shared/ports/index.js';

export const FUNCTION_NAMES = ['calendarPush', 'severaWebhook', 'syncTick', 'syncWorker', 'console'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * The largest body each function accepts. Google's push notifications have no body; a Pub/Sub push envelope of a
 * sync request (≤ 4 KB of data, base64, with attributes) or a tick is far below 16 KB.
 */
export const BODY_LIMITS: Readonly<Record<FunctionName, number>> = {
  calendarPush: 0,
  severaWebhook: MAX_NOTICE_BYTES,
  syncTick: 16 * 1024,
  syncWorker: 16 * 1024,
  console: 64 * 1024,
};

/** The methods each function answers; the console serves its page and API to a browser. */
export const METHODS: Readonly<Record<FunctionName, readonly string[]>> = {
  calendarPush: ['POST'],
  severaWebhook: ['POST'],
  syncTick: ['POST'],
  syncWorker: ['POST'],
  console: ['GET', 'HEAD', 'POST', 'PUT'],
};

/** A request that passed the guard: its body read and parsed (undefined when it had none). */
export interface GuardedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: Buffer;
}

export function isFunctionName(value: string | undefined): value is FunctionName {
  return (FUNCTION_NAMES as readonly (string | undefined)[]).includes(value);
}

function refuse(res: ServerResponse, status: number, error: string, close: boolean): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // An unread body is not drained: the connection ends with the answer.
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/** Reads at most `limit` bytes; null when the body is longer (the rest is never read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Checks one request for `fn` and reads its body; calls `next` only for a request that may go on. Never throws:
 * every failure is answered here.
 */
export function guardRequest(
  fn: FunctionName,
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
  logger?: Logger,
): void {
  const refused = (status: number, error: string, close = false) => {
    logger?.warn('request refused at the edge', { function: fn, status, reason: error });
    refuse(res, status, error, close);
  };
  if (!METHODS[fn].includes(req.method ?? '')) {
    refused(405, `${METHODS[fn].join(', ')} only`);
    return;
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    refused(415, 'compressed bodies are not accepted', true);
    return;
  }
  const limit = BODY_LIMITS[fn];
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > limit)) {
    refused(413, limit === 0 ? 'no body is accepted' : `body larger than ${limit} bytes`, true);
    return;
  }
  readBody(req, limit).then(
    (body) => {
      if (body === null) {
        refused(413, limit === 0 ? 'no body is accepted' : `body larger than ${limit} bytes`, true);
        return;
      }
      const guarded = req as GuardedRequest;
      if (body.length > 0) {
        if (!isJson(req.headers['content-type'])) {
          refused(415, 'the body must be application/json');
          return;
        }
        try {
          guarded.body = JSON.parse(body.toString('utf8')) as unknown;
        } catch {
          refused(400, 'the body is not JSON');
          return;
        }
        guarded.rawBody = body;
      }
      next();
    },
    () => {
      refused(400, 'the request body could not be read', true);
    },
  );
}

/** The function this process serves, as the Functions Framework is told it (`--target` or `FUNCTION_TARGET`). */
export function servedTarget(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('--target=')) return arg.slice('--target='.length);
    if (arg === '--target') return argv[i + 1];
  }
  return env.FUNCTION_TARGET;
}

let installed = false;

/**
 * Puts the guard in front of the server the Functions Framework creates for this process's function: the framework
 * loads our module first and creates its server after, with `http.createServer`. A process that serves none of our
 * functions (the local stack, tests) is left as it is; they call {@link guardRequest} themselves.
 */
export function installEdgeGuard(logger?: () => Logger): void {
  const target = servedTarget(process.argv, process.env);
  if (installed || !isFunctionName(target)) return;
  installed = true;
  const original = http.createServer.bind(http) as (listener?: RequestListener) => http.Server;
  const patched = (...args: unknown[]): http.Server => {
    const listener = args.find((a): a is RequestListener => typeof a === 'function');
    if (listener === undefined) return original(...(args as []));
    return original((req, res) => {
      guardRequest(
        target,
        req,
        res,
        () => {
          listener(req, res);
        },
        logger?.(),
      );
    });
  };
  (http as unknown as { createServer: typeof patched }).createServer = patched;
}
