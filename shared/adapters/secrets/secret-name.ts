import { PermanentError } from '../../domain/errors.js';

/** Secret Manager's secret id alphabet and length (`[A-Za-z0-9_-]{1,255}`); every source accepts the same names. */
const SECRET_NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;

/** Throws a configuration error for a name no source could hold. Names are not secret and may be quoted. */
export function assertSecretName(name: string): void {
  if (!SECRET_NAME_RE.test(name)) {
    throw new PermanentError(
      'configuration',
      `Secret name ${JSON.stringify(name.slice(0, 80))} is invalid: use 1–255 letters, digits, "-" or "_".`,
    );
  }
}

/** A secret that is not set in the source (as opposed to one that could not be read): callers may treat it as absent. */
export class SecretMissingError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('configuration', message, options);
  }
}

/** The environment variable holding secret `name`: `SECRET_` + the name upper-cased, other characters as `_`. */
export function secretEnvVar(name: string): string {
  return `SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
