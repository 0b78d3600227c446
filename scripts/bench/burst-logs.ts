/**
 * What the burst became, read from the functions' own JSON log lines (captured through the local stack's `writeLog`,
 * at debug level): the sync requests published (by reason), every `syncWorker` delivery and how it ended, and the
 * sync runs. The lines are the product's, unchanged (shared/app/sync-worker.ts, functions/index.ts,
 * shared/adapters/pubsub/pubsub.publisher.ts); a renamed line shows here as a zero, so the part checks that runs
 * were seen at all.
 */

interface LogLine {
  readonly message: string;
  /** Epoch ms. */
  readonly at: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export function parseLines(lines: readonly string[]): LogLine[] {
  const out: LogLine[] = [];
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (typeof entry.message !== 'string' || typeof entry.time !== 'string') continue;
      out.push({ message: entry.message, at: Date.parse(entry.time), fields: entry });
    } catch {
      // not a JSON line of ours
    }
  }
  return out;
}

export interface WorkerAccount {
  /** Sync requests published, by reason (`push`, `webhook`, `severa-change`, `reconcile`). */
  readonly published: ReadonlyMap<string, number>;
  /** `syncWorker` deliveries acked (2xx to Pub/Sub), whatever their outcome. */
  readonly acked: number;
  /** Deliveries handed back to Pub/Sub with 503 (user busy past the lease wait, or a transient failure). */
  readonly redelivered: number;
  /** Sync runs that finished, and those of them that wrote something. */
  readonly runs: number;
  readonly runsWithWork: number;
  /** Runs that failed (transiently or not). */
  readonly failedRuns: number;
  /** Deliveries acked without a run, by reason (`covered-by-later-run`, `already-processed`, …). */
  readonly skipped: ReadonlyMap<string, number>;
  /** Times a delivery found the user's lease taken (it waits up to 10 s, then is handed back). */
  readonly busy: number;
  /** Errors logged by any function. */
  readonly errors: readonly string[];
  /** Why notices were answered with 5xx, from the webhook's own warnings: error text → count. */
  readonly webhookFailures: ReadonlyMap<string, number>;
  /** Epoch ms of each finished run, and of each publish. */
  readonly runTimes: readonly number[];
  readonly publishTimes: readonly number[];
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function isWorkRun(fields: Readonly<Record<string, unknown>>): boolean {
  return typeof fields.applied === 'number' && fields.applied > 0;
}

function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

export function accountWorker(lines: readonly LogLine[]): WorkerAccount {
  const published = new Map<string, number>();
  const skipped = new Map<string, number>();
  const webhookFailures = new Map<string, number>();
  const counts = { acked: 0, redelivered: 0, runs: 0, runsWithWork: 0, failedRuns: 0, busy: 0 };
  const errors: string[] = [];
  const runTimes: number[] = [];
  const publishTimes: number[] = [];
  for (const { message, at, fields } of lines) {
    if (fields.severity === 'ERROR') errors.push(message);
    switch (message) {
      case 'sync request published':
        bump(published, String(fields.reason));
        publishTimes.push(at);
        break;
      case 'sync request handled':
      case 'sync request failed permanently':
      case 'sync request dropped':
        counts.acked += 1;
        break;
      case 'sync request will be redelivered':
        counts.redelivered += 1;
        break;
      case 'sync run finished':
        counts.runs += 1;
        if (isWorkRun(fields)) counts.runsWithWork += 1;
        runTimes.push(at);
        break;
      case 'sync run failed; the request is redelivered':
      case 'sync run failed permanently; recorded on the user status':
        counts.failedRuns += 1;
        break;
      case 'sync request skipped':
        bump(skipped, String(fields.skip));
        break;
      case 'sync request already processed':
        bump(skipped, 'already-processed');
        break;
      case 'user busy: another run holds the lease':
        counts.busy += 1;
        break;
      case 'webhook could not be processed now':
      case 'webhook failed':
        bump(webhookFailures, errorText(fields.error));
        break;
    }
  }
  return { published, skipped, errors, webhookFailures, runTimes, publishTimes, ...counts };
}

export const totalOf = (map: ReadonlyMap<string, number>): number =>
  [...map.values()].reduce((sum, n) => sum + n, 0);

/** "push 1,000, webhook 3" */
export function describeCounts(map: ReadonlyMap<string, number>): string {
  if (map.size === 0) return 'none';
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`)
    .join(', ');
}
