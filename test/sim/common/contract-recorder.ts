import { appendFileSync } from 'node:fs';

import type { ResponseHook, ResponseLogEntry } from './response-log.js';

/**
 * When CONTRACT_LOG names a file (set by `npm run test:contracts`), every response the simulators send in their own
 * tests is appended there as a JSON line, for the contract suite to validate against the official documents.
 */
export function withContractRecording(
  hook: ResponseHook | undefined,
  options: { readonly clientRequests?: boolean } = {},
): ResponseHook | undefined {
  const file = process.env.CONTRACT_LOG;
  if (file === undefined || file === '') return hook;
  return (entry: ResponseLogEntry) => {
    hook?.(entry);
    const { sim, routeKey, status, responseBody } = entry;
    // With `clientRequests`, every request was sent by the production adapters (never a test's deliberately bad
    // one): their bodies are validated against the documented operations too.
    const request = options.clientRequests === true ? { client: true, requestBody: entry.requestBody } : {};
    appendFileSync(file, `${JSON.stringify({ sim, routeKey, status, responseBody, ...request })}\n`);
  };
}
