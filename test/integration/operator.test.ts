/**
 * The operator's application service (shared/app/operator/) and the CLI over it, on real infrastructure: the
 * production composition root on the Severa and Google Calendar simulators and the official Firestore emulator,
 * secrets in a temporary secrets file (EnvSecretSource), sync requests in the in-memory publisher so a test
 * decides when the worker runs them.
 *
 * Every refusal is checked for its precise, actionable words and for having saved nothing; no secret may appear in
 * a message, a log line, the CLI's output or Firestore.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Firestore, type DocumentReference } from '@google-cloud/firestore';
import forge from 'node-forge';

import { docId } from '../../shared/adapters/firestore/index.js';
import { MemorySyncRequestPublisher } from '../../shared/adapters/memory/memory.publisher.js';
import { decodeSyncRequest } from '../../shared/adapters/pubsub/sync-request.codec.js';
import { EnvSecretSource } from '../../shared/adapters/secrets/env.secret-source.js';
import { RateLimiter } from '../../shared/adapters/throttle.js';
import { CREDENTIALS_RECHECK_MS, createContainer, type Container } from '../../shared/app/container.js';
import {
  OperatorError,
  SetupValidationError,
  createOperator,
  type Operator,
  type OrgSetupInput,
  type SetupProblem,
} from '../../shared/app/operator/index.js';
import { handleSyncRequest } from '../../shared/app/sync-worker.js';
import { SECRET_NAMES, parseConfig } from '../../shared/config.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import { runCli, type CliIo } from '../../scripts/cli.js';
import { createCalendarSim, type CalendarSim } from '../sim/calendar/calendar-sim.js';
import {
  CALENDAR_SCOPE,
  DEMO_SERVICE_ACCOUNT,
  createDemoKey,
  demoFixture as calendarDemo,
} from '../sim/calendar/demo-fixture.js';
import type { ServiceAccountKey } from '../sim/calendar/keys.js';
import { createSeveraSim, type SeveraSim } from '../sim/severa/severa-sim.js';
import {
  DEMO_CREDENTIALS,
  DEMO_SCOPES,
  DEMO_TYPES,
  DEMO_USERS,
  demoFixture as severaDemo,
} from '../sim/severa/demo-fixture.js';
import type { StatsRow } from '../sim/common/stats.js';
import { EMULATOR_PROJECT, emulatorHost, stopOwnEmulators } from '../../scripts/emulators.js';

const firestoreHost = await emulatorHost('firestore');
const skip = 'skip' in firestoreHost ? firestoreHost.skip : null;
if (skip !== null) console.log(`skipped: ${skip}`);

const DAY_MS = 86_400_000;
const AINO = 'aino@demo.example';
const BEN = 'ben@demo.example';
/** Active in Severa, inactive, and active in Severa but unknown to the Google domain. */
const DORA = { guid: '11111111-1111-4111-8111-0000000000d0', email: 'dora@demo.example' };
const ERIK = { guid: '11111111-1111-4111-8111-0000000000e0', email: 'erik@demo.example' };
/** A Severa credential without `settings:read` (the activity types). */
const NARROW = { clientId: 'narrow-client', clientSecret: 'narrow-secret-value' };
const P12_PASSWORD_CUSTOM = 'custom-p12-pass-7391';
const WRONG_PASSWORD = 'wrong-password-5521';

/** Instants relative to now (the sync's 30-day window is relative to the real clock). */
const base = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
const at = (days: number, hours: number) => new Date(base.getTime() + days * DAY_MS + hours * 3_600_000);
const severaTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
const googleTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const dateOnly = (d: Date) => d.toISOString().slice(0, 10);

function severaFixture() {
  return {
    ...severaDemo,
    credentials: [
      ...severaDemo.credentials,
      {
        ...NARROW,
        scopes: DEMO_SCOPES.filter((s) => s !== 'settings:read'),
        apiUserGuid: DEMO_USERS.integration,
      },
    ],
    users: [
      ...severaDemo.users,
      {
        guid: DORA.guid,
        firstName: 'Dora',
        lastName: 'Dahl',
        email: DORA.email,
        timezone: 'Europe/Helsinki',
        isActive: false,
      },
      { guid: ERIK.guid, firstName: 'Erik', lastName: 'Ek', email: ERIK.email, timezone: 'Europe/Stockholm' },
    ],
    activities: [
      // aino: one matches a Google event (S6), two go to Google, one is of a type that is not synced.
      {
        name: 'Sprint planning',
        startDateTime: severaTime(at(1, 10)),
        endDateTime: severaTime(at(1, 11.5)),
        activityTypeGuid: DEMO_TYPES.meeting,
        ownerGuid: DEMO_USERS.helsinki,
      },
      {
        name: 'Customer workshop',
        startDateTime: severaTime(at(3, 9)),
        endDateTime: severaTime(at(3, 10.5)),
        activityTypeGuid: DEMO_TYPES.customerVisit,
        ownerGuid: DEMO_USERS.helsinki,
        participantGuids: [DEMO_USERS.newYork],
      },
      {
        name: 'Dentist',
        startDateTime: severaTime(at(4, 12)),
        endDateTime: severaTime(at(4, 13)),
        activityTypeGuid: DEMO_TYPES.personal,
        ownerGuid: DEMO_USERS.helsinki,
      },
      {
        name: 'Parental leave',
        startDateTime: severaTime(at(6, 8)),
        endDateTime: severaTime(at(6, 16)),
        activityTypeGuid: DEMO_TYPES.absence,
        ownerGuid: DEMO_USERS.helsinki,
      },
    ],
  };
}

function calendarSeed(key: Pick<ServiceAccountKey, 'certificatePem'>, delegatedScopes = [CALENDAR_SCOPE]) {
  const demo = calendarDemo(key);
  return {
    ...demo,
    serviceAccount: { ...demo.serviceAccount, delegatedScopes },
    users: [...demo.users, { email: DORA.email, timeZone: 'Europe/Helsinki' }],
    events: {
      [AINO]: [
        {
          summary: 'Sprint planning',
          start: { dateTime: googleTime(at(1, 10)), timeZone: 'UTC' },
          end: { dateTime: googleTime(at(1, 11.5)), timeZone: 'UTC' },
        },
        {
          summary: 'Lunch with Ben',
          start: { dateTime: googleTime(at(2, 11)), timeZone: 'UTC' },
          end: { dateTime: googleTime(at(2, 12)), timeZone: 'UTC' },
        },
        {
          summary: 'Day off',
          visibility: 'private',
          start: { date: dateOnly(at(5, 0)) },
          end: { date: dateOnly(at(6, 0)) },
        },
      ],
    },
  };
}

let demoKey: ServiceAccountKey | null = null;
let strangerKey: ServiceAccountKey | null = null;
let firestore: Firestore | null = null;
const worlds: World[] = [];

/** The demo key re-wrapped with another password (what an admin gets after re-exporting it). */
function withPassword(key: ServiceAccountKey, password: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(key.privateKeyPem),
    [forge.pki.certificateFromPem(key.certificatePem)],
    password,
    { friendlyName: 'privatekey', algorithm: '3des' },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

class World {
  readonly publisher = new MemorySyncRequestPublisher();
  readonly logger = createMemoryLogger('debug');
  readonly orgId = `op-${randomUUID().slice(0, 8)}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'operator-test-'));
  readonly secretsFile = join(this.dir, 'secrets.json');
  readonly container: Container;
  readonly operator: Operator;

  constructor(
    readonly severaSim: SeveraSim,
    readonly calendarSim: CalendarSim,
    readonly db: Firestore,
    pushAddress = '',
  ) {
    const config = parseConfig({
      PUSH_ADDRESS: pushAddress,
      SECRET_SOURCE: 'env',
      SECRETS_FILE: this.secretsFile,
      ORG_ID: this.orgId,
      SEVERA_API_URL: severaSim.url,
      GOOGLE_API_ROOT_URL: calendarSim.url,
      GOOGLE_TOKEN_URL: calendarSim.tokenUrl,
      LOG_LEVEL: 'debug',
    });
    const unlimited = new RateLimiter({ ratePerSecond: Number.POSITIVE_INFINITY });
    const noSleep = () => Promise.resolve();
    this.container = createContainer(config, {
      firestore: db,
      secrets: new EnvSecretSource({ env: {}, file: this.secretsFile }),
      publisher: this.publisher,
      logger: this.logger,
      sleep: noSleep,
      severaRateLimiter: unlimited,
    });
    // The setup's checks build their clients through the container's factories: no waits, no pacing either.
    this.operator = createOperator(this.container);
  }

  static async start(options: { delegatedScopes?: string[]; pushAddress?: string } = {}): Promise<World> {
    assert.ok(firestore !== null && demoKey !== null);
    const severaSim = createSeveraSim({ rateLimitPerSecond: 10_000 });
    await severaSim.start(0);
    severaSim.seed(severaFixture());
    const calendarSim = createCalendarSim({ perUserRatePerMinute: 100_000 });
    await calendarSim.start(0);
    calendarSim.seed(calendarSeed(demoKey, options.delegatedScopes));
    const world = new World(severaSim, calendarSim, firestore, options.pushAddress);
    worlds.push(world);
    return world;
  }

  /** The demo organisation's values, as an admin would enter them. */
  input(overrides: Partial<OrgSetupInput> = {}): OrgSetupInput {
    assert.ok(demoKey !== null);
    return {
      serviceAccountEmail: DEMO_SERVICE_ACCOUNT,
      p12: demoKey.p12,
      severaClientId: DEMO_CREDENTIALS.clientId,
      severaClientSecret: DEMO_CREDENTIALS.clientSecret,
      // Names in any case, and a guid.
      syncedTypeNames: ['meeting', 'PERSONAL', DEMO_TYPES.customerVisit],
      testUserEmail: AINO,
      enable: true,
      ...overrides,
    };
  }

  async setUp(overrides: Partial<OrgSetupInput> = {}): Promise<void> {
    await this.operator.setupOrg(this.input(overrides));
  }

  /** Runs every published request through the production worker, as Pub/Sub would deliver it. */
  async deliverAll(): Promise<number> {
    let delivered = 0;
    for (let pending = this.publisher.take(); pending.length > 0; pending = this.publisher.take()) {
      for (const p of pending) {
        const decoded = decodeSyncRequest(p.message);
        await handleSyncRequest(await this.container.workerDeps(), {
          request: decoded.request,
          messageId: decoded.messageId,
          publishTime: decoded.publishTime ?? new Date().toISOString(),
        });
        delivered += 1;
      }
    }
    return delivered;
  }

  /** Successful writes to each API so far (tokens, watch and the control surface left out). */
  writes(): { severa: number; google: number } {
    const count = (rows: readonly StatsRow[]) =>
      rows
        .filter(
          (r) => r.method !== 'GET' && r.status < 300 && !/token|\/_sim\/|watch|channels\/stop/.test(r.route),
        )
        .reduce((n, r) => n + r.count, 0);
    return { severa: count(this.severaSim.stats.rows()), google: count(this.calendarSim.stats.rows()) };
  }

  /** Every document under the organisation, by path (what "nothing was written" is checked against). */
  async firestoreDump(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const walk = async (ref: DocumentReference): Promise<void> => {
      const snap = await ref.get();
      if (snap.exists) out[ref.path] = snap.data();
      for (const collection of await ref.listCollections()) {
        for (const doc of await collection.listDocuments()) await walk(doc);
      }
    };
    await walk(this.db.collection('orgs').doc(docId(this.orgId)));
    return out;
  }

  savedSecrets(): Record<string, string> | null {
    try {
      return JSON.parse(readFileSync(this.secretsFile, 'utf8')) as Record<string, string>;
    } catch {
      return null;
    }
  }

  /** Nothing of the setup reached the secret store or Firestore. */
  async assertNothingSaved(): Promise<void> {
    assert.equal(this.savedSecrets(), null, 'no secret saved');
    assert.equal(await this.container.stores.orgConfig.getOrgConfig(), null, 'no OrgConfig saved');
    assert.deepEqual(await this.firestoreDump(), {}, 'nothing in Firestore');
  }

  /** No log line holds a secret value. */
  assertNoSecretInLogs(extra: readonly string[] = []): void {
    const secrets = [
      DEMO_CREDENTIALS.clientSecret,
      NARROW.clientSecret,
      demoKey?.p12.toString('base64') ?? '',
      demoKey?.privateKeyPem ?? '',
      P12_PASSWORD_CUSTOM,
      WRONG_PASSWORD,
      ...extra,
    ];
    const text = this.logger.lines.join('\n');
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret reached a log line');
  }

  async close(): Promise<void> {
    await Promise.all([this.severaSim.stop(), this.calendarSim.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `fn`, expects a SetupValidationError, and returns its problems. */
async function setupProblems(world: World, input: OrgSetupInput): Promise<SetupValidationError> {
  try {
    await world.operator.setupOrg(input);
  } catch (error) {
    if (error instanceof SetupValidationError) return error;
    throw error;
  }
  assert.fail('the setup was accepted');
}

function only(error: SetupValidationError): SetupProblem {
  assert.equal(error.problems.length, 1, `one problem: ${JSON.stringify(error.problems)}`);
  const [problem] = error.problems;
  assert.ok(problem !== undefined);
  return problem;
}

async function refusal(promise: Promise<unknown>, code: string): Promise<OperatorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OperatorError, `an OperatorError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe(
  'operator (org setup, opt-in, status, preview, resync) on the emulator and simulators',
  { skip: skip ?? false },
  () => {
    before(() => {
      assert.ok('host' in firestoreHost);
      process.env.METADATA_SERVER_DETECTION ??= 'none';
      firestore = new Firestore({ projectId: EMULATOR_PROJECT, host: firestoreHost.host, ssl: false });
      demoKey = createDemoKey();
      strangerKey = createDemoKey();
    });

    after(async () => {
      await Promise.all(worlds.map((w) => w.close()));
      await firestore?.terminate();
      await stopOwnEmulators();
    });

    describe('org setup (S1)', () => {
      it('saves the secrets in the secret store and an OrgConfig without any secret, after every check passed', async () => {
        const w = await World.start();
        const result = await w.operator.setupOrg(w.input());

        assert.deepEqual(result.savedSecrets, [
          SECRET_NAMES.severaClientSecret,
          SECRET_NAMES.googleP12,
          SECRET_NAMES.googleP12Password,
          SECRET_NAMES.webhookSecret,
        ]);
        assert.deepEqual(
          result.syncedTypes.map((t) => t.name),
          ['Meeting', 'Personal', 'Customer visit'],
        );
        assert.equal(result.testUserEmail, AINO);
        assert.deepEqual([...result.severaScopes].sort(), [...DEMO_SCOPES].sort());
        assert.ok(!JSON.stringify(result).includes(DEMO_CREDENTIALS.clientSecret), 'no secret in the result');

        const saved = w.savedSecrets();
        const webhookSecret = saved?.[SECRET_NAMES.webhookSecret] ?? '';
        assert.match(webhookSecret, /^[A-Za-z0-9_-]{43}$/, 'a fresh 256-bit webhook key');
        assert.deepEqual(saved, {
          [SECRET_NAMES.severaClientSecret]: DEMO_CREDENTIALS.clientSecret,
          [SECRET_NAMES.googleP12]: demoKey?.p12.toString('base64'),
          [SECRET_NAMES.googleP12Password]: 'notasecret',
          [SECRET_NAMES.webhookSecret]: webhookSecret,
        });
        // A second setup keeps the webhook key (a relay is configured with it).
        await w.operator.setupOrg(w.input());
        assert.equal(w.savedSecrets()?.[SECRET_NAMES.webhookSecret], webhookSecret);
        assert.equal(
          statSync(w.secretsFile).mode & 0o777,
          0o600,
          'the secrets file is readable by its owner only',
        );

        const stored = await w.container.stores.orgConfig.getOrgConfig();
        assert.ok(stored !== null);
        assert.equal(stored.enabled, true);
        assert.equal(stored.serviceAccountEmail, DEMO_SERVICE_ACCOUNT);
        assert.equal(stored.severaClientId, DEMO_CREDENTIALS.clientId);
        assert.deepEqual(stored.sync.syncedActivityTypeGuids, [
          DEMO_TYPES.meeting,
          DEMO_TYPES.personal,
          DEMO_TYPES.customerVisit,
        ]);
        assert.equal(
          stored.sync.activityTypes.length,
          5,
          'every activity type, for the Personal/default choices',
        );
        const raw = JSON.stringify(await w.firestoreDump());
        for (const secret of [
          DEMO_CREDENTIALS.clientSecret,
          demoKey?.p12.toString('base64') ?? '',
          'notasecret',
        ]) {
          assert.ok(!raw.includes(secret), 'no secret in Firestore');
        }
        w.assertNoSecretInLogs();

        // What was saved works: the container builds both adapters from it.
        const severa = await w.container.severa();
        assert.equal((await severa.lookupUserByEmail(AINO)).kind, 'active');
        const calendar = await w.container.calendar();
        await calendar.checkDelegation(AINO);
      });

      it('accepts a key with its own password and saves that password, so the adapters open the key with it', async () => {
        const w = await World.start();
        assert.ok(demoKey !== null);
        await w.operator.setupOrg(
          w.input({ p12: withPassword(demoKey, P12_PASSWORD_CUSTOM), p12Password: P12_PASSWORD_CUSTOM }),
        );
        assert.equal(w.savedSecrets()?.[SECRET_NAMES.googleP12Password], P12_PASSWORD_CUSTOM);
        await (await w.container.calendar()).checkDelegation(BEN);
        w.assertNoSecretInLogs();
      });

      it('a running instance picks up a key rotated by the org setup within minutes, with no redeploy', async () => {
        const w = await World.start();
        assert.ok(demoKey !== null);
        await w.setUp();
        // Another instance of the functions: its own container, its own clock.
        let now = Date.now();
        const instance = createContainer(w.container.config, {
          firestore: w.db,
          secrets: new EnvSecretSource({ env: {}, file: w.secretsFile }),
          publisher: w.publisher,
          logger: w.logger,
          clock: { now: () => new Date(now) },
          sleep: () => Promise.resolve(),
          severaRateLimiter: new RateLimiter({ ratePerSecond: Number.POSITIVE_INFINITY }),
        });
        const first = await instance.calendar();
        const firstSevera = await instance.severa();
        assert.equal(await instance.calendar(), first, 'kept for the instance');
        now += CREDENTIALS_RECHECK_MS + 1;
        assert.equal(await instance.calendar(), first, 'the same credentials read again: the same adapter');

        // The administrator saves the key again with a password of its own (a rotation, as the console does it).
        await w.operator.setupOrg(
          w.input({ p12: withPassword(demoKey, P12_PASSWORD_CUSTOM), p12Password: P12_PASSWORD_CUSTOM }),
        );
        assert.equal(await instance.calendar(), first, 'not read again before the interval');
        now += CREDENTIALS_RECHECK_MS + 1;
        const rotated = await instance.calendar();
        assert.notEqual(rotated, first, 'rebuilt from the rotated key');
        await rotated.checkDelegation(BEN);
        assert.equal(await instance.severa(), firstSevera, 'the Severa credential did not change');
        w.assertNoSecretInLogs([P12_PASSWORD_CUSTOM]);
      });

      it('wrong P12 password: says the password does not open the key, saves nothing', async () => {
        const w = await World.start();
        const error = await setupProblems(w, w.input({ p12Password: WRONG_PASSWORD }));
        const problem = only(error);
        assert.equal(problem.check, 'p12');
        assert.equal(problem.code, 'p12-unreadable');
        assert.match(problem.message, /could not be opened with the password given: check the password/);
        assert.match(problem.message, /default password "notasecret"/);
        assert.ok(!error.message.includes(WRONG_PASSWORD), 'the password is not echoed');
        assert.ok(
          error.unchecked.some((u) => /Domain-wide delegation/.test(u)),
          'says delegation was not checked',
        );
        await w.assertNothingSaved();
        w.assertNoSecretInLogs();
      });

      it('a key Google does not know, or an unknown service account: says the credentials were rejected', async () => {
        const w = await World.start();
        assert.ok(strangerKey !== null);
        const other = only(await setupProblems(w, w.input({ p12: strangerKey.p12 })));
        assert.equal(other.check, 'google');
        assert.equal(other.code, 'bad-credentials');
        assert.match(
          other.message,
          /Google rejected the service account's credentials \(invalid_grant: Invalid JWT Signature\.\)/,
        );
        assert.match(other.message, /check the service account e-mail and upload its current \.p12 key/);

        const unknown = only(
          await setupProblems(
            w,
            w.input({ serviceAccountEmail: 'someone-else@demo-project.iam.gserviceaccount.com' }),
          ),
        );
        assert.equal(unknown.code, 'bad-credentials');
        assert.match(unknown.message, /check the service account e-mail/);
        await w.assertNothingSaved();
      });

      it('delegation not authorised for the calendar scope: says where the Workspace admin authorises it', async () => {
        const w = await World.start({
          delegatedScopes: ['https://www.googleapis.com/auth/calendar.readonly'],
        });
        const problem = only(await setupProblems(w, w.input()));
        assert.equal(problem.check, 'google');
        assert.equal(problem.code, 'delegation-denied');
        assert.match(
          problem.message,
          /domain-wide delegation is not authorised for the calendar scope \(unauthorized_client\)/,
        );
        assert.match(
          problem.message,
          /Admin console .*Domain-wide delegation.*https:\/\/www\.googleapis\.com\/auth\/calendar\./,
        );
        await w.assertNothingSaved();
      });

      it('bad Severa client secret: says Severa refused the credential and where to check it', async () => {
        const w = await World.start();
        const error = await setupProblems(w, w.input({ severaClientSecret: 'not-the-secret-8812' }));
        const problem = only(error);
        assert.equal(problem.check, 'severa');
        assert.equal(problem.code, 'bad-credentials');
        assert.match(
          problem.message,
          /^Severa refused the API credential\. Check the client id and client secret in Severa → Settings → Integrations → REST API/,
        );
        assert.ok(!error.message.includes('not-the-secret-8812'), 'the secret is not echoed');
        assert.ok(error.unchecked.some((u) => /Activity types/.test(u)));
        await w.assertNothingSaved();
        w.assertNoSecretInLogs(['not-the-secret-8812']);
      });

      it('a Severa credential lacking a scope: names the missing scope', async () => {
        const w = await World.start();
        const problem = only(
          await setupProblems(
            w,
            w.input({ severaClientId: NARROW.clientId, severaClientSecret: NARROW.clientSecret }),
          ),
        );
        assert.equal(problem.check, 'severa');
        assert.equal(problem.code, 'missing-scope');
        assert.match(
          problem.message,
          /lacks the API scope "settings:read"\. An administrator adds it in Severa → Settings → Integrations → REST API/,
        );
        await w.assertNothingSaved();
      });

      it('an unknown activity type: lists the types that can be synced', async () => {
        const w = await World.start();
        const problem = only(await setupProblems(w, w.input({ syncedTypeNames: ['Meeting', 'Meetings'] })));
        assert.equal(problem.check, 'activity-types');
        assert.equal(problem.code, 'unknown-activity-type');
        assert.equal(
          problem.message,
          'Severa has no activity type "Meetings". Available: "Meeting", "Personal", "Customer visit", "Absence".',
        );
        await w.assertNothingSaved();
      });

      it('a project-task type: refused with the reason', async () => {
        const w = await World.start();
        const problem = only(
          await setupProblems(w, w.input({ syncedTypeNames: ['Meeting', 'project task'] })),
        );
        assert.equal(problem.code, 'project-task-type');
        assert.match(
          problem.message,
          /^"Project task" is a project-task type \(category Task\): project tasks are never synced to Google\./,
        );
        await w.assertNothingSaved();
      });

      it('lists every problem found at once', async () => {
        const w = await World.start();
        const error = await setupProblems(
          w,
          w.input({
            p12Password: WRONG_PASSWORD,
            syncedTypeNames: ['Nope', 'Project task'],
            testUserEmail: 'aino',
          }),
        );
        assert.deepEqual(
          error.problems.map((p) => `${p.check}/${p.code}`),
          [
            'input/test-user-email',
            'p12/p12-unreadable',
            'activity-types/unknown-activity-type',
            'activity-types/project-task-type',
          ],
        );
        assert.match(error.message, /^The organisation settings were not saved: 4 problems found\./);
        await w.assertNothingSaved();
      });
    });

    describe('user opt-in (S2)', () => {
      it('is refused while the organisation is not set up or switched off, with nothing written', async () => {
        const w = await World.start();
        const notSetUp = await refusal(w.operator.enableUser(AINO), 'org-not-set-up');
        assert.match(notSetUp.message, /npm run cli -- org setup/);
        await w.setUp({ enable: false });
        const before = await w.firestoreDump();
        const off = await refusal(w.operator.enableUser(AINO), 'org-disabled');
        assert.match(off.message, /switched off for the organisation.*org enable/);
        assert.deepEqual(await w.firestoreDump(), before);
        assert.equal(w.publisher.published.length, 0);
      });

      it('an unknown e-mail, an inactive Severa user, or a user Google will not delegate: a clear refusal, no sync', async () => {
        const w = await World.start();
        await w.setUp();
        const before = await w.firestoreDump();
        const missing = await refusal(w.operator.enableUser('nobody@demo.example'), 'user-not-found');
        assert.match(missing.message, /^No Severa user has the e-mail nobody@demo\.example/);
        assert.match(
          missing.message,
          /must be the same as the Google account's \(letter case does not matter\)/,
        );
        const inactive = await refusal(w.operator.enableUser(DORA.email), 'user-inactive');
        assert.match(inactive.message, /is inactive, so nothing is synced for them/);
        const notInDomain = await refusal(w.operator.enableUser(ERIK.email), 'google-access');
        assert.match(
          notInDomain.message,
          /^Sync cannot be switched on for erik@demo\.example: Google refused to issue a token for this user/,
        );
        await refusal(w.operator.enableUser('not an address'), 'invalid-input');
        assert.deepEqual(await w.firestoreDump(), before, 'nothing written');
        assert.equal(w.publisher.published.length, 0, 'no sync requested');
      });

      it('matches the e-mail case-insensitively, requests the first sync, and is idempotent', async () => {
        const w = await World.start();
        await w.setUp();
        const first = await w.operator.enableUser('BEN@demo.EXAMPLE');
        assert.equal(first.user.severaUserGuid, DEMO_USERS.newYork, 'Severa has Ben@Demo.example');
        assert.equal(first.user.email, BEN);
        assert.equal(first.alreadyEnabled, false);
        assert.deepEqual(
          w.publisher.published.map((p) => [p.request.user, p.request.reason, p.request.reconcile]),
          [[DEMO_USERS.newYork, 'initial', true]],
        );
        const record = await w.container.stores.users.getUser(DEMO_USERS.newYork);
        assert.equal(record?.enabled, true);
        assert.equal((await w.operator.userStatus(BEN)).state, 'initial');

        // Before the first sync ran, enabling again asks again (a lost request must not leave the person waiting).
        const again = await w.operator.enableUser(BEN);
        assert.equal(again.alreadyEnabled, true);
        assert.notEqual(again.requestId, null);
        await w.deliverAll();
        assert.equal((await w.operator.userStatus(BEN)).state, 'healthy');
        const events = w.calendarSim.events(BEN).filter((e) => e.status !== 'cancelled').length;
        assert.equal(events, 1, 'the workshop Ben takes part in');

        const third = await w.operator.enableUser(BEN);
        assert.deepEqual([third.alreadyEnabled, third.requestId], [true, null]);
        assert.equal(w.publisher.published.length, 0, 'nothing more requested');
        w.assertNoSecretInLogs();
      });

      it("opens the person's push channel at opt-in, not at the next tick (issue 11)", async () => {
        const w = await World.start({ pushAddress: 'https://sync.example/calendarPush' });
        await w.setUp();
        await w.operator.enableUser(BEN);
        const channel = (await w.container.stores.users.getUser(DEMO_USERS.newYork))?.channel;
        assert.ok(channel, 'a channel right away');
        assert.equal(channel.address, 'https://sync.example/calendarPush');
        assert.match(channel.token, /^sha256:/, 'only the hash of its token is stored');
        assert.ok((await w.operator.userStatus(BEN)).channelExpiresAt !== null);
        w.assertNoSecretInLogs();
      });

      it('disable keeps the links, and enabling again resumes without duplicates', async () => {
        const w = await World.start();
        await w.setUp();
        await w.operator.enableUser(AINO);
        await w.deliverAll();
        const links = await w.container.stores.store.listLinks(DEMO_USERS.helsinki);
        assert.equal(links.length, 5, 'sprint planning matched, two copied to Google, two to Severa');
        const writes = w.writes();

        const off = await w.operator.disableUser('Aino@Demo.Example');
        assert.deepEqual(off, { email: AINO, severaUserGuid: DEMO_USERS.helsinki, wasEnabled: true });
        assert.equal((await w.container.stores.users.getUser(DEMO_USERS.helsinki))?.enabled, false);
        const status = await w.operator.userStatus(AINO);
        assert.equal(status.state, 'off');
        assert.ok(status.lastSuccessAt !== null, 'the last success is kept');
        assert.equal((await w.container.stores.store.listLinks(DEMO_USERS.helsinki)).length, 5, 'links kept');
        assert.deepEqual(await w.operator.disableUser(AINO), {
          email: AINO,
          severaUserGuid: DEMO_USERS.helsinki,
          wasEnabled: false,
        });
        assert.deepEqual(await w.operator.disableUser('nobody@demo.example'), {
          email: 'nobody@demo.example',
          severaUserGuid: null,
          wasEnabled: false,
        });

        const on = await w.operator.enableUser(AINO);
        assert.equal(on.alreadyEnabled, false);
        assert.equal(w.publisher.published[0]?.request.reason, 'initial');
        await w.deliverAll();
        assert.deepEqual(w.writes(), writes, 'no write at all: nothing duplicated');
        assert.equal((await w.operator.userStatus(AINO)).state, 'healthy');
      });
    });

    describe('status (B7)', () => {
      it('shows each person: off / initial / healthy, last success, retries, reconcile, channel expiry', async () => {
        const w = await World.start();
        await w.setUp();
        await w.operator.enableUser(AINO);
        await w.deliverAll();
        await w.operator.enableUser(BEN);
        const expiration = new Date(Date.now() + 3 * DAY_MS).toISOString();
        await w.container.stores.users.updateUser(DEMO_USERS.helsinki, {
          channel: {
            id: 'ch-1',
            resourceId: 'res-1',
            expiration,
            token: 'channel-token-secret-1',
            address: 'https://x.example/push',
          },
        });

        const aino = await w.operator.userStatus('AINO@demo.example');
        assert.equal(aino.state, 'healthy');
        assert.equal(aino.enabled, true);
        assert.equal(aino.message, null);
        assert.equal(aino.pendingRetries, 0);
        assert.ok(aino.lastSuccessAt !== null && aino.lastReconcileAt !== null);
        assert.equal(aino.channelExpiresAt, expiration);
        assert.ok(!JSON.stringify(aino).includes('channel-token-secret-1'), 'the channel token is not shown');

        const nobody = await w.operator.userStatus(ERIK.email);
        assert.deepEqual(
          [nobody.state, nobody.severaUserGuid, nobody.message],
          ['off', null, 'Sync has never been switched on for this person.'],
        );

        const all = await w.operator.listStatuses();
        assert.deepEqual(
          all.map((s) => [s.email, s.state]),
          [
            [AINO, 'healthy'],
            [BEN, 'initial'],
          ],
        );
      });
    });

    describe('preview (B1)', () => {
      it('counts what the first sync would do, with examples, and writes nothing anywhere', async () => {
        const w = await World.start();
        await w.setUp();
        const firestoreBefore = await w.firestoreDump();
        const writesBefore = w.writes();

        const result = await w.operator.previewUser('aino@DEMO.example');
        assert.equal(result.enabled, false);
        assert.equal(result.firstSync, true);
        const p = result.preview;
        assert.deepEqual(
          [p.createInGoogle, p.createInSevera, p.matched, p.deleteInGoogle, p.deleteInSevera],
          [2, 2, 1, 0, 0],
        );
        assert.deepEqual([...p.examples.createInGoogle].sort(), ['Customer workshop', 'Dentist']);
        assert.deepEqual([...p.examples.createInSevera].sort(), ['Day off', 'Lunch with Ben']);
        assert.deepEqual(p.examples.matched, ['Sprint planning']);
        assert.equal(p.held, null);

        assert.deepEqual(await w.firestoreDump(), firestoreBefore, 'nothing written to Firestore');
        assert.deepEqual(w.writes(), writesBefore, 'nothing written to Severa or Google');
        assert.equal(w.publisher.published.length, 0, 'no sync requested');

        // The preview was right: the first sync does exactly that.
        await w.operator.enableUser(AINO);
        await w.deliverAll();
        const after = w.writes();
        assert.equal(after.google - writesBefore.google >= 2, true);
        assert.equal(w.calendarSim.events(AINO).filter((e) => e.status !== 'cancelled').length, 5);
        const next = await w.operator.previewUser(AINO);
        assert.equal(next.firstSync, false);
        assert.deepEqual(
          [next.preview.createInGoogle, next.preview.createInSevera, next.preview.matched],
          [0, 0, 0],
          'nothing left to do',
        );
      });
    });

    describe('resync (B7)', () => {
      it('--full clears the Google sync token under the lease, keeps the links and publishes a manual reconcile; no duplicates', async () => {
        const w = await World.start();
        await w.setUp();
        await w.operator.enableUser(AINO);
        await w.deliverAll();
        const store = w.container.stores.store;
        assert.notEqual(await store.getSyncToken(DEMO_USERS.helsinki), null);
        const links = await store.listLinks(DEMO_USERS.helsinki);
        const writes = w.writes();

        const result = await w.operator.resync('Aino@demo.example', { full: true });
        assert.equal(result.full, true);
        assert.equal(await store.getSyncToken(DEMO_USERS.helsinki), null, 'token cleared');
        assert.deepEqual(await store.listLinks(DEMO_USERS.helsinki), links, 'links kept');
        assert.deepEqual(
          w.publisher.published.map((p) => [p.request.user, p.request.reason, p.request.reconcile]),
          [[DEMO_USERS.helsinki, 'manual', true]],
        );
        await w.deliverAll();
        assert.deepEqual(w.writes(), writes, 'the full listing was matched against the links: no write');
        assert.notEqual(await store.getSyncToken(DEMO_USERS.helsinki), null, 'a new token after the run');

        // A plain resync keeps the token.
        const token = await store.getSyncToken(DEMO_USERS.helsinki);
        await w.operator.resync(AINO);
        assert.equal(await store.getSyncToken(DEMO_USERS.helsinki), token);
        assert.equal(w.publisher.take().length, 1);
      });

      it('is refused for a person without sync, and a full resync while a run holds the person waits for it', async () => {
        const w = await World.start();
        await w.setUp();
        const off = await refusal(w.operator.resync(BEN, { full: true }), 'user-not-enabled');
        assert.match(off.message, /only they can switch it on, in the console/);

        await w.operator.enableUser(AINO);
        w.publisher.take();
        await w.container.stores.store.saveSyncToken(DEMO_USERS.helsinki, 'token-1');
        const now = new Date().toISOString();
        assert.ok(
          await w.container.stores.leases.acquire(`sync:${DEMO_USERS.helsinki}`, 'worker-x', now, 60_000),
        );
        const busy = await refusal(w.operator.resync(AINO, { full: true }), 'user-busy');
        assert.match(busy.message, /is running right now; try the full resync again in a minute/);
        assert.equal(
          await w.container.stores.store.getSyncToken(DEMO_USERS.helsinki),
          'token-1',
          'untouched',
        );
        assert.equal(w.publisher.published.length, 0);
      });
    });

    describe('the CLI over the real container', () => {
      function capture(env: NodeJS.ProcessEnv = {}): CliIo & { out: string[]; err: string[] } {
        const out: string[] = [];
        const err: string[] = [];
        return {
          out,
          err,
          env: { SECRET_SOURCE: 'env', ...env },
          stdout: (t) => out.push(t),
          stderr: (t) => err.push(t),
        };
      }

      it('org setup from files and environment variables, then org show and user status; no secret printed', async () => {
        const w = await World.start();
        assert.ok(demoKey !== null);
        const p12Path = join(w.dir, 'key.p12');
        writeFileSync(p12Path, withPassword(demoKey, P12_PASSWORD_CUSTOM));
        const passwordFile = join(w.dir, 'p12-password.txt');
        writeFileSync(passwordFile, `${P12_PASSWORD_CUSTOM}\n`);
        const deps = {
          projectRoot: w.dir,
          runtime: () => ({ operator: w.operator, close: () => Promise.resolve() }),
        };
        const setupArgs = [
          'org',
          'setup',
          '--service-account',
          DEMO_SERVICE_ACCOUNT,
          '--p12',
          p12Path,
          '--p12-password-file',
          passwordFile,
          '--severa-client-id',
          DEMO_CREDENTIALS.clientId,
          '--types',
          'Meeting,Personal',
          '--types',
          'customer visit',
          '--test-user',
          AINO,
          '--enable',
        ];

        const failing = capture({ SEVERA_CLIENT_SECRET: 'wrong-secret-4410' });
        assert.equal(
          await runCli(
            [...setupArgs.slice(0, -5), '--types', 'Project task', '--test-user', AINO],
            failing,
            deps,
          ),
          1,
        );
        const failText = failing.err.join('');
        assert.match(
          failText,
          /^The organisation settings were not saved: 1 problem found\.\n {2}- \[severa\] Severa refused the API credential/,
        );
        assert.match(failText, /Not checked yet:\n {2}- Activity types/);
        assert.ok(!failText.includes('wrong-secret-4410'));
        await w.assertNothingSaved();

        const io = capture({ SEVERA_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret });
        assert.equal(await runCli(setupArgs, io, deps), 0, io.err.join(''));
        const text = io.out.join('');
        assert.match(text, /^Organisation settings saved/);
        assert.match(text, /Synced to Google: {2}Meeting, Personal, Customer visit/);
        assert.match(text, /Integration: {7}on/);
        assert.equal(w.savedSecrets()?.[SECRET_NAMES.googleP12Password], P12_PASSWORD_CUSTOM);

        const show = capture();
        assert.equal(await runCli(['org', 'show', '--json'], show, deps), 0);
        const view = JSON.parse(show.out.join('')) as {
          secrets: Record<string, string>;
          config: { enabled: boolean };
        };
        assert.deepEqual(view.secrets, {
          [SECRET_NAMES.severaClientSecret]: 'set',
          [SECRET_NAMES.googleP12]: 'set',
          [SECRET_NAMES.googleP12Password]: 'set',
          [SECRET_NAMES.webhookSecret]: 'set',
        });
        assert.equal(view.config.enabled, true);

        // Ben switches his own sync on (the console's use case: the CLI has no command for it, S2).
        await w.operator.enableUser('Ben@Demo.Example');
        const enable = capture();
        assert.equal(await runCli(['user', 'enable', 'ben@demo.example'], enable, deps), 2);
        assert.match(enable.err.join(''), /^Only the person can switch their own sync on/);
        const status = capture();
        assert.equal(await runCli(['user', 'status'], status, deps), 0);
        assert.match(status.out.join(''), /Organisation integration: on\n\nEMAIL +STATE +LAST SUCCESS/);
        assert.match(status.out.join(''), /\nben@demo\.example +initial +- +0 /);

        const missing = capture();
        assert.equal(await runCli(['user', 'preview', 'nobody@demo.example', '--json'], missing, deps), 1);
        const refusal = JSON.parse(missing.out.join('')) as { error: { code: string; message: string } };
        assert.equal(refusal.error.code, 'user-not-found');

        const printed = [failing, io, show, enable, status, missing]
          .flatMap((c) => [...c.out, ...c.err])
          .join('');
        for (const secret of [
          DEMO_CREDENTIALS.clientSecret,
          P12_PASSWORD_CUSTOM,
          demoKey.p12.toString('base64'),
        ]) {
          assert.ok(!printed.includes(secret), 'no secret printed');
        }
        w.assertNoSecretInLogs(['wrong-secret-4410']);
      });
    });
  },
);
