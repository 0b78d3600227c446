/**
 * iCalendar content lines as Google keeps them in `recurrence[]` (google-calendar.md §3: "RRULE/EXRULE/RDATE/EXDATE
 * lines, with no DTSTART/DTEND"): `NAME;PARAM=VALUE;...:VALUE` (RFC 5545 §3.1). Names and parameter names are
 * case-insensitive; parameter values may be quoted.
 */
export interface ContentLine {
  /** Upper case, e.g. `RRULE`, `EXDATE`. */
  readonly name: string;
  /** Parameter names upper case, values unquoted, e.g. `TZID` → `Europe/Helsinki`. */
  readonly params: ReadonlyMap<string, string>;
  readonly value: string;
}

const NAME_RE = /^[A-Za-z0-9-]+$/;

/** Splits `text` on `separator` outside double quotes. */
function splitOutsideQuotes(text: string, separator: string, limit = Infinity): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted && parts.length + 1 < limit) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/** Parses one content line; null when it is not well formed. */
export function parseContentLine(line: string): ContentLine | null {
  const [head, value] = splitOutsideQuotes(line.trim(), ':', 2);
  if (head === undefined || value === undefined) return null;
  const [name, ...rawParams] = splitOutsideQuotes(head, ';');
  if (name === undefined || !NAME_RE.test(name)) return null;
  const params = new Map<string, string>();
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    if (eq <= 0) return null;
    const key = raw.slice(0, eq).toUpperCase();
    if (params.has(key)) return null;
    params.set(key, raw.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  return { name: name.toUpperCase(), params, value: value.trim() };
}
