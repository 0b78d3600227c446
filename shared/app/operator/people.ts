/**
 * People: S2 opt-in and opt-out (`people.opt-in.ts`), B7 status (`people.status.ts`), and B3 hold decisions
 * (`people.hold.ts`, audited), as the {@link PeopleUseCases} the operator offers.
 */
import { decideHold, type HoldDecisionResult } from './people.hold.js';
import { disableUser, enableUser, type DisableUserResult, type EnableUserResult } from './people.opt-in.js';
import { listStatuses, userStatus, type UserStatusView } from './people.status.js';
import type { OperatorContext } from './shared.js';

export interface PeopleUseCases {
  enableUser(email: string): Promise<EnableUserResult>;
  disableUser(email: string): Promise<DisableUserResult>;
  userStatus(email: string): Promise<UserStatusView>;
  listStatuses(): Promise<readonly UserStatusView[]>;
  /**
   * Decides a B3 hold (audited): `confirm` lets the person's next run apply the held deletions, `reject` makes it
   * restore the deleted entries from the other side. `by` names who decided, for the audit trail.
   */
  decideHold(email: string, decision: 'confirm' | 'reject', by: string): Promise<HoldDecisionResult>;
}

export function peopleUseCases(ctx: OperatorContext): PeopleUseCases {
  return {
    enableUser: (email) => enableUser(ctx, email),
    disableUser: (email) => disableUser(ctx, email),
    userStatus: (email) => userStatus(ctx, email),
    listStatuses: () => listStatuses(ctx),
    decideHold: (email, decision, by) => decideHold(ctx, email, decision, by),
  };
}
