/**
 * The org setup (S1) takes its API clients from the composition root's factories: it checks the candidate
 * credentials through them, never builds a client itself, and saves nothing when a check fails. The checks' words
 * against the real clients are proved on the simulators (test/integration/operator.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { GoogleCalendarAdapter } from '../../../../shared/adapters/google-calendar/google-calendar.adapter.js';
import { MemorySyncRequestPublisher } from '../../../../shared/adapters/memory/memory.publisher.js';
import {
  MemoryAuditLog,
  MemoryLeaseStore,
  MemoryMessageLog,
  MemoryOrgConfigStore,
  MemoryUserDirectory,
} from '../../../../shared/adapters/memory/memory.operations.js';
import { MemorySyncStore } from '../../../../shared/adapters/memory/memory.sync-store.js';
import { MemorySecretSource } from '../../../../shared/adapters/secrets/memory.secret-source.js';
import { SEVERA_SYNC_SCOPES } from '../../../../shared/adapters/severa/severa.errors.js';
import type { SeveraAdapter } from '../../../../shared/adapters/severa/severa.adapter.js';
import type { AdapterFactories } from '../../../../shared/app/container.js';
import {
  SetupValidationError,
  createOperator,
  type OperatorContainer,
  type OrgSetupInput,
} from '../../../../shared/app/operator/index.js';
import { SECRET_NAMES, parseConfig } from '../../../../shared/config.js';
import { PermanentError, type ActivityType } from '../../../../shared/domain/index.js';
import { createMemoryLogger } from '../../../../shared/observability/logger.js';

const MEETING: ActivityType = {
  guid: 'type-meeting',
  name: 'Meeting',
  category: 'CalendarEntry',
  isActive: true,
  isDefault: true,
};

const INPUT: OrgSetupInput = {
  serviceAccountEmail: 'sync@demo-project.iam.gserviceaccount.com',
  p12: Buffer.from('not really a key'),
  severaClientId: 'candidate-client',
  severaClientSecret: 'candidate-secret',
  syncedTypeNames: ['meeting'],
  testUserEmail: 'Aino@Demo.Example',
};

/** Factories that record what they were asked for; the key opens unless told otherwise. */
function fakeAdapters(options: { keyOpens?: boolean } = {}) {
  const calls: unknown[][] = [];
  const adapters: AdapterFactories = {
    openGoogleKey: (p12, password) => {
      calls.push(['openGoogleKey', p12.toString(), password]);
      return options.keyOpens === false
        ? Promise.reject(new PermanentError('configuration', 'The .p12 key could not be opened.'))
        : Promise.resolve('candidate-pem');
    },
    makeCalendar: (credentials) => {
      calls.push(['makeCalendar', credentials]);
      const google: Pick<GoogleCalendarAdapter, 'checkDelegation'> = {
        checkDelegation: (email) => {
          calls.push(['checkDelegation', email]);
          return Promise.resolve();
        },
      };
      return Promise.resolve(google as GoogleCalendarAdapter);
    },
    makeSevera: (credentials) => {
      calls.push(['makeSevera', credentials]);
      const severa: Pick<SeveraAdapter, 'checkAccess' | 'listActivityTypes'> = {
        checkAccess: () => Promise.resolve({ grantedScopes: [...SEVERA_SYNC_SCOPES] }),
        listActivityTypes: () => Promise.resolve([MEETING]),
      };
      return Promise.resolve(severa as SeveraAdapter);
    },
  };
  return { adapters, calls };
}

function operatorWith(adapters: AdapterFactories) {
  const secrets = new MemorySecretSource();
  const orgConfig = new MemoryOrgConfigStore();
  const notStored = () => Promise.reject(new Error('the setup uses only the candidate credentials'));
  const container: OperatorContainer = {
    config: parseConfig({ SECRET_SOURCE: 'env' }),
    logger: createMemoryLogger('debug'),
    clock: { now: () => new Date('2026-03-02T09:00:00Z') },
    stores: {
      store: new MemorySyncStore(),
      users: new MemoryUserDirectory(),
      leases: new MemoryLeaseStore(),
      messages: new MemoryMessageLog(),
      audit: new MemoryAuditLog(),
      orgConfig,
    },
    secrets,
    publisher: new MemorySyncRequestPublisher(),
    adapters,
    severa: notStored,
    calendar: notStored,
  };
  return { operator: createOperator(container), secrets, orgConfig };
}

describe("org setup (S1) through the composition root's adapter factories", () => {
  it('opens the candidate key and builds both clients from the candidate credentials, then saves', async () => {
    const { adapters, calls } = fakeAdapters();
    const { operator, secrets, orgConfig } = operatorWith(adapters);

    const result = await operator.setupOrg(INPUT);

    assert.deepEqual(calls, [
      ['openGoogleKey', 'not really a key', 'notasecret'],
      ['makeCalendar', { serviceAccountEmail: INPUT.serviceAccountEmail, privateKeyPem: 'candidate-pem' }],
      ['checkDelegation', 'aino@demo.example'],
      ['makeSevera', { clientId: 'candidate-client', clientSecret: 'candidate-secret' }],
    ]);
    assert.deepEqual(result.syncedTypes, [
      { guid: MEETING.guid, name: 'Meeting', category: 'CalendarEntry' },
    ]);
    assert.equal((await orgConfig.getOrgConfig())?.severaClientId, 'candidate-client');
    assert.equal(await secrets.get(SECRET_NAMES.severaClientSecret), 'candidate-secret');
  });

  it('a key that does not open: no Google client is built, the problem is named, nothing is saved', async () => {
    const { adapters, calls } = fakeAdapters({ keyOpens: false });
    const { operator, orgConfig } = operatorWith(adapters);

    const refused = await operator.setupOrg(INPUT).then(
      () => assert.fail('the setup was accepted'),
      (error: unknown) => error,
    );

    assert.ok(refused instanceof SetupValidationError);
    assert.deepEqual(
      refused.problems.map((p) => [p.check, p.code]),
      [['p12', 'p12-unreadable']],
    );
    assert.ok(!calls.some(([name]) => name === 'makeCalendar'));
    assert.equal(await orgConfig.getOrgConfig(), null);
  });
});
