/** Structured fields of a log line; values are redacted by the logger before they are written. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Structured logging (one JSON object per line for Cloud Logging). Adapters log requests and retries through it;
 * no caller passes a key, token or password, and the implementation redacts them anyway.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. a correlation id) to every line. */
  child(fields: LogFields): Logger;
}
