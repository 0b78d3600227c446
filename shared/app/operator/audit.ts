/**
 * B2: a person's audit trail as the console shows it (the newest entries first). The person reads their own; an
 * administrator reads anyone's, and sees someone else's private entry as "Private entry": what the sync did and why
 * stay visible, what the entry is about does not.
 */
import type { AuditEntry } from '../../ports/index.js';
import { normaliseEmail, type OperatorContext } from './shared.js';

/** How many entries a trail shows: the newest. */
export const AUDIT_SHOWN = 200;

/** One audit entry as a reader sees it. */
export interface AuditEntryView {
  readonly at: string;
  readonly kind: string;
  readonly title: string;
  readonly date: string | null;
  readonly private: boolean;
  readonly changes: readonly string[];
  readonly severaGuid: string | null;
  readonly googleId: string | null;
  readonly why: string;
  readonly decisions: readonly string[];
}

export interface AuditUseCases {
  /**
   * The audit trail of `email` for a reader: `own` when the reader is that person (everything shown), otherwise an
   * administrator (private entries' titles and field changes hidden). Empty for someone who never synced.
   */
  auditTrail(email: string, reader: 'own' | 'administrator'): Promise<readonly AuditEntryView[]>;
}

export function auditUseCases(ctx: OperatorContext): AuditUseCases {
  const { container, directoryUser } = ctx;
  return {
    async auditTrail(email, reader) {
      const user = await directoryUser(normaliseEmail(email));
      if (user === null) return [];
      const entries = await container.stores.audit.listForUser(user.severaUserGuid, AUDIT_SHOWN);
      return entries.map((e) => auditEntryView(e, reader === 'own'));
    },
  };
}

export function auditEntryView(e: AuditEntry, own: boolean): AuditEntryView {
  const hidden = e.private && !own;
  return {
    at: e.at,
    kind: e.kind,
    title: hidden ? 'Private entry' : e.title,
    date: e.date,
    private: e.private,
    // What was written where, and privacy itself, say nothing of what the entry is about.
    changes: hidden
      ? e.changes.filter((c) => c.startsWith('written to ') || c.startsWith('made '))
      : e.changes,
    severaGuid: e.severaGuid,
    googleId: e.googleId,
    why: e.why,
    decisions: e.decisions,
  };
}
