/**
 * `npm run infra:check` on the real infra/ (every check passes or says why it was skipped), and on copies of it
 * with one mistake planted each: every check must catch its own kind of mistake, naming where it is.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { runInfraCheck, type CheckOutcome } from '../../scripts/infra/check.js';
import { satisfies } from '../../scripts/infra/schema-check.js';
import { terraformBinary } from '../../scripts/infra/terraform-cli.js';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const infra = path.join(repoRoot, 'infra');
const copies: string[] = [];

after(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

type Plant =
  | { readonly file: string; readonly from: string; readonly to: string }
  | { readonly file: string; readonly append: string };

/** A copy of infra/ with each replacement made; each `from` must occur exactly once, so nothing is missed. */
function plantedCopy(...plants: Plant[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-planted-'));
  copies.push(dir);
  cpSync(infra, dir, { recursive: true });
  for (const plant of plants) {
    const full = path.join(dir, plant.file);
    const text = readFileSync(full, 'utf8');
    if ('append' in plant) {
      writeFileSync(full, `${text}\n${plant.append}\n`);
      continue;
    }
    const { file, from, to } = plant;
    assert.equal(
      text.split(from).length - 1,
      1,
      `${file} should contain ${JSON.stringify(from)} exactly once`,
    );
    writeFileSync(full, text.replace(from, to));
  }
  return dir;
}

const appended = (file: string, append: string): Plant => ({ file, append });

async function check(dir: string, terraform = false): Promise<CheckOutcome[]> {
  return runInfraCheck({ repoRoot, infraDir: dir, terraform });
}

/** The problems of the checks whose name starts with `name`. */
function problemsOf(outcomes: readonly CheckOutcome[], name: string): string[] {
  const matching = outcomes.filter((o) => o.name.startsWith(name));
  assert.ok(matching.length > 0, `no check named ${name}: ${outcomes.map((o) => o.name).join(', ')}`);
  return matching.flatMap((o) => o.problems);
}

async function assertCaught(plants: Plant[], checkName: string, ...expected: RegExp[]): Promise<void> {
  const outcomes = await check(plantedCopy(...plants));
  const problems = problemsOf(outcomes, checkName);
  assert.ok(problems.length > 0, `${checkName} passed on a planted mistake`);
  for (const pattern of expected) {
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `${checkName}: no problem matches ${String(pattern)}; got:\n${problems.join('\n')}`,
    );
  }
}

const MAIN = 'main.tf';
const QUEUE = 'modules/pubsub-queue/main.tf';

describe('infra:check on infra/', () => {
  it('passes every check, or says why one was skipped', async () => {
    const outcomes = await check(infra, true);
    const failed = outcomes.filter((o) => o.problems.length > 0);
    assert.deepEqual(failed, [], JSON.stringify(failed, null, 2));
    const skipped = outcomes.filter((o) => o.skipped !== undefined).map((o) => o.skipped ?? '');
    for (const reason of skipped) assert.match(reason, /^terraform (fmt|validate): /);
    // The checks that need no binary always run.
    for (const name of ['HCL parse', 'provider schema', 'provider pinned', 'policy: ']) {
      assert.ok(
        outcomes.some((o) => o.name.startsWith(name) && o.skipped === undefined),
        name,
      );
    }
  });
});

describe('infra:check catches a planted mistake', () => {
  it('a misspelt argument', async () => {
    await assertCaught(
      [
        {
          file: QUEUE,
          from: '  ack_deadline_seconds       = var.ack_deadline_seconds',
          to: '  ack_deadline_second        = var.ack_deadline_seconds',
        },
      ],
      'provider schema',
      /modules\/pubsub-queue\/main\.tf: google_pubsub_subscription\.push: unknown argument or block "ack_deadline_second"/,
    );
  });

  it('a misspelt argument inside a nested block', async () => {
    await assertCaught(
      [{ file: QUEUE, from: '    minimum_backoff =', to: '    minimum_backof =' }],
      'provider schema',
      /google_pubsub_subscription\.push: unknown argument or block "minimum_backof" in retry_policy/,
    );
  });

  it('a misspelt nested block', async () => {
    await assertCaught(
      [{ file: QUEUE, from: '  retry_policy {', to: '  retry_polcy {' }],
      'provider schema',
      /google_pubsub_subscription\.push: unknown argument or block "retry_polcy"/,
    );
  });

  it('a misspelt argument in a dynamic block', async () => {
    await assertCaught(
      [
        {
          file: 'modules/firestore/main.tf',
          from: '      field_path = fields.value.field_path',
          to: '      field_pth  = fields.value.field_path',
        },
      ],
      'provider schema',
      /google_firestore_index\.this: unknown argument or block "field_pth" in fields/,
    );
  });

  it('an unknown resource type', async () => {
    await assertCaught(
      [appended(MAIN, 'resource "google_pubsub_topik" "extra" {\n  name = "extra"\n}')],
      'provider schema',
      /main\.tf: google_pubsub_topik\.extra: no resource type "google_pubsub_topik" in the google provider 6\./,
    );
  });

  it('HCL that does not parse', async () => {
    await assertCaught(
      [{ file: 'modules/scheduler/main.tf', from: '  schedule    = var.schedule', to: '  schedule    = ' }],
      'HCL parse',
      /modules\/scheduler\/main\.tf: not valid HCL/,
    );
  });

  it('a provider not pinned to one major', async () => {
    await assertCaught(
      [{ file: 'versions.tf', from: '">= 6.50.0, < 7.0.0"', to: '">= 6.50.0"' }],
      'provider pinned',
      /versions\.tf: google ">= 6\.50\.0" is not pinned to major 6 alone/,
    );
  });

  it('a Pub/Sub-fed function made public', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '      max_instances      = 3\n      concurrency        = 4\n      ingress            = "ALLOW_INTERNAL_ONLY"\n      invokers           = { pubsub_push = "serviceAccount:${google_service_account.push.email}" }',
          to: '      max_instances      = 3\n      concurrency        = 4\n      ingress            = "ALLOW_INTERNAL_ONLY"\n      invokers           = { public = "allUsers" }',
        },
      ],
      'policy: who may invoke',
      /module\.functions\["syncWorker"\]\.google_cloud_run_v2_service_iam_member\.invoker\["public"\]: allUsers is given roles\/run\.invoker/,
    );
  });

  it('a Pub/Sub-fed function open to the internet', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '      max_instances      = 1\n      concurrency        = 1\n      ingress            = "ALLOW_INTERNAL_ONLY"',
          to: '      max_instances      = 1\n      concurrency        = 1\n      ingress            = "ALLOW_ALL"',
        },
      ],
      'policy: who may invoke',
      /syncTick is fed only by Pub\/Sub: ingress ALLOW_INTERNAL_ONLY, not ALLOW_ALL/,
    );
  });

  it('two functions with one service account', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '      service_account_id = "calendar-sync-fn-tick"',
          to: '      service_account_id = "calendar-sync-fn-worker"',
        },
      ],
      'policy: one service account per function',
      /service account "calendar-sync-fn-worker" is made more than once/,
    );
  });

  it('a function that runs as an account made elsewhere', async () => {
    await assertCaught(
      [
        {
          file: 'modules/function/main.tf',
          from: '    service_account_email            = google_service_account.this.email',
          to: '    service_account_email            = "shared@example.iam.gserviceaccount.com"',
        },
      ],
      'policy: one service account per function',
      /service_account_email must be the e-mail of a google_service_account made beside it/,
    );
  });

  it('a project-wide role for a function', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '      invokers           = { public = "allUsers" }\n      project_roles      = { firestore = "roles/datastore.user" }\n      publish_topics     = { "sync-requests" = module.sync_requests.topic_id }\n      secrets_read       = {}',
          to: '      invokers           = { public = "allUsers" }\n      project_roles      = { firestore = "roles/datastore.user", reader = "roles/secretmanager.secretAccessor" }\n      publish_topics     = { "sync-requests" = module.sync_requests.topic_id }\n      secrets_read       = {}',
        },
      ],
      'policy: project-level roles',
      /roles\/secretmanager\.secretAccessor on the whole project/,
    );
  });

  it("a project role for an account that is not a function's", async () => {
    await assertCaught(
      [
        appended(
          MAIN,
          'resource "google_project_iam_member" "planted" {\n  project = var.project_id\n  role    = "roles/datastore.user"\n  member  = "serviceAccount:${google_service_account.push.email}"\n}',
        ),
      ],
      'policy: project-level roles',
      /google_project_iam_member\.planted: serviceAccount:\$\{google_service_account\.push\.email\} gets roles\/datastore\.user on the project/,
    );
  });

  it("the scheduler's agent publishing to another topic", async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '  topic_id                = module.sync_tick.topic_id',
          to: '  topic_id                = module.sync_requests.topic_id',
        },
        {
          file: 'modules/scheduler/main.tf',
          from: '    topic_name = var.topic_id',
          to: '    topic_name = "projects/p/topics/sync-tick"',
        },
      ],
      "policy: the scheduler's agent",
      /Cloud Scheduler's agent gets roles\/pubsub\.publisher on \$\{module\.sync_requests\.topic_id\}; it may only publish to the tick topic/,
    );
  });

  it('a secret a function never reads', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '      secrets_read       = {}',
          to: '      secrets_read       = { "google-sa-p12" = local.secret_ids["google-sa-p12"] }',
        },
      ],
      'policy: secrets',
      /calendarPush has roles\/secretmanager\.secretAccessor on google-sa-p12, which its code never uses/,
    );
  });

  it('a secret a function reads but may not', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '      secrets_read = {\n        "severa-webhook-secret"  = local.secret_ids["severa-webhook-secret"]\n        "severa-client-secret"   = local.secret_ids["severa-client-secret"]',
          to: '      secrets_read = {\n        "severa-client-secret"   = local.secret_ids["severa-client-secret"]',
        },
      ],
      'policy: secrets',
      /severaWebhook uses secret severa-webhook-secret but has no roles\/secretmanager\.secretAccessor on it/,
    );
  });

  it('a secret value in a secret version', async () => {
    await assertCaught(
      [
        appended(
          'modules/secrets/main.tf',
          'resource "google_secret_manager_secret_version" "planted" {\n  secret      = google_secret_manager_secret.this["google-sa-p12"].id\n  secret_data = "c2VjcmV0"\n}',
        ),
      ],
      'policy: no secret value',
      /google_secret_manager_secret_version puts a secret value in Terraform's state/,
    );
  });

  it('a variable that carries a secret, or defaults to something key-like', async () => {
    await assertCaught(
      [
        appended(
          'variables.tf',
          'variable "severa_client_secret" {\n  type        = string\n  description = "planted"\n}',
        ),
        appended(
          'modules/function/variables.tf',
          'variable "api_key" {\n  type        = string\n  description = "planted"\n  default     = "AIzaSyD-0123456789abcdefghijklmnopqrstu"\n}',
        ),
      ],
      'policy: no secret value',
      /variables\.tf: variable "severa_client_secret" would carry a secret/,
      /modules\/function\/variables\.tf: variable "api_key": holds what looks like a Google API key/,
    );
  });

  it('a topic without a dead letter', async () => {
    await assertCaught(
      [
        {
          file: QUEUE,
          from: '  dead_letter_policy {\n    dead_letter_topic     = google_pubsub_topic.dead_letter.id\n    max_delivery_attempts = var.delivery_policy.max_delivery_attempts\n  }\n',
          to: '',
        },
      ],
      'policy: every topic has a dead letter',
      /module\.sync_requests\.google_pubsub_subscription\.push: subscription to sync-requests has no dead_letter_policy/,
    );
  });

  it('delivery numbers that differ from DELIVERY_POLICY', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '    max_delivery_attempts            = 15',
          to: '    max_delivery_attempts            = 10',
        },
        {
          file: MAIN,
          from: '    minimum_backoff_seconds          = 10',
          to: '    minimum_backoff_seconds          = 5',
        },
        {
          file: MAIN,
          from: '    dead_letter_ack_deadline_seconds = 60',
          to: '    dead_letter_ack_deadline_seconds = 30',
        },
      ],
      'policy: every topic has a dead letter',
      /max_delivery_attempts 10, DELIVERY_POLICY says 15/,
      /retry_policy\.minimum_backoff 5s, DELIVERY_POLICY says 10s/,
      /google_pubsub_subscription\.dead_letter: ack_deadline_seconds 30, DELIVERY_POLICY says 60/,
    );
  });

  it('a dead-letter topic named otherwise than DEAD_LETTER_SUFFIX says', async () => {
    await assertCaught(
      [{ file: MAIN, from: '  dead_letter_suffix = "-dead-letter"', to: '  dead_letter_suffix = "-dlq"' }],
      'policy: every topic has a dead letter',
      /topic sync-requests-dlq has no subscription|dead letters go to sync-requests-dlq/,
    );
  });

  it('environment variables the code does not read, local-only ones, and a missing one', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '        LEASE_TTL_MS                    = local.intervals.lease_ttl_ms',
          to: '        LEASE_TTL_MS                    = local.intervals.lease_ttl_ms\n        LEASE_TIME_MS                   = "1"\n        CONSOLE_DEMO_SIGN_IN            = "true"',
        },
        { file: MAIN, from: '        PUSH_AUTH_AUDIENCE              = local.run_url.syncTick\n', to: '' },
      ],
      'policy: environment variables',
      /syncWorker"\]\.google_cloudfunctions2_function\.this: LEASE_TIME_MS is set but shared\/config\.ts never reads it/,
      /CONSOLE_DEMO_SIGN_IN is for the local stack only/,
      /syncTick needs PUSH_AUTH_AUDIENCE set in production/,
    );
  });

  it('an entry point functions/index.ts does not register', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '  entry_point                      = each.key',
          to: '  entry_point                      = "${each.key}Fn"',
        },
      ],
      'policy: entry points',
      /entry_point "syncWorkerFn" is not registered with functions\.http\(\) in functions\/index\.ts/,
      /functions\/index\.ts registers "console": deployed 0 times, not once/,
    );
  });

  it('another runtime', async () => {
    await assertCaught(
      [
        {
          file: MAIN,
          from: '  runtime                          = "nodejs22"',
          to: '  runtime                          = "nodejs20"',
        },
      ],
      'policy: entry points',
      /runtime "nodejs20", not nodejs22/,
    );
  });

  it('more Severa traffic than the budget', async () => {
    await assertCaught(
      [{ file: MAIN, from: '      max_instances      = 3', to: '      max_instances      = 5' }],
      'policy: sizes',
      /syncWorker 5 × 1\.5 = 11, over the budget of 8/,
    );
  });

  it('a worker timeout at the lease, and an ack deadline under a timeout', async () => {
    await assertCaught(
      [
        { file: MAIN, from: '      timeout_seconds    = 540', to: '      timeout_seconds    = 600' },
        { file: MAIN, from: '  ack_deadline_seconds = 300', to: '  ack_deadline_seconds = 120' },
      ],
      'policy: sizes',
      /timeout 600 s must be under LEASE_TTL_MS \(600000 ms\)/,
    );
    await assertCaught(
      [{ file: MAIN, from: '  ack_deadline_seconds = 300', to: '  ack_deadline_seconds = 120' }],
      'policy: every topic has a dead letter',
      /ack deadline 120 s is shorter than syncTick's timeout 240 s/,
    );
  });

  it('a source archive not named by its hash', async () => {
    await assertCaught(
      [
        {
          file: 'modules/function-build/main.tf',
          from: '"function-source-${filesha256(var.source_archive_path)}.zip"',
          to: '"function-source.zip"',
        },
      ],
      'policy: source archive',
      /the object's name must be derived from filesha256\(\) or filemd5\(\) of its source/,
    );
  });

  it('a variable without a description', async () => {
    await assertCaught(
      [{ file: 'modules/scheduler/variables.tf', from: '  description = "The job\'s name."\n', to: '' }],
      'policy: module layout',
      /modules\/scheduler\/variables\.tf: variable "name" has no description/,
    );
  });

  it('a file terraform fmt would change', async (t) => {
    if (terraformBinary() === null) {
      t.skip('no terraform binary');
      return;
    }
    const dir = plantedCopy({
      file: 'modules/secrets/main.tf',
      from: '  secret_id = each.value',
      to: '  secret_id =     each.value',
    });
    const problems = problemsOf(await check(dir, true), 'terraform fmt');
    assert.ok(
      problems.some((p) => p.includes('modules/secrets/main.tf')),
      problems.join('\n'),
    );
  });
});

describe('version constraints', () => {
  it('are read as Terraform reads them', () => {
    const cases: [string, string, boolean][] = [
      ['>= 6.50.0, < 7.0.0', '6.50.0', true],
      ['>= 6.50.0, < 7.0.0', '7.0.0', false],
      ['>= 6.50.0, < 7.0.0', '6.49.9', false],
      ['~> 6.50', '6.99.0', true],
      ['~> 6.50', '7.0.0', false],
      ['~> 6.50.1', '6.51.0', false],
      ['~> 6.50.1', '6.50.7', true],
      ['6.50.0', '6.50.0', true],
      ['!= 6.50.0', '6.50.0', false],
    ];
    for (const [constraint, version, expected] of cases) {
      assert.equal(satisfies(constraint, version), expected, `${constraint} ∋ ${version}`);
    }
  });
});
