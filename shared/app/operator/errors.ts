/**
 * The operator's typed refusals: {@link OperatorError} (a code and words for the person who asked) and
 * {@link SetupValidationError} (every problem the org setup found, nothing saved). Never carries a secret.
 */

export const OPERATOR_ERROR_CODES = [
  /** A value given to the operation is malformed (an e-mail that is not one, …). */
  'invalid-input',
  /** The org setup found problems; see {@link SetupValidationError.problems}. */
  'setup-invalid',
  'org-not-set-up',
  'org-disabled',
  'user-not-found',
  'user-inactive',
  'user-not-enabled',
  /** Google refused to act for the person (delegation, no calendar …). */
  'google-access',
  /** Another run holds the person's lease right now. */
  'user-busy',
  /** Nothing is held for the person (B3), so there is nothing to confirm or reject. */
  'no-hold',
  /** The hold was decided the other way already; its run has not finished yet. */
  'hold-decided',
] as const;
export type OperatorErrorCode = (typeof OPERATOR_ERROR_CODES)[number];

/** A refusal of an operation, in words for the person who asked. Never carries a secret. */
export class OperatorError extends Error {
  constructor(
    readonly code: OperatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Which part of the setup a problem is about. */
export const SETUP_CHECKS = ['input', 'p12', 'google', 'severa', 'activity-types'] as const;
export type SetupCheck = (typeof SETUP_CHECKS)[number];

export interface SetupProblem {
  readonly check: SetupCheck;
  /**
   * Stable code: `service-account-email`, `test-user-email`, `severa-client-id`, `severa-client-secret`,
   * `no-activity-types` (input); `p12-unreadable` (p12); the adapters' error codes for google and severa
   * (`delegation-denied`, `bad-credentials`, `missing-scope`, `configuration`, `transient`, …);
   * `unknown-activity-type`, `project-task-type` (activity-types).
   */
  readonly code: string;
  /** What is wrong and what to do, in plain words. */
  readonly message: string;
}

/** The org setup was refused: every problem found, nothing saved. */
export class SetupValidationError extends OperatorError {
  constructor(
    readonly problems: readonly SetupProblem[],
    /** Checks that could not run because an earlier one failed (e.g. activity types without Severa access). */
    readonly unchecked: readonly string[],
  ) {
    super(
      'setup-invalid',
      `The organisation settings were not saved: ${problems.length} problem${problems.length === 1 ? '' : 's'} found. ` +
        problems.map((p) => p.message).join(' '),
    );
  }
}
