import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConfigError, parseConfig } from '../../../shared/config.js';

describe('parseConfig', () => {
  it('fills defaults for a local run with env secrets', () => {
    const config = parseConfig({ SECRET_SOURCE: 'env' });
    assert.equal(config.orgId, 'default');
    assert.equal(config.severa.apiUrl, 'https://api.severa.visma.com/rest-api');
    assert.equal(config.google.tokenUrl, 'https://oauth2.googleapis.com/token');
    assert.equal(config.syncRequestsTopic, 'sync-requests');
    assert.equal(config.pushAddress, null);
    assert.equal(config.intervals.safetySyncMs, 15 * 60_000);
  });

  it('reads overrides and coerces numbers', () => {
    const config = parseConfig({
      SECRET_SOURCE: 'secret-manager',
      GOOGLE_CLOUD_PROJECT: 'acme-sync',
      ORG_ID: 'acme',
      PUSH_ADDRESS: 'https://sync.acme.example/calendarPush',
      SAFETY_SYNC_INTERVAL_MS: '60000',
    });
    assert.equal(config.projectId, 'acme-sync');
    assert.equal(config.orgId, 'acme');
    assert.equal(config.pushAddress, 'https://sync.acme.example/calendarPush');
    assert.equal(config.intervals.safetySyncMs, 60_000);
  });

  it('names every bad variable without echoing values', () => {
    const secretLooking = 'not a url with a s3cr3t inside';
    assert.throws(
      () =>
        parseConfig({
          SECRET_SOURCE: 'env',
          SEVERA_API_URL: secretLooking,
          ORG_ID: 'a/b',
          LEASE_TTL_MS: '-1',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /SEVERA_API_URL/);
        assert.match(error.message, /ORG_ID/);
        assert.match(error.message, /LEASE_TTL_MS/);
        assert.doesNotMatch(error.message, /s3cr3t/);
        return true;
      },
    );
  });

  it('requires a project to read Secret Manager', () => {
    assert.throws(() => parseConfig({}), /GOOGLE_CLOUD_PROJECT/);
  });
});
