/**
 * The operator's application service: what the CLI (`npm run cli -- …`) does today and the settings page will do
 * later. Every operation returns data and prints nothing; failures are typed ({@link OperatorError},
 * {@link SetupValidationError}, or the adapters' own `SyncError`s) with messages a person can act on.
 *
 * - S1 org setup: {@link Operator.setupOrg} checks everything before it saves anything, then saves the secrets and the
 *   OrgConfig (`org-setup.ts`).
 * - S2 opt-in: {@link Operator.enableUser} only while the organisation is switched on; the person is matched by
 *   e-mail (case-insensitively) in Severa and Google must issue a delegated token for them.
 * - B1 preview: {@link Operator.previewUser} plans a run with nothing written (the runner's dry run, over read-only
 *   views of the store and both APIs, shared/sync/runner/dry-run.ts, so even a runner bug cannot write).
 * - B7 status and resync: {@link Operator.listStatuses}, {@link Operator.userStatus}, {@link Operator.resync}.
 *
 * No secret value (P12 bytes, its password, the Severa client secret, tokens, a push channel's token) is ever
 * returned, logged or put into a message.
 *
 * One file per use case group, composed here into the {@link Operator} the CLI and the console API use:
 * - `org-setup.ts` (S1), with `org-settings.ts` (the settings as they stand; the integration on or off);
 * - `people.ts`, composing `people.opt-in.ts` (S2 opt-in and opt-out), `people.status.ts` (B7 status) and
 *   `people.hold.ts` (B3 hold decisions);
 * - `preview-resync.ts` (B1, B7 resync);
 * - `audit.ts` (B2, a person's trail as a reader may see it);
 * - `errors.ts` (the typed refusals), `shared.ts` (what they take from the composition root, shared lookups, and
 *   the person's lease).
 */
import { auditUseCases, type AuditUseCases } from './audit.js';
import { orgSetupUseCases, type OrgSetupUseCases } from './org-setup.js';
import { peopleUseCases, type PeopleUseCases } from './people.js';
import { previewResyncUseCases, type PreviewResyncUseCases } from './preview-resync.js';
import { operatorContext, type OperatorContainer, type OperatorOptions } from './shared.js';

export {
  OPERATOR_ERROR_CODES,
  OperatorError,
  SETUP_CHECKS,
  SetupValidationError,
  type OperatorErrorCode,
  type SetupCheck,
  type SetupProblem,
} from './errors.js';
export type { OrgSetupInput, OrgSetupResult } from './org-setup.js';
export type { OrgView, SecretPresence } from './org-settings.js';
export type { HoldDecisionResult } from './people.hold.js';
export type { DisableUserResult, EnableUserResult } from './people.opt-in.js';
export { HELD_ITEMS_SHOWN, type HeldItemView, type UserStatusView } from './people.status.js';
export type { PreviewResult, ResyncResult } from './preview-resync.js';
export type { OperatorContainer, OperatorOptions } from './shared.js';
export { AUDIT_SHOWN, auditEntryView, type AuditEntryView } from './audit.js';

export interface Operator extends OrgSetupUseCases, PeopleUseCases, PreviewResyncUseCases, AuditUseCases {}

export function createOperator(container: OperatorContainer, options: OperatorOptions = {}): Operator {
  const ctx = operatorContext(container, options);
  return {
    ...orgSetupUseCases(ctx),
    ...peopleUseCases(ctx),
    ...previewResyncUseCases(ctx),
    ...auditUseCases(ctx),
  };
}
