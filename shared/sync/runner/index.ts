/**
 * The runner: one user's sync, collect → plan → apply (docs/sync-engine.md "The runner").
 *
 * - `sync-user.ts`: the orchestration ({@link syncUser}): passes, planner reads, progress markers saved last.
 * - `collect.ts`: what changed on both sides, and the fresh reads the planner needs; `peers.ts`: other attendees'
 *   links (B5); `intents.ts`: crash recovery of Severa creates.
 * - `apply.ts`: one function per action kind (`apply-create.ts`, `apply-update.ts` for the longer ones).
 * - `holds.ts` (B3), `refusals.ts` (issue 9 #8), `status.ts` (B7): what a run keeps and reports.
 * - `dry-run.ts`: the read-only views a dry run (B1 preview) runs over.
 */
export type { AppliedAction, RunnerDeps, SyncRunOptions, SyncRunResult } from './deps.js';
export { describeErrors } from './status.js';
export { syncUser } from './sync-user.js';
