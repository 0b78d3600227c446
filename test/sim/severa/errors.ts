/** Severa errors as `ExceptionModel` bodies (severa-api.md §4). */

/** `ExceptionTypeEnum` values the simulator uses (severa-api.md §4 lists the whole enum). */
export const SEVERA_ERROR_TYPES = [
  'InternalSystemError',
  'AuthenticationRequired',
  'InvalidParameter',
  'InvalidOperation',
  'InvalidRequest',
  'InsufficientApiScope',
  'PermissionDenied',
] as const;
export type SeveraErrorType = (typeof SEVERA_ERROR_TYPES)[number];

export interface ErrorDetail {
  readonly message: string;
  /** `ExceptionLocationModel`: which input the detail is about. */
  readonly location?: {
    readonly name: string;
    readonly type: 'PathParameter' | 'RequestBody' | 'RequestHeader' | 'UriParameter';
  };
}

/** Thrown inside the simulator; the dispatcher turns it into an ExceptionModel response. */
export class SeveraApiError extends Error {
  readonly status: number;
  readonly type: SeveraErrorType;
  readonly details: readonly ErrorDetail[];

  constructor(status: number, type: SeveraErrorType, details: readonly ErrorDetail[] | string) {
    const list = typeof details === 'string' ? [{ message: details }] : details;
    super(list.map((d) => d.message).join('; '));
    this.name = 'SeveraApiError';
    this.status = status;
    this.type = type;
    this.details = list;
  }
}

export interface ExceptionModelBody {
  readonly error: {
    readonly httpStatusCode: number;
    readonly type: string;
    readonly details: readonly ErrorDetail[];
  };
}

export function exceptionBody(
  status: number,
  type: string,
  details: readonly ErrorDetail[],
): ExceptionModelBody {
  return { error: { httpStatusCode: status, type, details } };
}

/** The documented 429 text (severa-api.md §4, seen in rantalainen/severa-api-client). */
export function quotaMessage(perSecond: number): string {
  return `API calls quota exceeded! maximum admitted ${perSecond} per 1s.`;
}

export function notFound(what: string, guid: string): SeveraApiError {
  return new SeveraApiError(404, 'InvalidParameter', [
    { message: `${what} ${guid} was not found.`, location: { name: 'guid', type: 'PathParameter' } },
  ]);
}

export function invalidBody(field: string, message: string): SeveraApiError {
  return new SeveraApiError(400, 'InvalidParameter', [
    { message: `${field}: ${message}`, location: { name: field, type: 'RequestBody' } },
  ]);
}

export function invalidQuery(name: string, message: string): SeveraApiError {
  return new SeveraApiError(400, 'InvalidParameter', [
    { message: `${name}: ${message}`, location: { name, type: 'UriParameter' } },
  ]);
}
