import { createHash } from 'node:crypto';

/**
 * Deterministic Google event id for a Severa activity (B4). Google accepts client ids of base32hex characters
 * (`a`–`v`, `0`–`9`), 5–1024 long (google-calendar.md §3); a retried insert with the same id gets 409 instead of
 * creating a duplicate. A Severa guid is a UUID, whose hex digits are base32hex already; anything else is hashed.
 */
export function googleEventIdFor(severaGuid: string): string {
  const compact = severaGuid.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{8,}$/.test(compact)) return `sv${compact}`;
  return `sv${createHash('sha256').update(severaGuid).digest('hex').slice(0, 40)}`;
}

/** True for an id Google would accept from a client (base32hex, 5–1024 characters). */
export function isValidGoogleEventId(id: string): boolean {
  return /^[a-v0-9]{5,1024}$/.test(id);
}
