import type { Action, Plan } from './plan/index.js';

/** What a first sync (or any run) would do, for a person to confirm before anything is written (B1). */
export interface PlanPreview {
  readonly createInGoogle: number;
  readonly createInSevera: number;
  /** Entries found on both sides and linked instead of copied (S6), and meetings joined (B5). */
  readonly matched: number;
  readonly updateGoogle: number;
  readonly updateSevera: number;
  readonly deleteInGoogle: number;
  readonly deleteInSevera: number;
  /** A few titles per kind, so the numbers can be checked against the calendars. */
  readonly examples: Readonly<Record<'createInGoogle' | 'createInSevera' | 'matched', readonly string[]>>;
  /** Google events that are not calendar entries and stay out of Severa, by `eventType` (working location, …). */
  readonly leftOut: Plan['leftOut'];
  readonly held: Plan['held'];
}

const EXAMPLES = 5;

/** Counts a plan the way the status page shows it: "N to create in Google / M in Severa / K matched". */
export function previewOf(plan: Plan): PlanPreview {
  const examples = {
    createInGoogle: [] as string[],
    createInSevera: [] as string[],
    matched: [] as string[],
  };
  const note = (kind: keyof typeof examples, title: string) => {
    if (examples[kind].length < EXAMPLES) examples[kind].push(title);
  };
  const count = { createInGoogle: 0, createInSevera: 0, matched: 0, updateGoogle: 0, updateSevera: 0 };
  const deletions = { deleteInGoogle: 0, deleteInSevera: 0 };
  for (const action of plan.actions) tally(action);
  return { ...count, ...deletions, examples, leftOut: plan.leftOut, held: plan.held };

  function tally(action: Action): void {
    switch (action.kind) {
      case 'create-google':
        count.createInGoogle += 1;
        note('createInGoogle', action.severa.content.title);
        return;
      case 'create-severa':
        count.createInSevera += 1;
        note('createInSevera', action.google.content.title);
        return;
      case 'join-severa':
        count.matched += 1;
        note('matched', action.google.content.title);
        return;
      case 'update':
        if (action.link === null) {
          count.matched += 1;
          note('matched', action.content.title);
        }
        if (action.google.write) count.updateGoogle += 1;
        if (action.severa.write) count.updateSevera += 1;
        return;
      case 'delete-google':
        deletions.deleteInGoogle += 1;
        return;
      case 'delete-severa':
        deletions.deleteInSevera += 1;
        return;
      case 'release':
      case 'unlink':
        return;
    }
  }
}
