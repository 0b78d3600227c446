/** Request counts for `GET /_sim/stats`: by route, method, status and user, so tests can assert API cost. */
export interface StatsRow {
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly user: string | null;
  readonly count: number;
}

export class RequestStats {
  readonly #counts = new Map<string, StatsRow>();

  record(method: string, route: string, status: number, user: string | null): void {
    const key = JSON.stringify([method, route, status, user]);
    const row = this.#counts.get(key);
    this.#counts.set(key, { method, route, status, user, count: (row?.count ?? 0) + 1 });
  }

  reset(): void {
    this.#counts.clear();
  }

  rows(): StatsRow[] {
    return [...this.#counts.values()].sort((a, b) =>
      `${a.route} ${a.method} ${a.status}`.localeCompare(`${b.route} ${b.method} ${b.status}`),
    );
  }

  /** Total requests matching a filter. */
  total(filter: Partial<Omit<StatsRow, 'count'>> = {}): number {
    return this.rows()
      .filter(
        (r) =>
          (filter.method === undefined || r.method === filter.method) &&
          (filter.route === undefined || r.route === filter.route) &&
          (filter.status === undefined || r.status === filter.status) &&
          (filter.user === undefined || r.user === filter.user),
      )
      .reduce((sum, r) => sum + r.count, 0);
  }
}
