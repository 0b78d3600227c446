/** How every function answers: our own short JSON, a Pub/Sub ack, and the call's correlation id. */
import type * as functions from '@google-cloud/functions-framework';

import type { HttpResult } from '../shared/app/http-handlers.js';

export function send(res: functions.Response, result: HttpResult): void {
  res.status(result.status).json(result.body);
}

/** Pub/Sub takes 102, 200, 201, 202 and 204 as an ack. */
export function ack(res: functions.Response): void {
  res.status(204).end();
}

export function correlationOf(req: functions.Request): string | undefined {
  const trace = req.header('x-cloud-trace-context') ?? req.header('function-execution-id');
  return trace?.split('/')[0];
}
