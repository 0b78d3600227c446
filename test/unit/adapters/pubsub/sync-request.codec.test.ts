/**
 * The sync-request wire format: what the publisher sends is exactly what the worker decodes, and anything else a
 * Pub/Sub-triggered function could be handed is refused with a validation error that says what is wrong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  MAX_SYNC_REQUEST_BYTES,
  decodeSyncRequest,
  encodeSyncRequest,
  toPushMessage,
} from '../../../../shared/adapters/pubsub/index.js';
import { MemorySyncRequestPublisher } from '../../../../shared/adapters/memory/memory.publisher.js';
import { PermanentError, TransientError } from '../../../../shared/domain/index.js';
import { SYNC_REASONS, type SyncRequest } from '../../../../shared/ports/index.js';

const REQUEST: SyncRequest = {
  user: '6f1b2c3d-0000-4000-8000-00000000aa01',
  reason: 'push',
  requestedAt: '2026-05-04T06:00:00Z',
  reconcile: false,
};
const PUBLISH_TIME = '2026-05-04T06:00:00.123Z';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A CloudEvent `data.message` carrying `body` (any JSON value) as its data. */
function message(body: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data: b64(JSON.stringify(body)),
    attributes: {},
    messageId: '42',
    publishTime: PUBLISH_TIME,
    ...extra,
  };
}

function rejects(input: unknown, pattern: RegExp): void {
  assert.throws(
    () => decodeSyncRequest(input),
    (error: unknown) => {
      assert.ok(error instanceof PermanentError, `expected a PermanentError, got ${String(error)}`);
      assert.equal(error.code, 'validation');
      assert.match(error.message, /^Invalid sync request /);
      assert.match(error.message, pattern);
      assert.ok(error.message.length < 400, `message too long: ${error.message.length}`);
      return true;
    },
  );
}

describe('encodeSyncRequest', () => {
  it('writes the four fields as a JSON body and as string attributes', () => {
    const encoded = encodeSyncRequest({ ...REQUEST, reconcile: true });
    assert.deepEqual(JSON.parse(encoded.data.toString('utf8')), { ...REQUEST, reconcile: true });
    assert.deepEqual(encoded.attributes, {
      user: REQUEST.user,
      reason: 'push',
      requestedAt: '2026-05-04T06:00:00Z',
      reconcile: 'true',
    });
  });

  it('writes requestedAt canonically, so equal requests are byte-identical', () => {
    const a = encodeSyncRequest({ ...REQUEST, requestedAt: '2026-05-04T09:00:00.900+03:00' });
    const b = encodeSyncRequest({ ...REQUEST, requestedAt: '2026-05-04T06:00Z' });
    assert.equal(a.attributes.requestedAt, '2026-05-04T06:00:00Z');
    assert.deepEqual(a.data, b.data);
  });

  it('refuses a request no worker could decode', () => {
    assert.throws(
      () => encodeSyncRequest({ ...REQUEST, reason: 'bogus' as SyncRequest['reason'] }),
      (error: unknown) =>
        error instanceof PermanentError &&
        error.code === 'validation' &&
        /to publish: reason: expected one of push, severa-change/.test(error.message),
    );
    assert.throws(() => encodeSyncRequest({ ...REQUEST, requestedAt: 'yesterday' }), /requestedAt/);
  });
});

describe('decodeSyncRequest', () => {
  it('round-trips what the publisher encodes, with message id and publish time', () => {
    const decoded = decodeSyncRequest(toPushMessage(encodeSyncRequest(REQUEST), '1234567', PUBLISH_TIME));
    assert.deepEqual(decoded, { request: REQUEST, messageId: '1234567', publishTime: PUBLISH_TIME });
  });

  it('round-trips every valid request (property)', () => {
    const request = fc.record({
      user: fc
        .string({ minLength: 1, maxLength: 256, unit: 'grapheme' })
        .filter((s) => s.trim() === s && s.length <= 256),
      reason: fc.constantFrom(...SYNC_REASONS),
      requestedAt: fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => `${d.toISOString().slice(0, 19)}Z`),
      reconcile: fc.boolean(),
    });
    fc.assert(
      fc.property(request, fc.stringMatching(/^[0-9]{1,19}$/), (r, id) => {
        const decoded = decodeSyncRequest(toPushMessage(encodeSyncRequest(r), id, PUBLISH_TIME));
        assert.deepEqual(decoded.request, { ...r }); // fast-check records have a null prototype
        assert.equal(decoded.messageId, id);
      }),
    );
  });

  it('reads the push body spelling (message_id, publish_time) and a message without attributes', () => {
    const decoded = decodeSyncRequest({
      data: b64(JSON.stringify(REQUEST)),
      message_id: '7',
      publish_time: PUBLISH_TIME,
    });
    assert.equal(decoded.messageId, '7');
    assert.equal(decoded.publishTime, PUBLISH_TIME);
    assert.equal(decodeSyncRequest({ data: b64(JSON.stringify(REQUEST)), messageId: '8' }).publishTime, null);
  });

  it('accepts URL-safe and unpadded base64 (proto3 JSON readers do) and canonicalises requestedAt', () => {
    const body = JSON.stringify({ ...REQUEST, user: 'ü>?~', requestedAt: '2026-05-04T09:00:00+03:00' });
    const urlSafe = Buffer.from(body).toString('base64url');
    assert.ok(/[-_]/.test(urlSafe) && !urlSafe.endsWith('='), 'the sample exercises both variants');
    const decoded = decodeSyncRequest({ data: urlSafe, messageId: '9' });
    assert.deepEqual(decoded.request, { ...REQUEST, user: 'ü>?~' });
  });

  it('refuses fields it does not know: such a message is not one of ours (issue 10 #7)', () => {
    rejects(message({ ...REQUEST, priority: 3 }), /priority/);
    rejects(message({ ...REQUEST, org: 'not an org!' }), /org/);
  });

  it("carries the organisation, and a worker refuses another organisation's request", () => {
    const encoded = toPushMessage(encodeSyncRequest(REQUEST, 'acme'), '7', PUBLISH_TIME);
    assert.equal(encoded.attributes.org, 'acme');
    assert.deepEqual(decodeSyncRequest(encoded, 'acme').request, REQUEST);
    assert.throws(() => decodeSyncRequest(encoded, 'other-org'), /another organisation/);
    // A request without an organisation (an older publisher) is still taken.
    assert.deepEqual(decodeSyncRequest(message(REQUEST), 'acme').request, REQUEST);
  });

  describe('refuses malformed input with a clear message', () => {
    const cases: [string, unknown, RegExp][] = [
      ['no message at all', undefined, /expected the Pub\/Sub message object, got nothing/],
      ['null', null, /expected the Pub\/Sub message object, got null/],
      ['a string', 'hello', /expected the Pub\/Sub message object, got string "hello"/],
      ['an array', [], /got an array/],
      ['no message id', { data: b64(JSON.stringify(REQUEST)) }, /messageId: is required/],
      ['an empty message id', message(REQUEST, { messageId: '' }), /messageId: must not be empty/],
      [
        'a numeric message id',
        message(REQUEST, { messageId: 42 }),
        /messageId: expected a string, got number 42/,
      ],
      ['no data', { messageId: '1' }, /\(message "1"\): data: the message has no body/],
      ['empty data', message(REQUEST, { data: '' }), /data: the message has no body/],
      ['data not a string', message(REQUEST, { data: 12 }), /data: expected base64 text, got number 12/],
      ['bad base64 characters', message(REQUEST, { data: 'eyJ1c2VyIjo*!' }), /data: not valid base64/],
      ['truncated base64', message(REQUEST, { data: 'eyJ1c' }), /data: not valid base64/],
      ['misplaced padding', message(REQUEST, { data: 'ey=J1' }), /data: not valid base64/],
      [
        'a huge body',
        message(REQUEST, { data: b64('x'.repeat(MAX_SYNC_REQUEST_BYTES + 10)) }),
        /data: body larger than 4096 bytes/,
      ],
      ['not JSON', message(REQUEST, { data: b64('{user: "a"') }), /data: the body is not UTF-8 JSON/],
      [
        'not UTF-8',
        message(REQUEST, { data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64') }),
        /data: the body is not UTF-8 JSON/,
      ],
      ['a JSON array', message([REQUEST]), /expected a JSON object, got an array/],
      ['JSON null', message(null), /expected a JSON object, got null/],
      ['a JSON string', message('push'), /expected a JSON object, got string "push"/],
      ['user missing', message({ ...REQUEST, user: undefined }), /user: is required/],
      [
        'user not a string',
        message({ ...REQUEST, user: 5 }),
        /user: expected a Severa user guid \(string\), got number 5/,
      ],
      ['user empty', message({ ...REQUEST, user: '' }), /user: must not be empty/],
      ['user padded', message({ ...REQUEST, user: ' u1' }), /user: must not start or end with whitespace/],
      [
        'user too long',
        message({ ...REQUEST, user: 'u'.repeat(300) }),
        /user: must be at most 256 characters/,
      ],
      [
        'an unknown reason',
        message({ ...REQUEST, reason: 'bogus' }),
        /reason: expected one of push, severa-change, webhook, reconcile, manual, initial, got "bogus"/,
      ],
      ['reason missing', message({ ...REQUEST, reason: undefined }), /reason: is required/],
      [
        'requestedAt not an instant',
        message({ ...REQUEST, requestedAt: '2026-05-04 06:00' }),
        /requestedAt: expected an RFC 3339 instant such as .*, got "2026-05-04 06:00"/,
      ],
      [
        'requestedAt without an offset',
        message({ ...REQUEST, requestedAt: '2026-05-04T06:00:00' }),
        /requestedAt: expected an RFC 3339 instant/,
      ],
      [
        'requestedAt a number',
        message({ ...REQUEST, requestedAt: 1_777_000_000_000 }),
        /requestedAt: expected an RFC 3339 instant \(string\), got number/,
      ],
      [
        'reconcile a string',
        message({ ...REQUEST, reconcile: 'true' }),
        /reconcile: expected a boolean, got string "true"/,
      ],
      ['reconcile missing', message({ ...REQUEST, reconcile: undefined }), /reconcile: is required/],
      [
        'a non-string attribute',
        message(REQUEST, { attributes: { user: 5 } }),
        /attributes\.user: expected a string, got number 5/,
      ],
      [
        'attributes not an object',
        message(REQUEST, { attributes: 'x' }),
        /attributes: expected an object of strings/,
      ],
      [
        'attributes naming another user',
        message(REQUEST, { attributes: { user: 'someone-else', reason: 'push' } }),
        /attributes user disagree with the body/,
      ],
      [
        'attributes with another reason and reconcile flag',
        message(REQUEST, { attributes: { reason: 'manual', reconcile: 'true' } }),
        /attributes reason, reconcile disagree with the body/,
      ],
      [
        'a bad publish time',
        message(REQUEST, { publishTime: 'soon' }),
        /publishTime: expected an RFC 3339 instant/,
      ],
    ];
    for (const [name, input, pattern] of cases) {
      it(name, () => {
        rejects(input, pattern);
      });
    }

    it('quotes offending values only briefly', () => {
      rejects(message({ ...REQUEST, reason: 'r'.repeat(2000) }), /got "r{10,}…/);
    });

    it('accepts attributes that only spell requestedAt differently', () => {
      const decoded = decodeSyncRequest(
        message(REQUEST, { attributes: { requestedAt: '2026-05-04T09:00:00+03:00', reconcile: 'false' } }),
      );
      assert.deepEqual(decoded.request, REQUEST);
    });
  });
});

describe('MemorySyncRequestPublisher (the in-memory topic on the same codec)', () => {
  it('records each request with a new message id and the push message a worker would decode', async () => {
    const publisher = new MemorySyncRequestPublisher({ clock: { now: () => new Date(PUBLISH_TIME) } });
    const first = await publisher.publish({ ...REQUEST, requestedAt: '2026-05-04T09:00:00+03:00' });
    const second = await publisher.publish({ ...REQUEST, user: 'u-2', reconcile: true });
    assert.notEqual(first, second);
    assert.deepEqual(
      publisher.published.map((p) => decodeSyncRequest(p.message)),
      [
        { request: REQUEST, messageId: first, publishTime: PUBLISH_TIME },
        {
          request: { ...REQUEST, user: 'u-2', reconcile: true },
          messageId: second,
          publishTime: PUBLISH_TIME,
        },
      ],
    );
    assert.deepEqual(publisher.published[0]?.request, REQUEST, 'recorded as decoded (canonical requestedAt)');
    assert.equal(publisher.take().length, 2);
    assert.equal(publisher.published.length, 0);
  });

  it('refuses what the real publisher refuses, and injects failures before or after the effect', async () => {
    const publisher = new MemorySyncRequestPublisher();
    await assert.rejects(publisher.publish({ ...REQUEST, user: '' }), PermanentError);
    publisher.faults.inject(1, { timing: 'before', kind: 'transient' });
    publisher.faults.inject(1, { timing: 'after', kind: 'transient' });
    await assert.rejects(publisher.publish(REQUEST), TransientError);
    assert.equal(publisher.published.length, 0);
    await assert.rejects(publisher.publish(REQUEST), TransientError);
    assert.equal(publisher.published.length, 1, 'a lost response: published all the same');
  });
});
