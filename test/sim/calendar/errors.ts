/**
 * Google's JSON error envelope, `{error: {code, message, errors: [{domain, reason, message}]}}`, with the reasons the
 * sync must tell apart (google-calendar.md §4). Handlers throw {@link GoogleApiError}; the dispatcher turns it into a
 * response, so every error path produces the same shape.
 */
export class GoogleApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly domain: string;

  constructor(status: number, reason: string, message: string, domain = 'global') {
    super(message);
    this.name = 'GoogleApiError';
    this.status = status;
    this.reason = reason;
    this.domain = domain;
  }

  body(): {
    error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[] };
  } {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ domain: this.domain, reason: this.reason, message: this.message }],
      },
    };
  }
}

/** The OAuth token endpoint's own error shape: `{error, error_description}` (google-calendar.md §5). */
export class OAuthError extends Error {
  readonly status: number;
  readonly error: string;

  constructor(status: number, error: string, description: string) {
    super(description);
    this.name = 'OAuthError';
    this.status = status;
    this.error = error;
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

export const notFound = (): GoogleApiError => new GoogleApiError(404, 'notFound', 'Not Found');
export const invalid = (message: string): GoogleApiError => new GoogleApiError(400, 'invalid', message);
export const badRequest = (message: string): GoogleApiError => new GoogleApiError(400, 'badRequest', message);

/** Quota errors live in the `usageLimits` domain; their messages are Google's (google-calendar.md §4). */
export function quotaError(status: number, reason: string | undefined): GoogleApiError {
  const r = reason ?? (status === 403 || status === 429 ? 'rateLimitExceeded' : 'backendError');
  const messages: Record<string, string> = {
    rateLimitExceeded: 'Rate Limit Exceeded',
    userRateLimitExceeded: 'User Rate Limit Exceeded',
    quotaExceeded: 'Calendar usage limits exceeded.',
    backendError: 'Backend Error',
  };
  const usage = r === 'rateLimitExceeded' || r === 'userRateLimitExceeded' || r === 'quotaExceeded';
  return new GoogleApiError(status, r, messages[r] ?? r, usage ? 'usageLimits' : 'global');
}
