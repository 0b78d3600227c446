/** The planner's public surface: {@link planSync}, its input and plan, the actions, and what the runner reuses. */
export type {
  Action,
  CreateGoogleAction,
  CreateSeveraAction,
  DeleteGoogleAction,
  DeleteSeveraAction,
  JoinSeveraAction,
  ReleaseAction,
  SideState,
  UnlinkAction,
  UpdateAction,
} from './actions.js';
export { pairAction } from './pair.js';
export { planSync, type NeedsRead, type Plan, type PlanInput } from './plan-sync.js';
export { refusalOf } from './refusals.js';
