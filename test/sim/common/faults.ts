import { z } from 'zod';

/**
 * Fault injection shared by both simulators (`POST /_sim/faults`). A rule applies to requests whose route key
 * (`"<METHOD> <route pattern>"`, e.g. `"PATCH /v1/activities/{guid}"`, or `"*"`) matches; it may fail a share of them
 * with a status, delay them, or drop push notifications. `count` limits a rule to its next N matches.
 */
export const faultRuleSchema = z.strictObject({
  route: z.string().min(1),
  errorRate: z.number().min(0).max(1).optional(),
  status: z.number().int().min(400).max(599).optional(),
  /** For 403 on Google: the `reason` to report (`rateLimitExceeded`, `userRateLimitExceeded`, …). */
  reason: z.string().optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  dropNotifications: z.boolean().optional(),
  /**
   * The request takes effect and only then fails with `status`: a response lost after the server acted (a timeout
   * or a 5xx from a proxy). What a client that retries a non-idempotent call must survive.
   */
  afterEffect: z.boolean().optional(),
  count: z.number().int().min(1).optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;

export const faultsBodySchema = z.strictObject({ rules: z.array(faultRuleSchema).max(100) });

export interface FaultDecision {
  readonly fail: null | {
    readonly status: number;
    readonly reason: string | undefined;
    /** The request is executed first; only its response is replaced by the failure. */
    readonly afterEffect: boolean;
  };
  readonly latencyMs: number;
}

export class Faults {
  #rules: { rule: FaultRule; left: number }[] = [];
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  set(rules: readonly FaultRule[]): void {
    this.#rules = rules.map((rule) => ({ rule, left: rule.count ?? Number.POSITIVE_INFINITY }));
  }

  clear(): void {
    this.#rules = [];
  }

  list(): FaultRule[] {
    return this.#rules.filter((r) => r.left > 0).map((r) => r.rule);
  }

  /** Decides the fate of one request with this route key; consumes counted rules. */
  decide(routeKey: string): FaultDecision {
    let latencyMs = 0;
    for (const entry of this.#rules) {
      if (entry.left <= 0 || !matches(entry.rule.route, routeKey)) continue;
      if (entry.rule.dropNotifications === true) continue;
      latencyMs = Math.max(latencyMs, entry.rule.latencyMs ?? 0);
      const rate = entry.rule.errorRate ?? (entry.rule.status === undefined ? 0 : 1);
      if (rate > 0 && this.#random() < rate) {
        entry.left -= 1;
        return {
          fail: {
            status: entry.rule.status ?? 500,
            reason: entry.rule.reason,
            afterEffect: entry.rule.afterEffect === true,
          },
          latencyMs,
        };
      }
      if (rate === 0 && entry.rule.latencyMs !== undefined) entry.left -= 1;
    }
    return { fail: null, latencyMs };
  }

  /** Whether a push notification about to be sent should be dropped. */
  dropNotification(): boolean {
    for (const entry of this.#rules) {
      if (entry.left > 0 && entry.rule.dropNotifications === true) {
        if (this.#random() < (entry.rule.errorRate ?? 1)) {
          entry.left -= 1;
          return true;
        }
      }
    }
    return false;
  }
}

function matches(pattern: string, routeKey: string): boolean {
  if (pattern === '*') return true;
  if (pattern === routeKey) return true;
  // "GET *" or "* /v1/activities" style wildcards
  const [pm = '', pp = ''] = pattern.split(' ', 2);
  const [rm = '', rp = ''] = routeKey.split(' ', 2);
  return (pm === '*' || pm === rm) && (pp === '*' || pp === rp);
}
