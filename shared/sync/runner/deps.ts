/** What a run of the runner is given, what it can be asked, and what it answers. */
import type { SyncError } from '../../domain/index.js';
import type { CalendarPort, Clock, SeveraPort, SyncStore, UserSyncStatus } from '../../ports/index.js';
import type { AuditSummary } from '../audit-summary.js';
import type { FieldDecision } from '../merge.js';
import type { Action, Plan } from '../plan/index.js';
import type { SyncSettings } from '../../domain/settings.js';

export interface RunnerDeps {
  readonly severa: SeveraPort;
  readonly calendar: CalendarPort;
  readonly store: SyncStore;
  readonly clock: Clock;
  readonly settings: SyncSettings;
  /** Called after every durable step (a remote write, a store write); tests throw from it to simulate a crash. */
  readonly onStep?: (step: string) => void;
  /** Receives each applied action with its field decisions (the audit trail, B2). */
  readonly onApplied?: (entry: AppliedAction) => void;
  /** How far the run's plan has got: `done` of `total` actions tried (a first sync shows it to the person). */
  readonly onProgress?: (done: number, total: number) => Promise<void>;
}

export interface AppliedAction {
  readonly user: string;
  readonly kind: Action['kind'];
  readonly severaGuid: string | null;
  readonly googleId: string | null;
  readonly why: string;
  readonly decisions: readonly FieldDecision[];
  /** The entry it was about and each change applied (audit-summary.ts). */
  readonly summary: AuditSummary;
}

export interface SyncRunOptions {
  /** Also list the user's Severa window to find deletions, confirmed by a 404 (SPEC §6). */
  readonly reconcile?: boolean;
  /** Apply a held mass deletion the user confirmed (B3). */
  readonly confirmDeletions?: boolean;
  /** Plan only (B1 preview): nothing is written, not even the link store (dry-run.ts). */
  readonly dryRun?: boolean;
}

export interface SyncRunResult {
  readonly plan: Plan;
  readonly applied: number;
  /** Actions that failed; their items are retried by the next run (no token or inbox progress was saved). */
  readonly failed: number;
  readonly errors: readonly SyncError[];
  readonly status: UserSyncStatus;
}

/** Reports a durable step to {@link RunnerDeps.onStep}. */
export function step(deps: RunnerDeps, name: string): void {
  deps.onStep?.(name);
}
