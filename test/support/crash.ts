/**
 * Fault injection's crash: a worker dying between two durable steps. The runner and the worker let an error with
 * this code through untouched (as a process death would end the run), so a test can crash a run at any step.
 */
import { SyncError } from '../../shared/domain/index.js';

export class CrashInjectedError extends SyncError {
  readonly code = 'crash-injected';
  readonly transient = true;
}
