/**
 * The operator CLI (scripts/cli.ts) without any network: argument parsing, usage errors (exit 2 with the usage
 * text), env-file loading, how secrets are taken (environment or files, never flags), and how each kind of failure
 * is printed (exit 1, actionable words, no stack trace unless --debug, JSON with --json). The operations themselves
 * run against a fake operator here; test/integration/operator.test.ts runs them for real.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  USAGE,
  UsageError,
  answers,
  commandLine,
  firstSilent,
  localStackAddresses,
  localStackEnvFile,
  parseCli,
  pathForHint,
  runCli,
  setupInput,
  shellWord,
  stackDownMessage,
  startCommand,
  withEnvFile,
  type CliDeps,
  type CliIo,
  type CliRuntime,
  type OrgSetupArgs,
} from '../../../scripts/cli.js';
import {
  OperatorError,
  SetupValidationError,
  type Operator,
  type OrgSetupInput,
  type UserStatusView,
} from '../../../shared/app/operator/index.js';
import type {
  DeadLetter,
  DeadLetterListing,
  DeadLetterQueue,
  DeadLetterReplay,
} from '../../../shared/adapters/pubsub/pubsub.dead-letters.js';
import { PermanentError, TransientError } from '../../../shared/domain/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function usageError(argv: readonly string[]): string {
  try {
    parseCli(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError for ${argv.join(' ')}`);
    return error.message;
  }
  assert.fail(`no usage error for: ${argv.join(' ')}`);
}

interface Captured extends CliIo {
  readonly out: string[];
  readonly err: string[];
  text(): string;
  errors(): string;
}

function capture(env: NodeJS.ProcessEnv = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    env: { SECRET_SOURCE: 'env', ...env },
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    text: () => out.join(''),
    errors: () => err.join(''),
  };
}

/** An operator whose every method fails unless the test gives it; records calls and whether it was closed. */
function fakeRuntime(methods: Partial<Operator> = {}) {
  const calls: string[] = [];
  let closed = 0;
  const refuse = (name: string) => () => Promise.reject(new Error(`unexpected call: ${name}`));
  const operator = new Proxy(methods, {
    get(target, name: string) {
      const method = target[name as keyof Operator] as ((...args: unknown[]) => unknown) | undefined;
      if (method === undefined) return refuse(name);
      return (...args: unknown[]) => {
        calls.push(`${name} ${JSON.stringify(args)}`);
        return method(...args);
      };
    },
  }) as Operator;
  const deps: CliDeps = {
    projectRoot: dir,
    loadEnvFile: () => {
      throw new Error('no env file expected');
    },
    runtime: (): CliRuntime => ({
      operator,
      close: () => {
        closed += 1;
        return Promise.resolve();
      },
    }),
  };
  return { deps, calls, closed: () => closed };
}

/** Deps that fail the test if the CLI gets as far as building its runtime (usage errors must not). */
const noRuntime: CliDeps = {
  projectRoot: dir,
  runtime: () => assert.fail('the runtime must not be built'),
};

const view = (overrides: Partial<UserStatusView> = {}): UserStatusView => ({
  email: 'aino@demo.example',
  severaUserGuid: 'g-1',
  enabled: true,
  state: 'healthy',
  lastSuccessAt: '2026-11-24T06:00:00Z',
  message: null,
  pendingRetries: 0,
  channelExpiresAt: '2026-11-30T06:00:00.000Z',
  lastReconcileAt: '2026-11-24T05:00:00Z',
  hold: null,
  behindSince: null,
  progress: null,
  ...overrides,
});

describe('cli: parsing', () => {
  it('parses every command with its arguments and options', () => {
    // S2: only the person switches their own sync on (in the console); the CLI has no command for it.
    assert.match(
      usageError(['user', 'enable', 'a@b.c']),
      /^Only the person can switch their own sync on: in the console/,
    );
    assert.deepEqual(parseCli(['user', 'disable', 'a@b.c']).command, {
      kind: 'user disable',
      email: 'a@b.c',
    });
    assert.deepEqual(parseCli(['user', 'status']).command, { kind: 'user status', email: null });
    assert.deepEqual(parseCli(['user', 'status', 'a@b.c']).command, { kind: 'user status', email: 'a@b.c' });
    assert.deepEqual(parseCli(['user', 'preview', 'a@b.c']).command, {
      kind: 'user preview',
      email: 'a@b.c',
    });
    assert.deepEqual(parseCli(['user', 'resync', 'a@b.c']).command, {
      kind: 'user resync',
      email: 'a@b.c',
      full: false,
    });
    assert.deepEqual(parseCli(['user', 'resync', '--full', 'a@b.c']).command, {
      kind: 'user resync',
      email: 'a@b.c',
      full: true,
    });
    assert.deepEqual(parseCli(['user', 'hold', 'confirm', 'a@b.c']).command, {
      kind: 'user hold',
      decision: 'confirm',
      email: 'a@b.c',
      by: null,
    });
    assert.deepEqual(parseCli(['user', 'hold', 'reject', 'a@b.c', '--by', 'Maija']).command, {
      kind: 'user hold',
      decision: 'reject',
      email: 'a@b.c',
      by: 'Maija',
    });
    assert.deepEqual(parseCli(['org', 'show']).command, { kind: 'org show' });
    assert.deepEqual(parseCli(['dead-letters', 'list']).command, {
      kind: 'dead-letters list',
      limit: 20,
      topic: null,
    });
    assert.deepEqual(parseCli(['dead-letters', 'list', '--limit', '5', '--topic', 'sync-tick']).command, {
      kind: 'dead-letters list',
      limit: 5,
      topic: 'sync-tick',
    });
    assert.deepEqual(parseCli(['dead-letters', 'replay']).command, {
      kind: 'dead-letters replay',
      limit: 100,
      topic: null,
    });
    assert.deepEqual(parseCli(['dead-letters', 'replay', '--limit=1000']).command, {
      kind: 'dead-letters replay',
      limit: 1000,
      topic: null,
    });
    assert.deepEqual(parseCli(['org', 'enable']).command, { kind: 'org enable' });
    assert.deepEqual(parseCli(['org', 'disable']).command, { kind: 'org disable' });
  });

  it('parses org setup: comma-separated and repeated --types, --enable / --disable / neither', () => {
    const args = [
      'org',
      'setup',
      '--service-account',
      'sa@p.iam.gserviceaccount.com',
      '--p12',
      'key.p12',
      '--types',
      'Meeting, Personal',
      '--types',
      'Customer visit',
      '--test-user',
      'aino@demo.example',
    ];
    assert.deepEqual(parseCli(args).command, {
      kind: 'org setup',
      serviceAccountEmail: 'sa@p.iam.gserviceaccount.com',
      p12Path: 'key.p12',
      p12PasswordFile: null,
      severaClientId: null,
      severaClientSecretFile: null,
      types: ['Meeting', 'Personal', 'Customer visit'],
      testUser: 'aino@demo.example',
      enable: undefined,
    });
    const on = parseCli([
      ...args,
      '--enable',
      '--severa-client-id',
      'cid',
      '--severa-client-secret-file',
      's.txt',
    ]);
    assert.equal(on.command.kind === 'org setup' && on.command.enable, true);
    assert.equal(on.command.kind === 'org setup' && on.command.severaClientId, 'cid');
    assert.equal(on.command.kind === 'org setup' && on.command.severaClientSecretFile, 's.txt');
    const off = parseCli([...args, '--disable']);
    assert.equal(off.command.kind === 'org setup' && off.command.enable, false);
  });

  it('takes the global options anywhere', () => {
    const parsed = parseCli(['--json', 'user', 'status', '--env-file', 'x.env', '--debug']);
    assert.deepEqual(parsed, {
      command: { kind: 'user status', email: null },
      json: true,
      debug: true,
      envFile: 'x.env',
    });
  });

  it('help: no command, "help", --help or -h, even after a command', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h'], ['user', 'status', '--help'], ['org', '-h']]) {
      assert.equal(parseCli(argv).command.kind, 'help', argv.join(' '));
    }
  });

  it('names each usage error precisely', () => {
    assert.equal(
      usageError(['frob']),
      'Unknown command (argument 1): it begins with org, user, dead-letters or help.',
    );
    assert.equal(usageError(['user']), '"user" needs a command: see the usage below.');
    assert.equal(
      usageError(['user', 'frob']),
      'Unknown "user" command (argument 2): it is one of disable, status, preview, resync, hold.',
    );
    assert.equal(
      usageError(['--json', 'dead-letters', 'frob']),
      'Unknown "dead-letters" command (argument 3): it is one of list, replay.',
    );
    assert.equal(usageError(['user', 'disable']), '"user disable" needs <email>.');
    assert.equal(usageError(['user', 'preview']), '"user preview" needs <email>.');
    assert.equal(usageError(['user', 'resync', '--full']), '"user resync" needs <email>.');
    assert.equal(usageError(['user', 'hold', 'confirm']), '"user hold" needs <confirm|reject> <email>.');
    assert.equal(
      usageError(['user', 'hold', 'approve', 'a@b.c']),
      '"user hold" takes confirm or reject (argument 3 is neither).',
    );
    assert.equal(
      usageError(['user', 'disable', 'a@b.c', 'd@e.f']),
      'Unexpected argument 4 for "user disable", which takes only <email>.',
    );
    assert.equal(
      usageError(['org', 'show', '--json', 'x', 'y']),
      'Unexpected arguments 4, 5 for "org show", which takes no arguments.',
    );
    assert.equal(
      usageError(['user', 'preview', 'aino']),
      '"user preview" needs an e-mail address as argument 3.',
    );
    assert.equal(
      usageError(['user', 'hold', 'confirm', '--by', 'Maija', 'aino']),
      '"user hold" needs an e-mail address as argument 6.',
    );
    assert.equal(usageError(['user', 'status', '--full']), '"user status" does not take --full.');
    assert.equal(
      usageError(['user', 'disable', 'a@b.c', '--p12', 'k', '--enable']),
      '"user disable" does not take --p12, --enable.',
    );
    assert.equal(
      usageError(['user', 'status', '--bogus']),
      'Unknown option (argument 3): see the options below.',
    );
    assert.equal(usageError(['user', 'status', '--env-file']), '--env-file needs a value (argument 3).');
    assert.equal(usageError(['user', 'status', '--json=yes']), '--json takes no value (argument 3).');
    assert.equal(
      usageError(['user', 'hold', 'confirm', 'a@b.c', '--by', '--json']),
      '--by needs a value, not an option (argument 6); write --by=<value> for a value that starts with "-".',
    );
    assert.equal(
      usageError(['dead-letters', 'list', '--limit', '0']),
      '--limit takes a whole number from 1 to 1000.',
    );
    assert.equal(
      usageError(['dead-letters', 'replay', '--limit', '2.5']),
      '--limit takes a whole number from 1 to 1000.',
    );
    assert.equal(
      usageError(['dead-letters', 'list', '--limit', '1001']),
      '--limit takes a whole number from 1 to 1000.',
    );
    assert.equal(usageError(['dead-letters', 'list', '--full']), '"dead-letters list" does not take --full.');
    assert.equal(
      usageError(['org', 'setup', '--p12', 'k']),
      '"org setup" needs --service-account, --test-user, --types.',
    );
    assert.equal(
      usageError([
        'org',
        'setup',
        '--service-account',
        's@x',
        '--p12',
        'k',
        '--types',
        ' , ',
        '--test-user',
        'a@b',
      ]),
      '--types names no activity type.',
    );
    assert.equal(
      usageError([
        'org',
        'setup',
        '--service-account',
        's@x',
        '--p12',
        'k',
        '--types',
        'Meeting',
        '--test-user',
        'a@b',
        '--enable',
        '--disable',
      ]),
      '"org setup" takes --enable or --disable, not both.',
    );
  });

  it('has no flag that takes a secret value on the command line', () => {
    for (const flag of ['--severa-client-secret', '--p12-password', '--password', '--secret']) {
      assert.match(usageError(['org', 'setup', flag, 'x']), /^Unknown option/, flag);
    }
  });

  it('never repeats a mistyped argument, which may be a secret pasted in the wrong place', () => {
    const secret = 'Zk9-s3cr3t_Q2xpZW50U2VjcmV0';
    const setup = [
      'org',
      'setup',
      '--service-account',
      's@x',
      '--p12',
      'k',
      '--types',
      'M',
      '--test-user',
      'a@b',
    ];
    const cases: (readonly string[])[] = [
      [secret],
      [`--${secret}`],
      [`-${secret}`],
      ['user', secret],
      ['dead-letters', secret],
      [...setup, secret],
      ['org', 'show', secret],
      ['user', 'disable', secret],
      ['user', 'disable', 'a@b.c', secret],
      ['user', 'status', secret],
      ['user', 'hold', secret, 'a@b.c'],
      ['user', 'hold', 'confirm', secret],
      ['user', 'resync', 'a@b.c', `--full=${secret}`],
      ['user', 'status', `--severa-client-secret=${secret}`],
      ['user', 'status', '--severa-client-secret', secret],
      ['user', 'hold', 'confirm', 'a@b.c', '--by', `-${secret}`],
      ['dead-letters', 'list', '--limit', secret],
      ['org', 'setup', '--p12', 'k', '--', secret],
    ];
    for (const argv of cases) {
      const message = usageError(argv);
      assert.ok(!message.includes(secret), `${argv.join(' ')} → ${message}`);
      assert.ok(!message.includes(secret.slice(0, 6)), `no part of it either: ${message}`);
    }
  });
});

describe('cli: runCli exit codes and output', () => {
  it('a mistyped secret is in neither the text nor the JSON of a usage error', async () => {
    const secret = 'pAsTeD-cl13nt-s3cr3t';
    for (const argv of [
      ['user', 'disable', secret],
      ['user', 'disable', 'a@b.c', secret, '--json'],
      [`--client-secret=${secret}`, 'org', 'show'],
      ['org', 'show', secret, '--json'],
    ]) {
      const io = capture();
      assert.equal(await runCli(argv, io, noRuntime), EXIT_USAGE, argv.join(' '));
      assert.ok(!`${io.text()}${io.errors()}`.includes(secret), argv.join(' '));
      assert.ok(io.errors().length > USAGE.length, 'says what was wrong');
    }
  });

  it('usage errors exit 2 with the message and the usage text, before any configuration or network', async () => {
    for (const argv of [['frob'], ['user', 'disable'], ['user', 'status', '--full'], ['--nope']]) {
      const io = capture();
      assert.equal(await runCli(argv, io, noRuntime), EXIT_USAGE, argv.join(' '));
      assert.ok(io.errors().endsWith(USAGE), 'the usage text follows the message');
      assert.equal(io.text(), '');
    }
    const json = capture();
    assert.equal(await runCli(['user', 'disable', '--json'], json, noRuntime), EXIT_USAGE);
    assert.deepEqual(JSON.parse(json.text()), {
      error: { code: 'usage', message: '"user disable" needs <email>.' },
    });
  });

  it('help exits 0 with the usage on stdout', async () => {
    const io = capture();
    assert.equal(await runCli(['help'], io, noRuntime), EXIT_OK);
    assert.equal(io.text(), USAGE);
    for (const command of [
      'org setup',
      'org show',
      'user disable',
      'user status',
      'user preview',
      'user resync',
    ]) {
      assert.ok(USAGE.includes(command), command);
    }
  });

  it('loads --env-file, else .env in the project root when it exists; a missing --env-file is a usage error', async () => {
    const loaded: string[] = [];
    const envFile = join(dir, 'custom.env');
    writeFileSync(envFile, 'ORG_ID=from-file\n');
    const runtime = fakeRuntime({
      listStatuses: () => Promise.resolve([]),
      showOrg: () => Promise.resolve({ orgId: 'x', config: null, secrets: {}, syncedTypes: [] }),
    });
    const deps = (root: string): CliDeps => ({
      ...runtime.deps,
      projectRoot: root,
      loadEnvFile: (path) => loaded.push(path),
    });

    assert.equal(await runCli(['user', 'status', '--env-file', envFile], capture(), deps(dir)), EXIT_OK);
    assert.deepEqual(loaded, [envFile]);

    const root = mkdtempSync(join(dir, 'root-'));
    assert.equal(await runCli(['user', 'status'], capture(), deps(root)), EXIT_OK);
    assert.deepEqual(loaded, [envFile], 'no .env in that root: nothing loaded');
    writeFileSync(join(root, '.env'), 'LOG_LEVEL=info\n');
    assert.equal(await runCli(['user', 'status'], capture(), deps(root)), EXIT_OK);
    assert.deepEqual(loaded, [envFile, join(root, '.env')]);

    const io = capture();
    assert.equal(
      await runCli(['user', 'status', '--env-file', join(dir, 'nope.env')], io, noRuntime),
      EXIT_USAGE,
    );
    assert.match(io.errors(), /^The env file .*nope\.env does not exist\./);
  });

  it('a bad configuration exits 1 naming the variable, never its value', async () => {
    const io = capture({ SEVERA_RATE_PER_SECOND: '9999', SECRET_SOURCE: 'vault-xyz' });
    assert.equal(await runCli(['user', 'status'], io, noRuntime), EXIT_FAILED);
    assert.match(io.errors(), /SEVERA_RATE_PER_SECOND/);
    assert.match(io.errors(), /SECRET_SOURCE/);
    assert.ok(!io.errors().includes('9999') && !io.errors().includes('vault-xyz'), 'values are not echoed');
  });

  it('prints a status table for everyone and key: value lines for one person; --json gives the data', async () => {
    const { deps } = fakeRuntime({
      showOrg: () =>
        Promise.resolve({
          orgId: 'o',
          config: {
            enabled: true,
            serviceAccountEmail: 's@x',
            severaClientId: 'c',
            sync: {
              syncedActivityTypeGuids: [],
              activityTypes: [],
              conflictPolicy: 'latest-wins',
              deletionSafety: { maxCount: 1, maxShare: 1, shareFloor: 1 },
              pastDays: 30,
              futureDays: 365,
            },
            updatedAt: '2026-11-24T00:00:00Z',
          },
          secrets: {},
          syncedTypes: [],
        }),
      listStatuses: () =>
        Promise.resolve([
          view(),
          view({
            email: 'ben@demo.example',
            state: 'error',
            lastSuccessAt: null,
            message: 'Severa refused the API credential.',
            pendingRetries: 2,
            channelExpiresAt: null,
          }),
        ]),
      userStatus: (email) => Promise.resolve(view({ email, enabled: false, state: 'off' })),
    });
    const all = capture();
    assert.equal(await runCli(['user', 'status'], all, deps), EXIT_OK);
    assert.equal(
      all.text(),
      [
        'Organisation integration: on',
        '',
        'EMAIL              STATE    LAST SUCCESS          RETRIES  CHANNEL EXPIRES           LAST RECONCILE        MESSAGE',
        'aino@demo.example  healthy  2026-11-24T06:00:00Z  0        2026-11-30T06:00:00.000Z  2026-11-24T05:00:00Z  -',
        'ben@demo.example   error    -                     2        -                         2026-11-24T05:00:00Z  Severa refused the API credential.',
        '',
      ].join('\n'),
    );
    const one = capture();
    assert.equal(await runCli(['user', 'status', 'cecilia@demo.example'], one, deps), EXIT_OK);
    assert.match(one.text(), /^cecilia@demo\.example\n {2}State: {12}off \(sync is off\)\n/);
    const json = capture();
    assert.equal(await runCli(['user', 'status', 'cecilia@demo.example', '--json'], json, deps), EXIT_OK);
    assert.equal((JSON.parse(json.text()) as UserStatusView).state, 'off');
  });

  it('prints the preview counts the way the settings page will: N to create in Google / M in Severa / K matched', async () => {
    const { deps } = fakeRuntime({
      previewUser: () =>
        Promise.resolve({
          user: {
            severaUserGuid: 'g',
            email: 'aino@demo.example',
            timeZone: 'UTC',
            defaultActivityTypeGuid: null,
          },
          enabled: false,
          firstSync: true,
          preview: {
            createInGoogle: 2,
            createInSevera: 3,
            matched: 1,
            updateGoogle: 0,
            updateSevera: 0,
            deleteInGoogle: 0,
            deleteInSevera: 0,
            examples: {
              createInGoogle: ['Dentist', 'Workshop'],
              createInSevera: ['Lunch'],
              matched: ['Sprint planning'],
            },
            leftOut: { workingLocation: 4, birthday: 1 },
            held: null,
          },
          problems: [],
        }),
    });
    const io = capture();
    assert.equal(await runCli(['user', 'preview', 'aino@demo.example'], io, deps), EXIT_OK);
    assert.match(
      io.text(),
      /^Preview for aino@demo\.example \(the first sync; nothing has been written\):\n {2}2 to create in Google \/ 3 in Severa \/ 1 matched\n/,
    );
    assert.match(io.text(), /To create in Google: "Dentist", "Workshop"/);
    assert.match(io.text(), /Left out \(not calendar entries\): 4 working location, 1 birthday\n/);
    assert.match(
      io.text(),
      /\nOnly the person can switch their sync on: in the console, My calendar sync \(S2\)\.\n$/,
    );
  });

  it('decides a hold and says what the next sync does; the status shows the hold and a sync that fell behind', async () => {
    const { deps, calls } = fakeRuntime({
      decideHold: (email, decision) =>
        Promise.resolve({
          user: { severaUserGuid: 'g-1', email, timeZone: 'UTC', defaultActivityTypeGuid: null },
          decision,
          deletions: 250,
          requestId: 'r-1',
        }),
      userStatus: (email) =>
        Promise.resolve(
          view({
            email,
            state: 'held',
            hold: {
              reason: 'too-many-deletions',
              since: '2026-11-24T06:00:00Z',
              deletions: 250,
              decision: null,
              items: [{ title: 'Standup', date: '2026-11-24', from: 'google' }],
            },
            behindSince: '2026-11-24T05:00:00Z',
          }),
        ),
    });
    const io = capture();
    assert.equal(
      await runCli(['user', 'hold', 'reject', 'aino@demo.example', '--by', 'Maija'], io, deps),
      EXIT_OK,
    );
    assert.equal(
      io.text(),
      'Rejected 250 held deletions for aino@demo.example: the next sync restores the entries.\n' +
        'The decision is in the audit trail. A sync was requested now.\n',
    );
    assert.ok(calls.includes('decideHold ["aino@demo.example","reject","Maija"]'));
    const status = capture();
    assert.equal(await runCli(['user', 'status', 'aino@demo.example'], status, deps), EXIT_OK);
    assert.match(
      status.text(),
      /\n {2}Behind since: {5}2026-11-24T05:00:00Z \(no sync has finished since\)\n/,
    );
    // Each decision on a line of its own, so either command can be copied as it is.
    assert.ok(
      status
        .text()
        .includes(
          [
            '  Held deletions:   250 (too-many-deletions, since 2026-11-24T06:00:00Z); decide with one of:',
            '    apply them:     npm run cli -- user hold confirm aino@demo.example',
            '    restore them:   npm run cli -- user hold reject aino@demo.example',
            '',
          ].join('\n'),
        ),
      status.text(),
    );
  });

  it('refusals and failures exit 1 with their actionable words, and the runtime is always closed', async () => {
    const cases: { error: Error; expected: RegExp }[] = [
      {
        error: new SetupValidationError(
          [
            {
              check: 'p12',
              code: 'p12-unreadable',
              message: 'The .p12 key could not be opened with the password given.',
            },
            {
              check: 'activity-types',
              code: 'unknown-activity-type',
              message: 'Severa has no activity type "X".',
            },
          ],
          ['Domain-wide delegation: checked once the key opens.'],
        ),
        expected:
          /^The organisation settings were not saved: 2 problems found\.\n {2}- \[p12\] The \.p12 key could not be opened with the password given\.\n {2}- \[activity-types\] Severa has no activity type "X"\.\nNot checked yet:\n {2}- Domain-wide delegation/,
      },
      {
        error: new OperatorError('org-disabled', 'The integration is switched off.'),
        expected: /^The integration is switched off\.\n$/,
      },
      {
        error: new PermanentError(
          'missing-scope',
          'The Severa API credential lacks the API scope "users:read".',
        ),
        expected: /^The Severa API credential lacks the API scope "users:read"\.\n$/,
      },
      {
        error: new TransientError('Severa is unavailable (HTTP 503)'),
        expected:
          /^A service could not be reached or is busy \(Severa is unavailable \(HTTP 503\)\)\. Nothing was changed by this failure; try again in a minute\.\n$/,
      },
      {
        error: new TypeError('boom'),
        expected: /^Unexpected error \(TypeError: boom\)\. Run again with --debug for details\.\n$/,
      },
    ];
    for (const { error, expected } of cases) {
      const runtime = fakeRuntime({ disableUser: () => Promise.reject(error) });
      const io = capture();
      assert.equal(await runCli(['user', 'disable', 'a@b.c'], io, runtime.deps), EXIT_FAILED);
      assert.match(io.errors(), expected);
      assert.ok(!io.errors().includes('    at '), 'no stack trace');
      assert.equal(io.text(), '');
      assert.equal(runtime.closed(), 1, 'clients closed');
    }
  });

  it('--debug prints the stack of an unexpected error; --json prints failures as JSON on stdout', async () => {
    const runtime = fakeRuntime({ disableUser: () => Promise.reject(new TypeError('boom')) });
    const debug = capture();
    assert.equal(await runCli(['user', 'disable', 'a@b.c', '--debug'], debug, runtime.deps), EXIT_FAILED);
    assert.match(debug.errors(), /TypeError: boom\n {4}at /);

    const refused = fakeRuntime({
      disableUser: () =>
        Promise.reject(new OperatorError('user-not-found', 'No Severa user has the e-mail a@b.c.')),
    });
    const json = capture();
    assert.equal(await runCli(['user', 'disable', 'a@b.c', '--json'], json, refused.deps), EXIT_FAILED);
    assert.deepEqual(JSON.parse(json.text()), {
      error: { code: 'user-not-found', message: 'No Severa user has the e-mail a@b.c.' },
    });
    const invalid = fakeRuntime({
      setupOrg: () =>
        Promise.reject(
          new SetupValidationError(
            [{ check: 'google', code: 'delegation-denied', message: 'Not authorised.' }],
            [],
          ),
        ),
    });
    const p12 = join(dir, 'k.p12');
    writeFileSync(p12, 'not really a key');
    const setup = capture({ SEVERA_CLIENT_SECRET: 's', SEVERA_CLIENT_ID: 'c' });
    const args = [
      'org',
      'setup',
      '--service-account',
      's@x',
      '--p12',
      p12,
      '--types',
      'Meeting',
      '--test-user',
      'a@b',
      '--json',
    ];
    assert.equal(await runCli(args, setup, invalid.deps), EXIT_FAILED);
    assert.deepEqual(JSON.parse(setup.text()), {
      error: {
        code: 'setup-invalid',
        message: 'The organisation settings were not saved: 1 problem found.',
        problems: [{ check: 'google', code: 'delegation-denied', message: 'Not authorised.' }],
      },
    });
  });
});

describe('cli: org setup input (secrets from the environment or files, never flags)', () => {
  const args = (overrides: Partial<OrgSetupArgs> = {}): OrgSetupArgs => ({
    serviceAccountEmail: 'sa@p.iam.gserviceaccount.com',
    p12Path: join(dir, 'input.p12'),
    p12PasswordFile: null,
    severaClientId: null,
    severaClientSecretFile: null,
    types: ['Meeting'],
    testUser: 'aino@demo.example',
    enable: undefined,
    ...overrides,
  });
  const config = { severa: { apiUrl: 'http://x', clientId: 'env-client', ratePerSecond: 8 } };
  writeFileSync(join(dir, 'input.p12'), Buffer.from([1, 2, 3]));

  it('takes the secret and the password from the environment, the client id from the configuration', () => {
    const input: OrgSetupInput = setupInput(
      args(),
      { SEVERA_CLIENT_SECRET: 'env-secret', GOOGLE_P12_PASSWORD: 'env-pass' },
      config,
    );
    assert.equal(input.severaClientSecret, 'env-secret');
    assert.equal(input.p12Password, 'env-pass');
    assert.equal(input.severaClientId, 'env-client');
    assert.deepEqual([...input.p12], [1, 2, 3]);
    assert.equal('enable' in input, false, 'absent --enable/--disable keeps the current state');
    const noPassword = setupInput(
      args({ severaClientId: 'flag-client' }),
      { SEVERA_CLIENT_SECRET: 's' },
      config,
    );
    assert.equal(noPassword.p12Password, undefined, "Google's default password then");
    assert.equal(noPassword.severaClientId, 'flag-client');
  });

  it('files win over the environment; one trailing line break is dropped', () => {
    writeFileSync(join(dir, 'secret.txt'), 'file-secret\n');
    writeFileSync(join(dir, 'password.txt'), 'pass word \r\n');
    const input = setupInput(
      args({ severaClientSecretFile: join(dir, 'secret.txt'), p12PasswordFile: join(dir, 'password.txt') }),
      { SEVERA_CLIENT_SECRET: 'env-secret', GOOGLE_P12_PASSWORD: 'env-pass' },
      config,
    );
    assert.equal(input.severaClientSecret, 'file-secret');
    assert.equal(input.p12Password, 'pass word ');
  });

  it('missing inputs are usage errors that say how to give them', () => {
    assert.throws(
      () => setupInput(args(), {}, config),
      (e: unknown) =>
        e instanceof UsageError &&
        /set SEVERA_CLIENT_SECRET or pass --severa-client-secret-file <path>/.test(e.message),
    );
    assert.throws(
      () => setupInput(args({ p12Path: join(dir, 'missing.p12') }), { SEVERA_CLIENT_SECRET: 's' }, config),
      (e: unknown) =>
        e instanceof UsageError && /Cannot read the \.p12 key file .*missing\.p12 \(ENOENT\)/.test(e.message),
    );
    assert.throws(
      () => setupInput(args({ severaClientSecretFile: join(dir, 'nope.txt') }), {}, config),
      (e: unknown) =>
        e instanceof UsageError &&
        /Cannot read the Severa client secret from .*nope\.txt \(ENOENT\)/.test(e.message),
    );
    assert.throws(
      () => setupInput(args(), { SEVERA_CLIENT_SECRET: 's' }, { severa: { ...config.severa, clientId: '' } }),
      (e: unknown) =>
        e instanceof UsageError && /--severa-client-id <id> or set SEVERA_CLIENT_ID/.test(e.message),
    );
  });

  it('runCli: a missing client secret exits 2 without building the runtime', async () => {
    const io = capture();
    const argv = [
      'org',
      'setup',
      '--service-account',
      's@x',
      '--p12',
      join(dir, 'input.p12'),
      '--types',
      'Meeting',
      '--test-user',
      'a@b',
      '--severa-client-id',
      'c',
    ];
    assert.equal(await runCli(argv, io, noRuntime), EXIT_USAGE);
    assert.match(io.errors(), /^The Severa client secret is needed/);
  });
});

describe('cli: dead letters', () => {
  const letter = (id: string): DeadLetter => ({
    messageId: id,
    deadLetteredAt: '2026-11-24T07:31:00.000Z',
    firstPublishedAt: '2026-11-24T06:00:00.000Z',
    deliveryAttempts: 15,
    sourceSubscription: 'sync-requests-syncWorker',
    attributes: { user: 'g-1', reason: 'push', requestedAt: '2026-11-24T06:00:00Z', reconcile: 'false' },
    summary: 'sync request: user g-1, reason push, requested 2026-11-24T06:00:00Z',
  });

  /** A queue over a fixed list; records which topic it was opened for, the limits asked and whether it was closed. */
  function fakeQueue(
    messages: readonly DeadLetter[],
    stoppedBy: string | null = null,
  ): { deps: CliDeps; log: string[] } {
    const log: string[] = [];
    const deps: CliDeps = {
      projectRoot: dir,
      runtime: (): CliRuntime => ({
        operator: {} as Operator,
        deadLetters: (topic) => {
          log.push(`open ${topic}`);
          const names = {
            topic,
            deadLetterTopic: `${topic}-dead-letter`,
            subscription: `${topic}-dead-letter`,
          };
          const queue: DeadLetterQueue = {
            list: (limit): Promise<DeadLetterListing> => {
              log.push(`list ${limit}`);
              return Promise.resolve({
                ...names,
                messages: messages.slice(0, limit),
                limited: messages.length >= limit,
              });
            },
            replay: (limit): Promise<DeadLetterReplay> => {
              log.push(`replay ${limit}`);
              return Promise.resolve({
                ...names,
                replayed: messages
                  .slice(0, limit)
                  .map((m) => ({ messageId: m.messageId, newMessageId: `new-${m.messageId}` })),
                stoppedBy,
              });
            },
            close: () => {
              log.push('close');
              return Promise.resolve();
            },
          };
          return Promise.resolve(queue);
        },
        close: () => {
          log.push('runtime closed');
          return Promise.resolve();
        },
      }),
    };
    return { deps, log };
  }

  it('lists the dead letters of the configured topic: ids, times, attempts, attributes and what each asks for', async () => {
    const { deps, log } = fakeQueue([letter('m-1'), letter('m-2')]);
    const io = capture({ SYNC_REQUESTS_TOPIC: 'sync-requests-local' });
    assert.equal(await runCli(['dead-letters', 'list'], io, deps), EXIT_OK);
    assert.deepEqual(log, ['open sync-requests-local', 'list 20', 'close', 'runtime closed']);
    assert.equal(
      io.text(),
      [
        '2 dead letters of "sync-requests-local" (subscription sync-requests-local-dead-letter); nothing was removed.',
        '  m-1  dead-lettered 2026-11-24T07:31:00.000Z after 15 deliveries to sync-requests-syncWorker; first published 2026-11-24T06:00:00.000Z',
        '      sync request: user g-1, reason push, requested 2026-11-24T06:00:00Z',
        '      attributes: reason=push, reconcile=false, requestedAt=2026-11-24T06:00:00Z, user=g-1',
        '  m-2  dead-lettered 2026-11-24T07:31:00.000Z after 15 deliveries to sync-requests-syncWorker; first published 2026-11-24T06:00:00.000Z',
        '      sync request: user g-1, reason push, requested 2026-11-24T06:00:00Z',
        '      attributes: reason=push, reconcile=false, requestedAt=2026-11-24T06:00:00Z, user=g-1',
        'Publish them again with: npm run cli -- dead-letters replay',
        '',
      ].join('\n'),
    );

    const limited = fakeQueue([letter('m-1'), letter('m-2')]);
    const few = capture();
    assert.equal(
      await runCli(['dead-letters', 'list', '--limit', '1', '--topic', 'sync-tick'], few, limited.deps),
      EXIT_OK,
    );
    assert.deepEqual(limited.log.slice(0, 2), ['open sync-tick', 'list 1']);
    assert.match(
      few.text(),
      /^1 dead letter of "sync-tick" .*\(the first 1; there may be more: --limit <n>\)/,
    );
    assert.match(
      few.text(),
      /\nPublish them again with: npm run cli -- dead-letters replay --topic sync-tick\n$/,
    );

    const none = capture();
    assert.equal(await runCli(['dead-letters', 'list', '--json'], none, fakeQueue([]).deps), EXIT_OK);
    assert.deepEqual(JSON.parse(none.text()), {
      topic: 'sync-requests',
      deadLetterTopic: 'sync-requests-dead-letter',
      subscription: 'sync-requests-dead-letter',
      messages: [],
      limited: false,
    });
  });

  it('replays up to --limit and prints each dead letter with its new message id', async () => {
    const { deps, log } = fakeQueue([letter('m-1'), letter('m-2'), letter('m-3')]);
    const io = capture();
    assert.equal(await runCli(['dead-letters', 'replay', '--limit', '2'], io, deps), EXIT_OK);
    assert.deepEqual(log, ['open sync-requests', 'replay 2', 'close', 'runtime closed']);
    assert.equal(
      io.text(),
      [
        'Replayed 2 dead letters to "sync-requests" and removed them from sync-requests-dead-letter (dead letter → new message id):',
        '  m-1 → new-m-1',
        '  m-2 → new-m-2',
        'Each copy is a new request with a new message id: the worker skips one whose person has synced since.',
        '',
      ].join('\n'),
    );
    const empty = capture();
    assert.equal(await runCli(['dead-letters', 'replay'], empty, fakeQueue([]).deps), EXIT_OK);
    assert.equal(
      empty.text(),
      'No dead letters of "sync-requests" to replay (subscription sync-requests-dead-letter).\n',
    );
  });

  it('a replay that stops early says what was done and exits 1', async () => {
    const { deps } = fakeQueue(
      [letter('m-1')],
      'Replaying to Pub/Sub topic "sync-requests" failed (UNAVAILABLE).',
    );
    const io = capture();
    assert.equal(await runCli(['dead-letters', 'replay'], io, deps), EXIT_FAILED);
    assert.match(io.text(), /^Replayed 1 dead letter to "sync-requests" and removed it from/);
    assert.match(
      io.text(),
      /\nStopped: Replaying to Pub\/Sub topic "sync-requests" failed \(UNAVAILABLE\)\. The dead letters not replayed are still there; run the command again\.\n$/,
    );
    const json = capture();
    assert.equal(await runCli(['dead-letters', 'replay', '--json'], json, deps), EXIT_FAILED);
    assert.equal((JSON.parse(json.text()) as DeadLetterReplay).replayed.length, 1);
  });

  it('a missing dead-letter subscription is a refusal in words, exit 1', async () => {
    const deps: CliDeps = {
      projectRoot: dir,
      runtime: () => ({
        operator: {} as Operator,
        deadLetters: () =>
          Promise.resolve({
            list: () =>
              Promise.reject(
                new PermanentError(
                  'configuration',
                  'The dead-letter subscription "x-dead-letter" does not exist.',
                ),
              ),
            replay: () => Promise.reject(new Error('unexpected')),
            close: () => Promise.resolve(),
          }),
        close: () => Promise.resolve(),
      }),
    };
    const io = capture();
    assert.equal(await runCli(['dead-letters', 'list', '--topic', 'x'], io, deps), EXIT_FAILED);
    assert.equal(io.errors(), 'The dead-letter subscription "x-dead-letter" does not exist.\n');
  });

  it('the usage lists both commands', () => {
    assert.ok(USAGE.includes('dead-letters list [--limit <n>]'));
    assert.ok(USAGE.includes('dead-letters replay [--limit <n>]'));
  });
});

/** A port on this machine where nothing listens (it was just free). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

describe('cli: hints that work when copied, and a stopped local stack (issue 11)', () => {
  it('puts --env-file into every printed npm run cli command, once, quoted for the shell when needed', () => {
    assert.equal(
      withEnvFile('See it with: npm run cli -- user status a@b.c', '.local/local-stack-local.env'),
      'See it with: npm run cli -- --env-file .local/local-stack-local.env user status a@b.c',
    );
    assert.equal(
      withEnvFile('(npm run cli -- org setup …) then npm run cli -- --env-file x.env org enable', 'y.env'),
      '(npm run cli -- --env-file y.env org setup …) then npm run cli -- --env-file x.env org enable',
    );
    assert.equal(withEnvFile('npm run cli -- org show', null), 'npm run cli -- org show');
    assert.equal(
      withEnvFile('npm run cli -- org show', "'$HOME'"),
      "npm run cli -- --env-file '$HOME' org show",
    );
    assert.equal(shellWord('.local/local-stack-local.env'), '.local/local-stack-local.env');
    assert.equal(shellWord("my env/it's.env"), "'my env/it'\\''s.env'");
    assert.equal(pathForHint('/p/.local/local-stack-local.env', '/p'), '.local/local-stack-local.env');
    assert.equal(pathForHint('.local/x.env', '/p', '/p'), '.local/x.env');
    assert.equal(pathForHint('../elsewhere.env', '/p', '/p'), '/elsewhere.env');
    assert.equal(pathForHint('/tmp/a b.env', '/p'), "'/tmp/a b.env'");
  });

  it('says the commands again with what was checked, never an option value that may be mistyped', () => {
    assert.equal(commandLine({ kind: 'user status', email: null }), 'user status');
    assert.equal(commandLine({ kind: 'user preview', email: 'a@b.c' }), 'user preview a@b.c');
    assert.equal(
      commandLine({ kind: 'user resync', email: 'a@b.c', full: true }),
      'user resync a@b.c --full',
    );
    assert.equal(
      commandLine({ kind: 'user hold', decision: 'reject', email: 'a@b.c', by: 'Maija M' }),
      "user hold reject a@b.c --by 'Maija M'",
    );
    assert.equal(
      commandLine({ kind: 'dead-letters replay', limit: 5, topic: 't' }),
      'dead-letters replay --limit 5 --topic t',
    );
    const setup = parseCli([
      'org',
      'setup',
      '--service-account',
      's@x',
      '--p12',
      'k.p12',
      '--types',
      'Meeting',
      '--test-user',
      'a@b.c',
    ]).command;
    assert.ok(setup.kind === 'org setup');
    assert.equal(commandLine(setup), 'org setup …');
  });

  it("a run with --env-file prints every hint with it, its own and the operator's; JSON stays as it is", async () => {
    const envFile = join(dir, 'hints.env');
    writeFileSync(envFile, '');
    const { deps } = fakeRuntime({
      previewUser: () =>
        Promise.resolve({
          user: {
            severaUserGuid: 'g',
            email: 'cecilia@demo.example',
            timeZone: 'UTC',
            defaultActivityTypeGuid: null,
          },
          enabled: false,
          firstSync: true,
          preview: {
            createInGoogle: 0,
            createInSevera: 0,
            matched: 0,
            updateGoogle: 0,
            updateSevera: 0,
            deleteInGoogle: 0,
            deleteInSevera: 0,
            examples: { createInGoogle: [], createInSevera: [], matched: [] },
            leftOut: {},
            held: null,
          },
          problems: [],
        }),
      resync: () =>
        Promise.reject(
          new OperatorError(
            'user-not-enabled',
            'The integration is switched off for the organisation, so nobody can switch their sync on: an administrator switches it on first (npm run cli -- org enable).',
          ),
        ),
    });
    const withFile: CliDeps = { ...deps, loadEnvFile: () => undefined };
    const preview = capture();
    assert.equal(
      await runCli(['--env-file', envFile, 'user', 'preview', 'cecilia@demo.example'], preview, withFile),
      EXIT_OK,
    );
    assert.match(
      preview.text(),
      /\nOnly the person can switch their sync on: in the console, My calendar sync \(S2\)\.\n$/,
    );
    const refused = capture();
    assert.equal(
      await runCli(['user', 'resync', 'ben@demo.example', '--env-file', envFile], refused, withFile),
      EXIT_FAILED,
    );
    assert.match(refused.errors(), /\(npm run cli -- --env-file hints\.env org enable\)\.\n$/);
    const json = capture();
    assert.equal(
      await runCli(['user', 'resync', 'ben@demo.example', '--env-file', envFile, '--json'], json, withFile),
      EXIT_FAILED,
    );
    assert.match(json.text(), /\(npm run cli -- org enable\)/);
    const plain = capture();
    assert.equal(await runCli(['user', 'preview', 'cecilia@demo.example'], plain, deps), EXIT_OK);
    assert.match(
      plain.text(),
      /\nOnly the person can switch their sync on: in the console, My calendar sync \(S2\)\.\n$/,
    );
  });

  it("without --env-file and without a configuration, names the local stack's env file in one sentence", async () => {
    const root = mkdtempSync(join(dir, 'stack-root-'));
    const bare = () => {
      const io = capture();
      delete io.env.SECRET_SOURCE;
      return io;
    };
    const none = bare();
    const noneDeps: CliDeps = { ...noRuntime, projectRoot: root };
    assert.equal(await runCli(['user', 'status'], none, noneDeps), EXIT_FAILED);
    assert.equal(
      none.errors(),
      'The configuration is missing (GOOGLE_CLOUD_PROJECT: required to read secrets from Secret Manager): ' +
        'pass --env-file <path> or write .env in the project root (.env.example lists it), or start the local ' +
        'stack with npm start, which writes .local/local-stack-local.env.\n',
    );

    mkdirSync(join(root, '.local'));
    writeFileSync(join(root, '.local', 'local-stack-local.env'), 'ORG_ID=demo-local\n');
    const io = bare();
    assert.equal(await runCli(['user', 'preview', 'cecilia@demo.example'], io, noneDeps), EXIT_FAILED);
    assert.equal(
      io.errors(),
      'The configuration is missing (GOOGLE_CLOUD_PROJECT: required to read secrets from Secret Manager); for the ' +
        'local stack pass its env file: npm run cli -- --env-file .local/local-stack-local.env user preview ' +
        'cecilia@demo.example\n',
    );
    assert.equal(io.text(), '');
    const json = bare();
    assert.equal(await runCli(['user', 'status', '--json'], json, noneDeps), EXIT_FAILED);
    const { error } = JSON.parse(json.text()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'configuration');
    assert.match(error.message, /--env-file \.local\/local-stack-local\.env user status$/);

    // The newest stack's file when both a local and a real stack ran here.
    writeFileSync(join(root, '.local', 'local-stack-real.env'), 'ORG_ID=x\n');
    utimesSync(join(root, '.local', 'local-stack-local.env'), new Date(2026, 0, 1), new Date(2026, 0, 1));
    assert.equal(localStackEnvFile(root), join(root, '.local', 'local-stack-real.env'));
    assert.equal(startCommand(localStackEnvFile(root)), 'npm start -- --real');
    assert.equal(startCommand(null), 'npm start');
  });

  it('finds what of the local stack a command uses: the emulators, and the simulators on this machine only', () => {
    assert.deepEqual(
      localStackAddresses(
        { FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086', PUBSUB_EMULATOR_HOST: '[::1]:8085' },
        {
          'the Severa simulator': 'http://127.0.0.1:8701',
          'the Google Calendar simulator': 'http://localhost:8702/',
          'the functions': null,
          'the real API': 'https://api.severa.visma.com/rest-api',
          'the same port again': 'http://127.0.0.1:8086',
        },
      ),
      [
        { what: 'the Firestore emulator', host: '127.0.0.1', port: 8086 },
        { what: 'the Pub/Sub emulator', host: '::1', port: 8085 },
        { what: 'the Severa simulator', host: '127.0.0.1', port: 8701 },
        { what: 'the Google Calendar simulator', host: 'localhost', port: 8702 },
      ],
    );
    assert.deepEqual(
      localStackAddresses({ FIRESTORE_EMULATOR_HOST: '' }, { x: 'https://www.googleapis.com/' }),
      [],
    );
    assert.equal(
      stackDownMessage({ what: 'the Pub/Sub emulator', host: '::1', port: 8085 }, 'npm start'),
      'The local stack is not running (nothing answers at [::1]:8085, the Pub/Sub emulator): start it with npm start.',
    );
  });

  it('a TCP probe: a closed port answers no at once, a listening one yes', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    try {
      const open = { what: 'x', host: '127.0.0.1', port: (server.address() as AddressInfo).port };
      const closed = { what: 'y', host: '127.0.0.1', port: await closedPort() };
      const started = Date.now();
      assert.equal(await answers(closed), false);
      assert.ok(Date.now() - started < 1_000, 'refused at once');
      assert.equal(await answers(open), true);
      assert.deepEqual(await firstSilent([open, closed]), closed);
      assert.equal(await firstSilent([open]), null);
    } finally {
      server.close();
    }
  });

  it('a stopped local stack is said at once, in one sentence, before any client is built', async () => {
    const port = await closedPort();
    const env = {
      GOOGLE_CLOUD_PROJECT: 'demo-severa-sync',
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${String(port)}`,
      SEVERA_API_URL: 'https://api.severa.visma.com/rest-api',
    };
    const started = Date.now();
    const io = capture(env);
    assert.equal(await runCli(['user', 'status'], io, noRuntime), EXIT_FAILED);
    assert.ok(Date.now() - started < 2_000, 'within the probe time');
    assert.equal(
      io.errors(),
      `The local stack is not running (nothing answers at 127.0.0.1:${String(port)}, the Firestore emulator): start it with npm start.\n`,
    );
    const json = capture(env);
    assert.equal(await runCli(['user', 'status', '--json'], json, noRuntime), EXIT_FAILED);
    assert.equal((JSON.parse(json.text()) as { error: { code: string } }).error.code, 'stack-not-running');

    // When everything answers, the command runs.
    const { deps } = fakeRuntime({
      listStatuses: () => Promise.resolve([]),
      showOrg: () => Promise.resolve({ orgId: 'x', config: null, secrets: {}, syncedTypes: [] }),
    });
    const probed: string[] = [];
    const up: CliDeps = {
      ...deps,
      probe: (address) => {
        probed.push(`${address.host}:${String(address.port)}`);
        return Promise.resolve(true);
      },
    };
    assert.equal(await runCli(['user', 'status'], capture(env), up), EXIT_OK);
    assert.deepEqual(probed, [`127.0.0.1:${String(port)}`], 'the remote Severa API is not probed');
  });
});
