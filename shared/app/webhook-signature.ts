/**
 * The Severa change webhook's signature (SPEC §3 S8; Severa's public API has no webhooks of its own, so a relay or
 * Severa itself posts change notices signed with a shared secret from Secret Manager).
 *
 *   X-Sync-Timestamp: <unix seconds>
 *   X-Sync-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is covered by the signature, and notices outside the replay window are refused, so a captured
 * notice cannot be replayed later.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-sync-signature';
export const TIMESTAMP_HEADER = 'x-sync-timestamp';
/** How far a notice's timestamp may be from now, either way. */
export const REPLAY_WINDOW_MS = 5 * 60_000;

export function signWebhook(secret: string, timestampSeconds: number, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${String(timestampSeconds)}.`);
  mac.update(rawBody);
  return `sha256=${mac.digest('hex')}`;
}

export type SignatureCheck =
  { readonly ok: true; readonly timestampSeconds: number } | { readonly ok: false; readonly reason: string };

/** Checks a notice's signature and timestamp in constant time; the reason never repeats a header's value. */
export function verifyWebhook(input: {
  readonly secret: string;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  readonly rawBody: string | Buffer;
  readonly nowMs: number;
  readonly windowMs?: number;
}): SignatureCheck {
  if (input.signature === undefined || input.timestamp === undefined) {
    return { ok: false, reason: `missing ${SIGNATURE_HEADER} or ${TIMESTAMP_HEADER} header` };
  }
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'timestamp is not unix seconds' };
  const timestampSeconds = Number(input.timestamp);
  if (Math.abs(input.nowMs - timestampSeconds * 1000) > (input.windowMs ?? REPLAY_WINDOW_MS)) {
    return { ok: false, reason: 'timestamp outside the replay window' };
  }
  const expected = Buffer.from(signWebhook(input.secret, timestampSeconds, input.rawBody));
  const given = Buffer.from(input.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true, timestampSeconds };
}

/** Constant-time equality of two secrets (push channel tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const TOKEN_HASH_PREFIX = 'sha256:';

/** What is stored of a push channel's secret token: its SHA-256, never the token (issue 10 #7). */
export function hashChannelToken(token: string): string {
  return `${TOKEN_HASH_PREFIX}${createHash('sha256').update(token).digest('hex')}`;
}

/**
 * Compares a presented channel token with the stored one in constant time: the stored value is a hash
 * ({@link hashChannelToken}); a channel stored before hashing (plain token) still compares until it is renewed.
 */
export function channelTokenMatches(presented: string, stored: string): boolean {
  return stored.startsWith(TOKEN_HASH_PREFIX)
    ? sameSecret(hashChannelToken(presented), stored)
    : sameSecret(hashChannelToken(presented), hashChannelToken(stored));
}

/** The replay record's key of a signed notice (its signature, hashed: the record holds no secret material). */
export function noticeReplayKey(signature: string): string {
  return `notice:${createHash('sha256').update(signature).digest('hex')}`;
}

/** Posts a signed change notice, as a relay watching Severa does; returns the HTTP status. */
export async function sendSeveraNotice(
  webhookUrl: string,
  secret: string,
  activityGuids: readonly string[],
  nowMs = Date.now(),
): Promise<number> {
  const body = JSON.stringify({ activityGuids });
  const timestamp = Math.floor(nowMs / 1000);
  const res = await fetch(webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}
