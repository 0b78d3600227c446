/**
 * The wire format of a {@link SyncRequest} on the `sync-requests` topic (SPEC §5), both ways:
 * - the body is a small JSON object, the source of truth;
 * - the same four fields are copied into message attributes (`user`, `reason`, `requestedAt`, `reconcile` as
 *   `"true"`/`"false"`) so subscriptions can filter or route on them and the worker can coalesce without parsing.
 *
 * Decoding takes what a push subscription delivers in its body's `message`, the same object a Pub/Sub CloudEvent's
 * `data.message` is (`{ data: base64, attributes, messageId, publishTime }`, the PubsubMessage JSON form; the push
 * body spells the ids `message_id` / `publish_time` too). Anything malformed is a `PermanentError('validation')`
 * saying what is wrong, so the function acks it instead of having Pub/Sub redeliver it forever (SPEC §11).
 *
 * Pure: no SDK, no I/O.
 */
import { z } from 'zod';

import { PermanentError } from '../../domain/errors.js';
import { canonicalInstant, isInstant } from '../../domain/timing.js';
import { SYNC_REASONS, type SyncRequest } from '../../ports/sync-request.port.js';

/** A sync request body is about 150 bytes; anything far larger is not one of ours (SPEC §11 "huge bodies"). */
export const MAX_SYNC_REQUEST_BYTES = 4096;
/** Severa user guids are 36 characters; the bound only keeps attributes well inside Pub/Sub's 1024-byte limit. */
const MAX_USER_LENGTH = 256;

/** The PubsubMessage JSON form a push subscription (and so a CloudEvent's `data.message`) carries. */
export interface PubSubPushMessage {
  /** The body, standard base64. */
  readonly data: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
  /** RFC 3339 instant the broker accepted the message. */
  readonly publishTime: string;
}

export interface EncodedSyncRequest {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface DecodedSyncRequest {
  readonly request: SyncRequest;
  readonly messageId: string;
  /** As the broker stamped it (RFC 3339, sub-second precision kept); null when the message did not say. */
  readonly publishTime: string | null;
}

/** A short, bounded rendering of an offending value for an error message. */
function quote(value: unknown): string {
  const text =
    value === undefined ? 'nothing' : ((JSON.stringify(value) as string | undefined) ?? typeof value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function kind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${quote(value)}`;
}

const required =
  (expected: string) =>
  (issue: { input: unknown }): string =>
    issue.input === undefined ? 'is required' : `expected ${expected}, got ${kind(issue.input)}`;

/** An organisation id as configured (`ORG_ID`). */
const ORG_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Unknown fields are refused (a wrong `org`, a typo'd `reconcile`): the message is not one of ours. */
export const syncRequestSchema = z.strictObject(
  {
    user: z
      .string({ error: required('a Severa user guid (string)') })
      .min(1, 'must not be empty')
      .max(MAX_USER_LENGTH, `must be at most ${MAX_USER_LENGTH} characters`)
      .refine((v) => v.trim() === v, 'must not start or end with whitespace'),
    reason: z.enum(SYNC_REASONS, {
      error: (issue) =>
        issue.input === undefined
          ? 'is required'
          : `expected one of ${SYNC_REASONS.join(', ')}, got ${quote(issue.input)}`,
    }),
    requestedAt: z
      .string({ error: required('an RFC 3339 instant (string)') })
      .refine(isInstant, {
        error: (issue) =>
          `expected an RFC 3339 instant such as 2026-05-04T06:00:00Z, got ${quote(issue.input)}`,
      })
      .transform(canonicalInstant),
    reconcile: z.boolean({ error: required('a boolean') }),
    /** The organisation the request is for; a worker refuses another organisation's (issue 10 #7). */
    org: z.string().regex(ORG_ID, 'expected an organisation id').optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys
            .slice(0, 5)
            .map((k) => quote(k))
            .join(', ')}`
        : `expected a JSON object, got ${kind(issue.input)}`,
  },
);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function invalid(what: string, problem: string, cause?: unknown): PermanentError {
  return new PermanentError('validation', `Invalid sync request ${what}: ${problem}`, { cause });
}

/**
 * The body and attributes of `request` for organisation `org` (when given); throws a validation error for a request
 * no worker could decode.
 */
export function encodeSyncRequest(request: SyncRequest, org?: string): EncodedSyncRequest {
  const parsed = syncRequestSchema.safeParse({ ...request, ...(org === undefined ? {} : { org }) });
  if (!parsed.success) throw invalid('to publish', describeIssues(parsed.error), parsed.error);
  const { user, reason, requestedAt, reconcile } = parsed.data;
  // A fixed key order keeps equal requests byte-identical.
  const body = { user, reason, requestedAt, reconcile, ...(org === undefined ? {} : { org }) };
  return {
    data: Buffer.from(JSON.stringify(body), 'utf8'),
    attributes: {
      user,
      reason,
      requestedAt,
      reconcile: String(reconcile),
      ...(org === undefined ? {} : { org }),
    },
  };
}

/** The `data.message` a push subscription would deliver for an encoded request (memory publisher, tests). */
export function toPushMessage(
  encoded: EncodedSyncRequest,
  messageId: string,
  publishTime: string,
): PubSubPushMessage {
  return {
    data: encoded.data.toString('base64'),
    attributes: { ...encoded.attributes },
    messageId,
    publishTime,
  };
}

// Standard or URL-safe alphabet (proto3 JSON readers accept both), padding optional but only at the end.
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(data: string): Buffer | null {
  if (!BASE64_RE.test(data)) return null;
  const unpadded = data.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return null;
  if (unpadded.length !== data.length && data.length % 4 !== 0) return null;
  return Buffer.from(unpadded, 'base64');
}

const envelopeSchema = z.object(
  {
    data: z.string({ error: required('base64 text') }).optional(),
    attributes: z
      .record(z.string(), z.string({ error: required('a string') }), {
        error: (issue) => `expected an object of strings, got ${kind(issue.input)}`,
      })
      .nullish(),
    messageId: z
      .string({ error: required('a string') })
      .min(1, 'must not be empty')
      .optional(),
    message_id: z
      .string({ error: required('a string') })
      .min(1, 'must not be empty')
      .optional(),
    publishTime: z.string({ error: required('a string') }).optional(),
    publish_time: z.string({ error: required('a string') }).optional(),
  },
  { error: (issue) => `expected the Pub/Sub message object, got ${kind(issue.input)}` },
);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a CloudEvent's `data.message`. Throws `PermanentError('validation')` with a message naming the problem
 * (and the message id when known); the body's values are quoted only in short, bounded excerpts.
 */
export function decodeSyncRequest(message: unknown, expectedOrg?: string): DecodedSyncRequest {
  const envelope = envelopeSchema.safeParse(message);
  if (!envelope.success) throw invalid('message', describeIssues(envelope.error), envelope.error);
  const e = envelope.data;
  const messageId = e.messageId ?? e.message_id;
  if (messageId === undefined) throw invalid('message', 'messageId: is required');
  const what = `(message ${quote(messageId)})`;

  const publishTime = e.publishTime ?? e.publish_time ?? null;
  if (publishTime !== null && !isInstant(publishTime)) {
    throw invalid(what, `publishTime: expected an RFC 3339 instant, got ${quote(publishTime)}`);
  }

  if (e.data === undefined || e.data === '') throw invalid(what, 'data: the message has no body');
  if (e.data.length > Math.ceil(MAX_SYNC_REQUEST_BYTES / 3) * 4) {
    throw invalid(what, `data: body larger than ${MAX_SYNC_REQUEST_BYTES} bytes`);
  }
  const bytes = decodeBase64(e.data);
  if (bytes === null) throw invalid(what, 'data: not valid base64');

  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    // The parser's own message quotes the body; it is not repeated here.
    throw invalid(what, 'data: the body is not UTF-8 JSON', error);
  }

  const parsed = syncRequestSchema.safeParse(body);
  if (!parsed.success) throw invalid(what, describeIssues(parsed.error), parsed.error);
  const { org, ...request } = parsed.data;
  if (expectedOrg !== undefined && org !== undefined && org !== expectedOrg) {
    throw invalid(what, 'org: the request is for another organisation');
  }

  // Attributes are a copy for routing; one that disagrees with the body would route the request to the wrong
  // user or reason, so the message is refused rather than half-trusted. Absent attributes are fine.
  const attributes = e.attributes ?? {};
  const expected = encodeSyncRequest(request, org).attributes;
  const mismatched = Object.keys(expected).filter((key) => {
    const given = attributes[key];
    if (given === undefined) return false;
    return key === 'requestedAt' && isInstant(given)
      ? canonicalInstant(given) !== expected[key]
      : given !== expected[key];
  });
  if (mismatched.length > 0) {
    throw invalid(what, `attributes ${mismatched.join(', ')} disagree with the body`);
  }
  return { request, messageId, publishTime };
}
