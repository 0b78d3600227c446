import type { LogFields, Logger } from '../ports/index.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Cloud Logging reads `severity` from a JSON line (structured logging). */
const SEVERITY: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/** Field names whose values are never written, whatever they hold. */
const SECRET_KEY =
  /(pass(word|phrase)?|secret|token|authorization|assertion|private_?key|privatekey|p12|pem|credential|api_?key|cookie|signature)/i;
/** Value shapes that are secrets wherever they appear: PEM blocks, bearer tokens, JWTs, OAuth access tokens. */
const SECRET_VALUE = [
  /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  /\bya29\.[A-Za-z0-9._-]+/g,
];
export const REDACTED = '[redacted]';

/** Replaces secret-looking substrings of a string. */
export function redactString(value: string): string {
  let out = value;
  for (const pattern of SECRET_VALUE) out = out.replace(pattern, REDACTED);
  return out;
}

/** A copy of `value` safe to log: secret-named fields dropped to {@link REDACTED}, secret-shaped text masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      code: (value as { code?: unknown }).code,
    };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && !/^(token)?count$/i.test(k) ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface JsonLoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; stdout by default (Cloud Functions forwards it to Cloud Logging). */
  readonly write?: (line: string) => void;
  readonly fields?: LogFields;
  readonly now?: () => Date;
}

/** One JSON object per line with `severity`, `message`, `time` and the (redacted) fields. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const entry = {
      severity: SEVERITY[level],
      message: redactString(message),
      time: now().toISOString(),
      ...(redact({ ...base, ...fields }) as Record<string, unknown>),
    };
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => {
      log('debug', m, f);
    },
    info: (m, f) => {
      log('info', m, f);
    },
    warn: (m, f) => {
      log('warn', m, f);
    },
    error: (m, f) => {
      log('error', m, f);
    },
    child: (fields) => createJsonLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** Discards everything (tests that do not look at logs). */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};

/** Keeps every line in memory, as written, so tests can search them (e.g. for leaked secrets). */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const logger = createJsonLogger({ level, write: (line) => lines.push(line) });
  return Object.assign(logger, { lines });
}
