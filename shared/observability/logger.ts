/**
 * The redacting JSON logger behind the {@link Logger} port: one line per call for Cloud Logging, with secrets masked
 * both by field name and by the shape of the text (style practice 14: logs never contain secrets).
 *
 * Not pino or winston: their redaction is by path (`req.headers.authorization`), while most leaks here are
 * secret-shaped text inside free-form strings (library error messages, URLs, form bodies), which no path rule sees.
 */
import type { LogFields, Logger } from '../ports/index.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Cloud Logging reads `severity` from a JSON line (structured logging). */
const SEVERITY: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

export const REDACTED = '[redacted]';

/** Longest string value written as is; longer ones keep this many characters and a marker. */
const MAX_STRING_CHARS = 2_000;
/** Nesting kept below the line's fields (an error's `cause` chain counts as nesting). */
const MAX_DEPTH = 6;
const MAX_ARRAY_ITEMS = 50;
const MAX_OBJECT_KEYS = 100;

// ---------------------------------------------------------------------------------------------------------------
// Secret field names. A name is split into words (camelCase, snake_case, kebab-case, dots) and judged by its words,
// so `auth` is a secret but `author` is not, and `sig` is but `signal` is not.

/** Words that make a field a secret wherever they stand in its name. */
const SECRET_WORDS = new Set([
  ...['password', 'passwords', 'passwd', 'passphrase', 'pass', 'pwd'],
  ...['secret', 'secrets', 'token', 'tokens', 'auth', 'authorization', 'bearer', 'jwt', 'assertion'],
  ...['credential', 'credentials', 'cookie', 'cookies', 'signature', 'signatures', 'sig', 'sigs', 'hmac'],
  ...['pem', 'p12', 'pfx', 'apikey', 'privatekey'],
]);
/** Endings of one-word compounds (`accesstoken`, `clientsecret`, `xapikey`). */
const SECRET_ENDINGS = [
  'token',
  'secret',
  'password',
  'passwd',
  'apikey',
  'privatekey',
  'signature',
  'cookie',
];
/**
 * `key` alone, or after one of these words (`apiKey`, `private_key`, `x-goog-api-key`), is a secret; other keys are
 * names of things (`linkKey`, `occurrenceKey`, `idempotencyKey`, `keys`).
 */
const KEY_QUALIFIERS = new Set([
  ...['api', 'private', 'secret', 'access', 'signing', 'client', 'encryption', 'master', 'session'],
  ...['shared', 'subscription', 'license', 'account', 'service', 'hmac', 'auth', 'webhook'],
]);
/** A last word that makes the field data about a secret, not the secret (`tokenCount`, `secretsSaved`). */
const ABOUT_A_SECRET = new Set([
  ...['count', 'counts', 'length', 'size', 'saved', 'type', 'kind', 'name', 'names', 'id', 'version'],
  ...['expires', 'expiry', 'expiration', 'at', 'ms', 'seconds', 'url', 'uri', 'endpoint', 'method', 'scheme'],
]);

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** Whether a field (or query parameter, header, JSON member) with this name holds a secret. */
function isSecretName(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined || (words.length > 1 && ABOUT_A_SECRET.has(last))) return false;
  return words.some(
    (w, i) =>
      SECRET_WORDS.has(w) ||
      SECRET_ENDINGS.some((end) => w.endsWith(end)) ||
      (w === 'key' && words.length === 1) ||
      ((w === 'key' || w === 'keys') && KEY_QUALIFIERS.has(words[i - 1] ?? '')),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Secret-shaped text, masked wherever it appears. Every pattern starts at a boundary (look-behind) so that a long
// run of word characters costs linear time, not quadratic.

/** Shapes masked whole: PEM blocks (also cut short), bearer tokens, JWTs, Google access/refresh tokens and API keys. */
const SECRET_SHAPES: readonly RegExp[] = [
  /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g,
  /\bBearer\s+[A-Za-z0-9._~+/-]+=*/gi,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  /\bya29\.[A-Za-z0-9._-]+/g,
  /(?<![A-Za-z0-9_-])1\/\/0[A-Za-z0-9_-]{20,}/g,
  /\bAIza[A-Za-z0-9_-]{30,}/g,
];

/** `scheme://user:password@host`: the password. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi;

/** Header text (`Authorization: Basic …`, `x-goog-channel-token: …`): the value, to the closing quote or the line's end. */
const HEADER =
  /(?<![A-Za-z0-9-])((?:proxy-)?authorization|(?:set-)?cookie|api-key|x-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)(\s*:[ \t]*)/gi;

/** `name: "value"`, `"name":"value"`, `name='value'` (JSON bodies and inspected objects in error messages). */
const QUOTED_MEMBER = /(?<![\w.-])(["']?)([A-Za-z_][\w.-]*)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\\r\n])*)\4/g;

/** `name=value` in URLs and form bodies: the value only. `code` (an OAuth code) only right after `?`, `&` or at the start. */
const QUERY_PARAM = /(?<![A-Za-z0-9_.[\]-])([A-Za-z0-9_.[\]-]+)=(?!["'])([^&\s#"'<>;,)]+)/g;

/** 32 or more hex digits standing alone (keys, HMACs, digests). `sv` + 32 hex (our event ids) is not alone. */
const LONG_HEX = /(?<![A-Za-z0-9])(?:0x)?[0-9a-fA-F]{32,}(?![A-Za-z0-9])/g;

/** A run of 40 or more base64 / base64url characters, judged by {@link looksRandom}. */
const LONG_BASE64 = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_-])/g;
/** Readable ids a run may contain: UUIDs (Severa guids), our event ids, a Google instance id's date suffix. */
const READABLE_IDS =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|sv[0-9a-f]{32}(?![0-9a-f])|_(?:19|20)\d{6}(?:T\d{6}Z)?(?![A-Za-z0-9])/gi;

function charClass(c: string): number {
  return c >= 'a' && c <= 'z' ? 0 : c >= 'A' && c <= 'Z' ? 1 : 2;
}

/**
 * Random text changes between lower case, upper case and digits on about 65% of adjacent letters and digits (base64)
 * or 47% (hex); paths, camelCase names and constants on far fewer (`googleCalendarAdapterRequestFailedWithStatus`:
 * 28%). Below 30% is taken as readable: measured, one random 43-character base64url token (32 bytes, like our channel
 * tokens) in about 30,000 falls there, and one 40-character base64 run in about 11,000.
 */
function looksRandom(piece: string): boolean {
  if (piece.length < 40) return false;
  const chars = piece.replace(/[^A-Za-z0-9]/g, '');
  const classes = new Set<number>();
  let changes = 0;
  for (let i = 0; i < chars.length; i += 1) {
    const cls = charClass(chars.charAt(i));
    classes.add(cls);
    if (i > 0 && cls !== charClass(chars.charAt(i - 1))) changes += 1;
  }
  return classes.size >= 2 && changes >= 0.3 * (chars.length - 1);
}

function maskQuotedMembers(text: string): string {
  return text.replace(
    QUOTED_MEMBER,
    (_whole, nq: string, name: string, sep: string, q: string, value: string) =>
      `${nq}${name}${nq}${sep}${q}${isSecretName(name) ? REDACTED : maskQuotedMembers(value)}${q}`,
  );
}

function maskHeaders(text: string): string {
  let out = '';
  let from = 0;
  HEADER.lastIndex = 0;
  for (let m = HEADER.exec(text); m !== null; m = HEADER.exec(text)) {
    const [whole, name = '', sep = ''] = m;
    if (!isSecretName(name)) continue;
    const start = m.index + whole.length;
    const quote = text.charAt(start);
    let end: number;
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, start + 1);
      end = close < 0 ? text.length : close + 1;
      out += `${text.slice(from, m.index)}${name}${sep}${quote}${REDACTED}${quote}`;
    } else {
      const eol = text.slice(start).search(/[\r\n]/);
      end = eol < 0 ? text.length : start + eol;
      out += `${text.slice(from, m.index)}${name}${sep}${REDACTED}`;
    }
    from = end;
    HEADER.lastIndex = end;
  }
  return out + text.slice(from);
}

/**
 * Masks secret-shaped parts of free text: PEM blocks, `Bearer …`, JWTs, Google tokens and API keys, a URL's
 * password, secret-named header values, JSON members and query/form parameters (the value only), 32+ hex digits and
 * random-looking runs of 40+ base64 characters. Keeps ISO timestamps, UUIDs, `sv` + 32 hex event ids and e-mail
 * addresses readable. Does not shorten the text (see {@link redact}).
 */
export function redactString(value: string): string {
  let out = value;
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  out = maskHeaders(out);
  out = maskQuotedMembers(out);
  out = out.replace(QUERY_PARAM, (whole, name: string, _value: string, offset: number, text: string) => {
    const before = offset === 0 ? '' : text.charAt(offset - 1);
    const oauthCode = name.toLowerCase() === 'code' && (before === '' || before === '?' || before === '&');
    return oauthCode || isSecretName(name) ? `${name}=${REDACTED}` : whole;
  });
  out = out.replace(LONG_HEX, REDACTED);
  return out.replace(LONG_BASE64, (run) =>
    run
      .replace(READABLE_IDS, ' ')
      .split(' ')
      .some((piece) => looksRandom(piece))
      ? REDACTED
      : run,
  );
}

/**
 * Masks, then cuts a string to {@link MAX_STRING_CHARS} with a marker saying how long it was. Masking runs before the
 * cut so a secret is never shown in part; only a huge string is cut first, far beyond what is kept.
 */
function redactText(value: string): string {
  const out = redactString(
    value.length > 32 * MAX_STRING_CHARS ? value.slice(0, 32 * MAX_STRING_CHARS) : value,
  );
  return out.length <= MAX_STRING_CHARS
    ? out
    : `${out.slice(0, MAX_STRING_CHARS)}…[truncated from ${out.length}]`;
}

// ---------------------------------------------------------------------------------------------------------------
// Structured values.

/** Sets an own property even for the name `__proto__` (a plain assignment would change the prototype instead). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isError(value: object): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

function redactError(error: Error, depth: number, seen: Set<object>): Record<string, unknown> {
  // `name` and `message` are typed strings, but a library may set anything: `String` keeps this from throwing.
  const { name, message } = error as { name: unknown; message: unknown };
  const out: Record<string, unknown> = {
    name: redactText(String(name)),
    message: redactText(String(message)),
  };
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (code !== undefined) out.code = walk(code, depth + 1, seen);
  if (cause !== undefined) out.cause = walk(cause, depth + 1, seen);
  if (error instanceof AggregateError && Array.isArray(error.errors))
    out.errors = walk(error.errors, depth + 1, seen);
  return out;
}

function redactObject(value: object, depth: number, seen: Set<object>): unknown {
  if (isError(value)) return redactError(value, depth, seen);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof URL) return redactText(value.href);
  if (Array.isArray(value) || value instanceof Set) {
    const items: unknown[] = Array.isArray(value) ? value : [...(value as Set<unknown>)];
    const out = items.slice(0, MAX_ARRAY_ITEMS).map((v) => walk(v, depth + 1, seen));
    if (items.length > MAX_ARRAY_ITEMS) out.push(`[+${items.length - MAX_ARRAY_ITEMS} more]`);
    return out;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && !(value instanceof Map)) {
    return walk(toJSON.call(value) as unknown, depth + 1, seen);
  }
  const entries: [string, unknown][] =
    value instanceof Map
      ? [...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), v])
      : Object.entries(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries.slice(0, MAX_OBJECT_KEYS)) {
    const masked = isSecretName(k) && v !== null && v !== undefined && typeof v !== 'boolean';
    put(out, redactString(k), masked ? REDACTED : walk(v, depth + 1, seen));
  }
  if (entries.length > MAX_OBJECT_KEYS) put(out, '…', `[+${entries.length - MAX_OBJECT_KEYS} more keys]`);
  return out;
}

function walk(value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return redactText(value);
    case 'bigint':
      return value.toString();
    case 'symbol':
      return redactText(value.toString());
    case 'function':
      return '[function]';
    case 'object': {
      if (value === null) return null;
      if (depth > MAX_DEPTH) return '[…]';
      if (seen.has(value)) return '[circular]';
      seen.add(value);
      try {
        return redactObject(value, depth, seen);
      } catch {
        // A throwing getter or toJSON: the value is left out rather than the line lost.
        return '[unreadable]';
      } finally {
        seen.delete(value);
      }
    }
    default:
      return value;
  }
}

/**
 * A copy of `value` safe to log: secret-named fields become {@link REDACTED} (booleans and null stay: they hold no
 * secret), every string is masked by {@link redactString} and cut to 2,000 characters, errors keep `name`, `message`,
 * `code` and `cause` (never the stack), and cycles, depth and size are bounded so that logging never throws.
 */
export function redact(value: unknown, depth = 0): unknown {
  return walk(value, depth, new Set());
}

// ---------------------------------------------------------------------------------------------------------------
// Loggers.

export interface JsonLoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; stdout by default (Cloud Functions forwards it to Cloud Logging). */
  readonly write?: (line: string) => void;
  readonly fields?: LogFields;
  readonly now?: () => Date;
}

/**
 * One JSON object per line with `severity`, `message`, `time` and the (redacted) fields. A field with the name of
 * one of the line's own keys is written as `field_<name>`, so a caller's `message` or `severity` never replaces the
 * line's.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const entry: Record<string, unknown> = {
      severity: SEVERITY[level],
      message: redactText(message),
      time: now().toISOString(),
    };
    const extra = redact({ ...base, ...fields });
    const own = new Set(Object.keys(entry));
    const pairs = extra !== null && typeof extra === 'object' ? Object.entries(extra) : [];
    // Fields with free names first, so that a renamed one never takes the name of another field.
    for (const [key, value] of pairs) if (!own.has(key)) put(entry, key, value);
    for (const [key, value] of pairs) {
      if (!own.has(key)) continue;
      let name = `field_${key}`;
      while (Object.hasOwn(entry, name)) name = `field_${name}`;
      put(entry, name, value);
    }
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
