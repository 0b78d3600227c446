/**
 * The deployment's rules, checked on the parsed configuration (hcl.ts) against what the code says (code-facts.ts):
 * least privilege, who may call what, no secret value, dead letters and the delivery policy, the environment the
 * functions get, their entry points, runtime and sizes. Each rule returns its problems; none is a pass.
 *
 * What each function uses was read from the code (functions/index.ts, shared/app/container.ts, operator.ts):
 * FUNCTION_NEEDS below says it once, with where it comes from, and the checks hold the Terraform to it both ways
 * (nothing missing, nothing more).
 */
import {
  isObject,
  isUnresolved,
  moduleInstances,
  nested,
  resolve,
  type Body,
  type InfraConfig,
  type ModuleDir,
  type ResourceBlock,
  type Scope,
} from './hcl.js';
import type { CodeFacts } from './code-facts.js';

interface Needs {
  /** Public (allUsers may invoke): the function authenticates its callers itself. */
  readonly public: boolean;
  /** Fed by an authenticated Pub/Sub push: only the push service account may invoke it. */
  readonly pushed: boolean;
  /** Calls Severa, so it paces itself with SEVERA_RATE_PER_SECOND. */
  readonly callsSevera: boolean;
  readonly publishes: readonly string[];
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  /** May create secrets (SecretManagerSource.putSecret calls createSecret first). */
  readonly createsSecrets: boolean;
  /** Variables production needs set (the others keep config.ts's defaults, which are production's). */
  readonly env: readonly string[];
}

const SYNC_SECRETS = ['severa-client-secret', 'google-sa-p12', 'google-sa-p12-password'] as const;
const ALL_SECRETS = [...SYNC_SECRETS, 'severa-webhook-secret'] as const;
const BASE_ENV = ['ORG_ID', 'GOOGLE_CLOUD_PROJECT', 'SECRET_SOURCE'] as const;
const SEVERA_ENV = ['SEVERA_API_URL', 'SEVERA_CLIENT_ID', 'SEVERA_RATE_PER_SECOND'] as const;
const PUSH_AUTH_ENV = [
  'PUSH_AUTH_AUDIENCE',
  'PUSH_AUTH_SERVICE_ACCOUNT',
  // The functions are private: Cloud Run checks the token's signature and removes it (pubsub.push-auth.ts).
  'PUSH_AUTH_VERIFIED_BY_CLOUD_RUN',
] as const;

export const FUNCTION_NEEDS: Readonly<Record<string, Needs>> = {
  // handleCalendarPush: the user directory and the publisher; no API client, no secret.
  calendarPush: {
    public: true,
    pushed: false,
    callsSevera: false,
    publishes: ['sync-requests'],
    reads: [],
    writes: [],
    createsSecrets: false,
    env: [...BASE_ENV, 'SYNC_REQUESTS_TOPIC'],
  },
  // handleSeveraWebhook: the webhook secret, and pollAndRoute on tickDeps() (Severa and Google clients).
  severaWebhook: {
    public: true,
    pushed: false,
    callsSevera: true,
    publishes: ['sync-requests'],
    reads: [...ALL_SECRETS],
    writes: [],
    createsSecrets: false,
    env: [...BASE_ENV, 'SYNC_REQUESTS_TOPIC', ...SEVERA_ENV],
  },
  // runTickCycle on tickDeps(): polls, publishes requests, renews push channels at PUSH_ADDRESS.
  syncTick: {
    public: false,
    pushed: true,
    callsSevera: true,
    publishes: ['sync-requests'],
    reads: [...SYNC_SECRETS],
    writes: [],
    createsSecrets: false,
    env: [...BASE_ENV, 'SYNC_REQUESTS_TOPIC', ...SEVERA_ENV, ...PUSH_AUTH_ENV, 'PUSH_ADDRESS'],
  },
  // handleSyncRequest on workerDeps(): Severa and Google clients, leases; it publishes nothing.
  syncWorker: {
    public: false,
    pushed: true,
    callsSevera: true,
    publishes: [],
    reads: [...SYNC_SECRETS],
    writes: [],
    createsSecrets: false,
    env: [...BASE_ENV, ...SEVERA_ENV, ...PUSH_AUTH_ENV, 'LEASE_TTL_MS'],
  },
  // The operator: org setup saves all four secrets, opt-in opens a channel, resyncs publish requests.
  console: {
    public: true,
    pushed: false,
    callsSevera: true,
    publishes: ['sync-requests'],
    reads: [...ALL_SECRETS],
    writes: [...ALL_SECRETS],
    createsSecrets: true,
    env: [
      ...BASE_ENV,
      'SYNC_REQUESTS_TOPIC',
      ...SEVERA_ENV,
      'PUSH_ADDRESS',
      'CONSOLE_CLIENT_ID',
      'WORKSPACE_DOMAIN',
      'CONSOLE_ADMINS',
    ],
  },
};

/** Read by config.ts but only for the local stack (simulators, stand-ins, demo sign-in): never set in production. */
export const LOCAL_ONLY_VARIABLES = [
  'SECRETS_FILE',
  'GOOGLE_API_ROOT_URL',
  'GOOGLE_TOKEN_URL',
  'PUSH_AUTH_CERTS_URL',
  'PUSH_AUTH_ISSUERS',
  'CONSOLE_CERTS_URL',
  'CONSOLE_ISSUERS',
  'CONSOLE_AUTHORIZE_URL',
  'CONSOLE_DEMO_SIGN_IN',
  'CONSOLE_DEMO_PEOPLE',
  'GCLOUD_PROJECT',
] as const;

/** Severa allows 10 requests per second per organisation; the functions keep 2 in reserve (config.ts: 8 / N). */
export const SEVERA_BUDGET_PER_SECOND = 8;
export const RUNTIME = 'nodejs22';

// ---------------------------------------------------------------------------------------------------------------
// The configuration seen as deployed instances

interface Instance {
  readonly address: string;
  readonly file: string;
  readonly resource: ResourceBlock;
  readonly scope: Scope;
  readonly moduleScope: Scope;
  readonly module: ModuleDir;
}

/** Every instance of every resource: one per `for_each` key (with `each` set) or per count, else one. */
function resourceInstances(config: InfraConfig): Instance[] {
  const out: Instance[] = [];
  for (const { scope, module } of moduleInstances(config)) {
    for (const resource of module.resources) {
      const base = `${scope.address === '' ? '' : `${scope.address}.`}${resource.kind === 'data' ? 'data.' : ''}${resource.type}.${resource.name}`;
      const make = (address: string, each?: { key: string; value: unknown }): Instance => ({
        address,
        file: resource.file,
        resource,
        scope: each === undefined ? scope : { ...scope, each },
        moduleScope: scope,
        module,
      });
      if (resource.body.for_each !== undefined) {
        const forEach = resolve(resource.body.for_each, scope);
        if (isObject(forEach) && !isUnresolved(forEach)) {
          for (const [key, value] of Object.entries(forEach))
            out.push(make(`${base}["${key}"]`, { key, value }));
        } else if (Array.isArray(forEach)) {
          for (const value of forEach)
            if (typeof value === 'string') out.push(make(`${base}["${value}"]`, { key: value, value }));
        } else {
          out.push(make(`${base}[*]`));
        }
      } else {
        out.push(make(base));
      }
    }
  }
  return out;
}

const get = (instance: Instance, ...path: string[]): unknown => {
  const last = path.pop();
  if (last === undefined) return undefined;
  const body = path.length === 0 ? instance.resource.body : nested(instance.resource.body, ...path);
  return resolve(body?.[last], instance.scope);
};

const text = (value: unknown): string =>
  isUnresolved(value) ? `\${${value.unresolved}}` : typeof value === 'string' ? value : JSON.stringify(value);

const num = (value: unknown): number | null => {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) ? n : null;
};

interface Fn {
  readonly instance: Instance;
  readonly entryPoint: string;
  readonly name: string;
  readonly env: Readonly<Record<string, unknown>> | null;
  readonly timeout: number | null;
  readonly maxInstances: number | null;
}

function deployedFunctions(instances: readonly Instance[]): Fn[] {
  return instances
    .filter((i) => i.resource.kind === 'resource' && i.resource.type === 'google_cloudfunctions2_function')
    .map((instance) => {
      const env = get(instance, 'service_config', 'environment_variables');
      return {
        instance,
        entryPoint: text(get(instance, 'build_config', 'entry_point')),
        name: text(get(instance, 'name')),
        env: isObject(env) && !isUnresolved(env) ? env : null,
        timeout: num(get(instance, 'service_config', 'timeout_seconds')),
        maxInstances: num(get(instance, 'service_config', 'max_instance_count')),
      };
    });
}

/** The IAM grants of the configuration, each with the role, the member and the grant's resource. */
interface Grant {
  readonly instance: Instance;
  readonly role: string;
  readonly member: string;
  /** The function module instance it is in, when it is in one. */
  readonly fn: Fn | undefined;
}

function grants(instances: readonly Instance[], fns: readonly Fn[]): Grant[] {
  const out: Grant[] = [];
  for (const instance of instances) {
    const type = instance.resource.type;
    if (!/_iam_(member|binding)$/.test(type)) continue;
    const fn = fns.find((f) => f.instance.moduleScope.address === instance.moduleScope.address);
    const role = text(get(instance, 'role'));
    const members = type.endsWith('_iam_binding') ? get(instance, 'members') : [get(instance, 'member')];
    for (const member of Array.isArray(members) ? members : [members]) {
      out.push({ instance, role, member: text(member), fn });
    }
  }
  return out;
}

const at = (i: Instance) => `${i.file}: ${i.address}`;

// ---------------------------------------------------------------------------------------------------------------
// The rules

export interface PolicyResult {
  readonly name: string;
  readonly problems: readonly string[];
}

export function checkPolicies(config: InfraConfig, facts: CodeFacts): PolicyResult[] {
  const instances = resourceInstances(config);
  const fns = deployedFunctions(instances);
  const allGrants = grants(instances, fns);
  const rules: [string, () => string[]][] = [
    ['module layout, typed and described variables', () => layout(config)],
    ['entry points, runtime and names', () => entryPoints(fns, facts)],
    ['one service account per function', () => serviceAccounts(instances, fns)],
    ['who may invoke each function', () => invokers(allGrants, fns, instances)],
    ['project-level roles', () => projectRoles(allGrants, instances)],
    ['secrets: read and written per secret, as the code does', () => secretGrants(allGrants, fns, facts)],
    ['topics: publish per topic, as the code does', () => topicGrants(allGrants, fns)],
    ["the scheduler's agent publishes to the tick topic only", () => schedulerGrants(allGrants, instances)],
    ['no secret value in infra/', () => noSecretValues(config, instances)],
    ['every topic has a dead letter; DELIVERY_POLICY', () => deadLetters(instances, fns, facts)],
    ['environment variables match shared/config.ts', () => environment(fns, facts)],
    ['sizes: Severa budget, timeouts and leases', () => sizes(fns)],
    ['source archive named by its hash', () => sourceArchive(config, instances)],
  ];
  return rules.map(([name, rule]) => ({ name, problems: rule() }));
}

function layout(config: InfraConfig): string[] {
  const problems: string[] = [];
  for (const module of config.modules.values()) {
    for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
      if (!module.files.includes(file))
        problems.push(`${module.dir}: no ${file} (terraform-google-modules layout)`);
    }
    for (const v of module.variables) {
      if (v.body.type === undefined) problems.push(`${v.file}: variable "${v.name}" has no type`);
      if (typeof v.body.description !== 'string' || v.body.description.trim() === '') {
        problems.push(`${v.file}: variable "${v.name}" has no description`);
      }
    }
    for (const o of module.outputs) {
      if (typeof o.body.description !== 'string' || o.body.description.trim() === '') {
        problems.push(`${o.file}: output "${o.name}" has no description`);
      }
    }
  }
  return problems;
}

function entryPoints(fns: readonly Fn[], facts: CodeFacts): string[] {
  const problems: string[] = [];
  const deployed = new Map<string, number>();
  const names = new Map<string, number>();
  for (const fn of fns) {
    const i = fn.instance;
    if (!facts.entryPoints.has(fn.entryPoint)) {
      problems.push(
        `${at(i)}: entry_point "${fn.entryPoint}" is not registered with functions.http() in functions/index.ts ` +
          `(registered: ${[...facts.entryPoints].join(', ')})`,
      );
    }
    deployed.set(fn.entryPoint, (deployed.get(fn.entryPoint) ?? 0) + 1);
    names.set(fn.name, (names.get(fn.name) ?? 0) + 1);
    const runtime = text(get(i, 'build_config', 'runtime'));
    if (runtime !== RUNTIME) problems.push(`${at(i)}: runtime "${runtime}", not ${RUNTIME}`);
    if (!/^[a-z][a-z0-9-]*$/.test(fn.name))
      problems.push(`${at(i)}: name "${fn.name}" is not a literal service name`);
  }
  for (const entry of facts.entryPoints) {
    const count = deployed.get(entry) ?? 0;
    if (count !== 1)
      problems.push(`functions/index.ts registers "${entry}": deployed ${count} times, not once`);
  }
  for (const [name, count] of names)
    if (count > 1) problems.push(`function name "${name}" is used ${count} times`);
  return problems;
}

const SA_EMAIL_REF = /^\$\{google_service_account\.([\w-]+)\.email\}$/;

function serviceAccounts(instances: readonly Instance[], fns: readonly Fn[]): string[] {
  const problems: string[] = [];
  const accountIds = new Map<string, string[]>();
  for (const i of instances) {
    if (i.resource.type !== 'google_service_account') continue;
    const id = text(get(i, 'account_id'));
    accountIds.set(id, [...(accountIds.get(id) ?? []), at(i)]);
  }
  for (const [id, where] of accountIds) {
    if (where.length > 1)
      problems.push(`service account "${id}" is made more than once: ${where.join('; ')}`);
  }
  const perModule = new Map<string, number>();
  for (const fn of fns) {
    const i = fn.instance;
    perModule.set(i.moduleScope.address, (perModule.get(i.moduleScope.address) ?? 0) + 1);
    const raw = nested(i.resource.body, 'service_config')?.service_account_email;
    const m = typeof raw === 'string' ? SA_EMAIL_REF.exec(raw) : null;
    if (!m) {
      problems.push(
        `${at(i)}: service_config.service_account_email must be the e-mail of a google_service_account made beside it`,
      );
      continue;
    }
    const account = i.module.resources.find((r) => r.type === 'google_service_account' && r.name === m[1]);
    if (account === undefined) {
      problems.push(`${at(i)}: google_service_account.${m[1] ?? ''} is not in ${i.module.dir}`);
    } else if (account.body.count !== undefined || account.body.for_each !== undefined) {
      problems.push(
        `${at(i)}: its service account google_service_account.${account.name} is repeated (count/for_each)`,
      );
    }
  }
  for (const [address, count] of perModule) {
    if (count > 1)
      problems.push(
        `${address || 'the root module'}: ${count} functions share a module instance and so its service account`,
      );
  }
  return problems;
}

/** The member that Pub/Sub's pushes are signed as (the oidc_token of the push subscriptions). */
function pushMembers(instances: readonly Instance[]): Set<string> {
  const members = new Set<string>();
  for (const i of instances) {
    if (i.resource.type !== 'google_pubsub_subscription') continue;
    const email = get(i, 'push_config', 'oidc_token', 'service_account_email');
    if (email !== undefined) members.add(`serviceAccount:${text(email)}`);
  }
  return members;
}

function invokers(allGrants: readonly Grant[], fns: readonly Fn[], instances: readonly Instance[]): string[] {
  const problems: string[] = [];
  const pushers = pushMembers(instances);
  for (const g of allGrants) {
    if (g.member !== 'allUsers' && g.member !== 'allAuthenticatedUsers') continue;
    const needs = g.fn === undefined ? undefined : FUNCTION_NEEDS[g.fn.entryPoint];
    const invokerOfFunction =
      g.role === 'roles/run.invoker' &&
      (g.instance.resource.type === 'google_cloud_run_v2_service_iam_member' ||
        g.instance.resource.type === 'google_cloudfunctions2_function_iam_member');
    if (!invokerOfFunction || needs?.public !== true) {
      problems.push(
        `${at(g.instance)}: ${g.member} is given ${g.role}; only calendarPush, severaWebhook and the console may be public`,
      );
    }
  }
  for (const fn of fns) {
    const needs = FUNCTION_NEEDS[fn.entryPoint];
    if (needs === undefined) continue;
    const own = allGrants.filter(
      (g) =>
        g.fn === fn &&
        g.role === 'roles/run.invoker' &&
        g.instance.resource.type.startsWith('google_cloud_run'),
    );
    const ingress = text(get(fn.instance, 'service_config', 'ingress_settings'));
    if (needs.public && !own.some((g) => g.member === 'allUsers')) {
      problems.push(
        `${at(fn.instance)}: ${fn.entryPoint} authenticates its callers itself and must be public (allUsers)`,
      );
    }
    if (needs.pushed) {
      if (own.length === 0)
        problems.push(`${at(fn.instance)}: ${fn.entryPoint} has no invoker: Pub/Sub could not push to it`);
      for (const g of own) {
        if (!pushers.has(g.member)) {
          problems.push(
            `${at(g.instance)}: ${fn.entryPoint} may be invoked by ${g.member}, not only by the push service account`,
          );
        }
      }
      if (ingress !== 'ALLOW_INTERNAL_ONLY') {
        problems.push(
          `${at(fn.instance)}: ${fn.entryPoint} is fed only by Pub/Sub: ingress ALLOW_INTERNAL_ONLY, not ${ingress}`,
        );
      }
    } else {
      for (const g of own) {
        if (pushers.has(g.member))
          problems.push(`${at(g.instance)}: the push service account may invoke ${fn.entryPoint} too`);
      }
    }
  }
  return problems;
}

/** The build service account's project roles (modules/function-build): build logs, and reading the sources. */
const BUILD_PROJECT_ROLES = new Set(['roles/logging.logWriter', 'roles/storage.objectViewer']);

const FORBIDDEN_PROJECT_ROLE =
  /^roles\/(owner|editor|viewer|secretmanager\.|pubsub\.|run\.|iam\.|cloudfunctions\.)/;

function projectRoles(allGrants: readonly Grant[], instances: readonly Instance[]): string[] {
  const problems: string[] = [];
  const customRoles = new Map<string, unknown>();
  for (const i of instances) {
    if (i.resource.type !== 'google_project_iam_custom_role') continue;
    customRoles.set(`\${google_project_iam_custom_role.${i.resource.name}.id}`, get(i, 'permissions'));
    const permissions = get(i, 'permissions');
    if (!Array.isArray(permissions) || permissions.some((p) => p !== 'secretmanager.secrets.create')) {
      problems.push(
        `${at(i)}: a custom role may only hold secretmanager.secrets.create, not ${text(permissions)}`,
      );
    }
  }
  for (const g of allGrants) {
    if (g.instance.resource.type !== 'google_project_iam_member') continue;
    if (FORBIDDEN_PROJECT_ROLE.test(g.role)) {
      problems.push(
        `${at(g.instance)}: ${g.role} on the whole project; grant it on the resource that needs it`,
      );
    }
    if (g.fn === undefined) {
      // Only the build account holds project roles besides the functions' (the push account, the scheduler's
      // agent and the delegation account none).
      const build = /^serviceAccount:\$\{google_service_account\.build\.email\}$/.test(g.member);
      if (!build || !BUILD_PROJECT_ROLES.has(g.role)) {
        problems.push(
          `${at(g.instance)}: ${g.member} gets ${g.role} on the project; only the functions' and the build's accounts hold project roles`,
        );
      }
      continue;
    }
    const custom = customRoles.has(g.role);
    if (g.role !== 'roles/datastore.user' && !custom) {
      problems.push(
        `${at(g.instance)}: ${g.fn.entryPoint}'s account gets ${g.role}; functions get roles/datastore.user only`,
      );
    }
    if (custom && FUNCTION_NEEDS[g.fn.entryPoint]?.createsSecrets !== true) {
      problems.push(`${at(g.instance)}: ${g.fn.entryPoint} does not create secrets, yet gets ${g.role}`);
    }
  }
  return problems;
}

const ROLE_READ = 'roles/secretmanager.secretAccessor';
const ROLE_WRITE = 'roles/secretmanager.secretVersionAdder';

function secretGrants(allGrants: readonly Grant[], fns: readonly Fn[], facts: CodeFacts): string[] {
  const problems: string[] = [];
  for (const g of allGrants) {
    if (g.instance.resource.type !== 'google_secret_manager_secret_iam_member') continue;
    const secret = text(get(g.instance, 'secret_id'));
    const key = g.instance.scope.each?.key;
    if (key !== undefined && !facts.secretNames.has(key)) {
      problems.push(
        `${at(g.instance)}: "${key}" is not one of SECRET_NAMES (${[...facts.secretNames].join(', ')})`,
      );
    }
    if (key !== undefined && !secret.endsWith(`["${key}"]}`) && !secret.endsWith(`/secrets/${key}`)) {
      problems.push(`${at(g.instance)}: the grant named "${key}" is on ${secret}, another secret`);
    }
    if (g.fn === undefined)
      problems.push(`${at(g.instance)}: a secret grant outside a function: ${g.member}`);
  }
  for (const fn of fns) {
    const needs = FUNCTION_NEEDS[fn.entryPoint];
    if (needs === undefined) continue;
    const own = allGrants.filter(
      (g) => g.fn === fn && g.instance.resource.type === 'google_secret_manager_secret_iam_member',
    );
    for (const [role, wanted] of [
      [ROLE_READ, needs.reads],
      [ROLE_WRITE, needs.writes],
    ] as const) {
      const has = new Set(own.filter((g) => g.role === role).map((g) => g.instance.scope.each?.key ?? '?'));
      for (const name of wanted) {
        if (!has.has(name))
          problems.push(`${at(fn.instance)}: ${fn.entryPoint} uses secret ${name} but has no ${role} on it`);
      }
      for (const name of has) {
        if (!wanted.includes(name))
          problems.push(
            `${at(fn.instance)}: ${fn.entryPoint} has ${role} on ${name}, which its code never uses`,
          );
      }
    }
    for (const g of own) {
      if (g.role !== ROLE_READ && g.role !== ROLE_WRITE)
        problems.push(`${at(g.instance)}: ${g.role} on a secret`);
    }
  }
  return problems;
}

function topicGrants(allGrants: readonly Grant[], fns: readonly Fn[]): string[] {
  const problems: string[] = [];
  for (const fn of fns) {
    const needs = FUNCTION_NEEDS[fn.entryPoint];
    if (needs === undefined) continue;
    const own = allGrants.filter(
      (g) => g.fn === fn && g.instance.resource.type === 'google_pubsub_topic_iam_member',
    );
    const has = new Set(own.map((g) => g.instance.scope.each?.key ?? text(get(g.instance, 'topic'))));
    for (const topic of needs.publishes) {
      if (!has.has(topic))
        problems.push(`${at(fn.instance)}: ${fn.entryPoint} publishes to ${topic} but may not`);
    }
    for (const topic of has) {
      if (!needs.publishes.includes(topic))
        problems.push(`${at(fn.instance)}: ${fn.entryPoint} may publish to ${topic}, which it never does`);
    }
    for (const g of own) {
      if (g.role !== 'roles/pubsub.publisher') problems.push(`${at(g.instance)}: ${g.role} on a topic`);
    }
  }
  return problems;
}

function schedulerGrants(allGrants: readonly Grant[], instances: readonly Instance[]): string[] {
  const problems: string[] = [];
  const jobs = instances.filter((i) => i.resource.type === 'google_cloud_scheduler_job');
  if (jobs.length === 0) problems.push('no google_cloud_scheduler_job: nothing publishes the tick');
  const ticked = new Set(jobs.map((j) => text(get(j, 'pubsub_target', 'topic_name'))));
  for (const g of allGrants) {
    if (!g.member.includes('gcp-sa-cloudscheduler')) continue;
    const topic =
      g.instance.resource.type === 'google_pubsub_topic_iam_member' ? text(get(g.instance, 'topic')) : null;
    if (topic === null || !ticked.has(topic) || g.role !== 'roles/pubsub.publisher') {
      problems.push(
        `${at(g.instance)}: Cloud Scheduler's agent gets ${g.role} on ${topic ?? g.instance.resource.type}; it may only publish to the tick topic`,
      );
    }
  }
  return problems;
}

/** Strings that look like a credential: a PEM key, a Google API key or OAuth token or client secret, a long blob. */
const SECRET_LOOKING: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a PEM private key'],
  [/AIza[0-9A-Za-z_-]{35}/, 'a Google API key'],
  [/ya29\.[0-9A-Za-z_-]{20,}/, 'an OAuth access token'],
  [/GOCSPX-[0-9A-Za-z_-]{10,}/, 'an OAuth client secret'],
  [/"private_key"\s*:/, 'a service account key file'],
  [/\bnotasecret\b/, 'the P12 password'],
  [/^[A-Za-z0-9+/_-]{40,}={0,2}$/, 'a long key-like string'],
];
const SECRET_VARIABLE = /(^|_)(secret|password|passwd|token|private_key|p12|credentials?)$/i;
const SECRET_VALUE_TYPES = /^google_(secret_manager_(regional_)?secret_version|service_account_key)$/;

function walkStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const v of value) walkStrings(v, visit);
  else if (isObject(value))
    for (const [k, v] of Object.entries(value)) {
      visit(k);
      walkStrings(v, visit);
    }
}

function noSecretValues(config: InfraConfig, instances: readonly Instance[]): string[] {
  const problems: string[] = [];
  for (const i of instances) {
    if (SECRET_VALUE_TYPES.test(i.resource.type)) {
      problems.push(
        `${at(i)}: ${i.resource.type} puts a secret value in Terraform's state; values go in through the console or the CLI`,
      );
    }
  }
  for (const module of config.modules.values()) {
    for (const v of module.variables) {
      if (SECRET_VARIABLE.test(v.name)) {
        problems.push(
          `${v.file}: variable "${v.name}" would carry a secret through Terraform; secrets go in through the console`,
        );
      }
    }
    const blocks: { file: string; label: string; body: Body }[] = [
      ...module.resources.map((r) => ({ file: r.file, label: `${r.type}.${r.name}`, body: r.body })),
      ...module.variables.map((v) => ({ file: v.file, label: `variable "${v.name}"`, body: v.body })),
      ...module.outputs.map((o) => ({ file: o.file, label: `output "${o.name}"`, body: o.body })),
      ...module.moduleCalls.map((m) => ({ file: m.file, label: `module "${m.name}"`, body: m.body })),
      ...module.providers.map((p) => ({ file: p.file, label: `provider "${p.name}"`, body: p.body })),
      { file: module.dir, label: 'locals', body: module.locals },
    ];
    for (const block of blocks) {
      walkStrings(block.body, (s) => {
        for (const [pattern, what] of SECRET_LOOKING) {
          if (pattern.test(s)) problems.push(`${block.file}: ${block.label}: holds what looks like ${what}`);
        }
      });
    }
  }
  return problems;
}

function deadLetters(instances: readonly Instance[], fns: readonly Fn[], facts: CodeFacts): string[] {
  const problems: string[] = [];
  const policy = facts.deliveryPolicy;
  const suffix = facts.deadLetterSuffix;
  const topics = instances.filter((i) => i.resource.type === 'google_pubsub_topic');
  const subscriptions = instances.filter((i) => i.resource.type === 'google_pubsub_subscription');
  const topicOf = (sub: Instance): Instance | undefined => {
    const raw = sub.resource.body.topic;
    const m = typeof raw === 'string' ? /^\$\{google_pubsub_topic\.([\w-]+)\.(id|name)\}$/.exec(raw) : null;
    return topics.find(
      (t) => t.moduleScope.address === sub.moduleScope.address && t.resource.name === m?.[1],
    );
  };
  const dlTopicOf = (sub: Instance): Instance | undefined => {
    const raw = nested(sub.resource.body, 'dead_letter_policy')?.dead_letter_topic;
    const m = typeof raw === 'string' ? /^\$\{google_pubsub_topic\.([\w-]+)\.(id|name)\}$/.exec(raw) : null;
    return topics.find(
      (t) => t.moduleScope.address === sub.moduleScope.address && t.resource.name === m?.[1],
    );
  };
  for (const topic of topics) {
    const name = text(get(topic, 'name'));
    const subs = subscriptions.filter((s) => topicOf(s) === topic);
    if (name.endsWith(suffix)) {
      // A dead-letter topic: kept on a pull subscription of its own name (pubsub.dead-letters.ts reads it there).
      const keeper = subs.find(
        (s) => text(get(s, 'name')) === name && get(s, 'push_config', 'push_endpoint') === undefined,
      );
      if (keeper === undefined) {
        problems.push(
          `${at(topic)}: dead-letter topic ${name} has no pull subscription named ${name}: its messages would be lost`,
        );
        continue;
      }
      if (num(get(keeper, 'ack_deadline_seconds')) !== policy.deadLetterAckDeadlineSeconds) {
        problems.push(
          `${at(keeper)}: ack_deadline_seconds ${text(get(keeper, 'ack_deadline_seconds'))}, DELIVERY_POLICY says ${policy.deadLetterAckDeadlineSeconds}`,
        );
      }
      if (text(get(keeper, 'message_retention_duration')) !== `${policy.deadLetterRetentionSeconds}s`) {
        problems.push(
          `${at(keeper)}: message_retention_duration ${text(get(keeper, 'message_retention_duration'))}, DELIVERY_POLICY says ${policy.deadLetterRetentionSeconds}s`,
        );
      }
      if (get(keeper, 'expiration_policy', 'ttl') !== '')
        problems.push(`${at(keeper)}: must never expire (expiration_policy { ttl = "" })`);
      continue;
    }
    if (subs.length === 0) problems.push(`${at(topic)}: topic ${name} has no subscription`);
    for (const sub of subs) {
      const dl = dlTopicOf(sub);
      if (dl === undefined) {
        problems.push(
          `${at(sub)}: subscription to ${name} has no dead_letter_policy: every topic needs a dead letter`,
        );
        continue;
      }
      const dlName = text(get(dl, 'name'));
      if (dlName !== `${name}${suffix}`)
        problems.push(`${at(sub)}: dead letters go to ${dlName}, not ${name}${suffix} (DEAD_LETTER_SUFFIX)`);
      const attempts = num(get(sub, 'dead_letter_policy', 'max_delivery_attempts'));
      if (attempts !== policy.maxDeliveryAttempts) {
        problems.push(
          `${at(sub)}: max_delivery_attempts ${String(attempts)}, DELIVERY_POLICY says ${policy.maxDeliveryAttempts}`,
        );
      }
      for (const [field, wanted] of [
        ['minimum_backoff', policy.minimumBackoffSeconds],
        ['maximum_backoff', policy.maximumBackoffSeconds],
      ] as const) {
        const value = text(get(sub, 'retry_policy', field));
        if (value !== `${wanted}s`)
          problems.push(`${at(sub)}: retry_policy.${field} ${value}, DELIVERY_POLICY says ${wanted}s`);
      }
      if (get(sub, 'expiration_policy', 'ttl') !== '')
        problems.push(`${at(sub)}: must never expire (expiration_policy { ttl = "" })`);
      const endpoint = get(sub, 'push_config', 'push_endpoint');
      if (endpoint === undefined) continue;
      const url = text(endpoint);
      const audience = text(get(sub, 'push_config', 'oidc_token', 'audience'));
      if (get(sub, 'push_config', 'oidc_token', 'service_account_email') === undefined) {
        problems.push(`${at(sub)}: pushes without an OIDC token; the function refuses them`);
      }
      if (audience !== url)
        problems.push(`${at(sub)}: token audience ${audience} is not the endpoint ${url}`);
      const target = fns.find((f) => url.startsWith(`https://${f.name}-`));
      if (target === undefined) {
        problems.push(`${at(sub)}: pushes to ${url}, which is none of the functions' run.app URLs`);
        continue;
      }
      const ack = num(get(sub, 'ack_deadline_seconds'));
      if (ack === null || target.timeout === null || ack < target.timeout) {
        problems.push(
          `${at(sub)}: ack deadline ${String(ack)} s is shorter than ${target.entryPoint}'s timeout ${String(target.timeout)} s`,
        );
      }
      const envAudience = target.env?.PUSH_AUTH_AUDIENCE;
      if (envAudience === undefined || text(envAudience) !== audience) {
        problems.push(
          `${at(target.instance)}: PUSH_AUTH_AUDIENCE ${envAudience === undefined ? '(unset)' : text(envAudience)} is not the audience its subscription signs for, ${audience}`,
        );
      }
      const envAccount = target.env?.PUSH_AUTH_SERVICE_ACCOUNT;
      const signer = text(get(sub, 'push_config', 'oidc_token', 'service_account_email'));
      if (envAccount === undefined || text(envAccount) !== signer) {
        problems.push(
          `${at(target.instance)}: PUSH_AUTH_SERVICE_ACCOUNT is not the account its subscription signs as (${signer})`,
        );
      }
    }
  }
  return problems;
}

function environment(fns: readonly Fn[], facts: CodeFacts): string[] {
  const problems: string[] = [];
  for (const fn of fns) {
    const i = fn.instance;
    if (fn.env === null) {
      problems.push(`${at(i)}: environment_variables must be a literal map (the check reads its names)`);
      continue;
    }
    const names = Object.keys(fn.env);
    for (const name of names) {
      if (!facts.configVariables.has(name))
        problems.push(`${at(i)}: ${name} is set but shared/config.ts never reads it`);
      if ((LOCAL_ONLY_VARIABLES as readonly string[]).includes(name)) {
        problems.push(`${at(i)}: ${name} is for the local stack only and must not be set in production`);
      }
    }
    const needs = FUNCTION_NEEDS[fn.entryPoint];
    for (const name of needs?.env ?? []) {
      if (!facts.configVariables.has(name))
        problems.push(`policy: ${name} is required but shared/config.ts does not read it`);
      if (!names.includes(name)) problems.push(`${at(i)}: ${fn.entryPoint} needs ${name} set in production`);
    }
    if ('SECRET_SOURCE' in fn.env && fn.env.SECRET_SOURCE !== 'secret-manager') {
      problems.push(`${at(i)}: SECRET_SOURCE is ${text(fn.env.SECRET_SOURCE)}, not secret-manager`);
    }
  }
  return problems;
}

function sizes(fns: readonly Fn[]): string[] {
  const problems: string[] = [];
  let total = 0;
  const parts: string[] = [];
  for (const fn of fns) {
    const needs = FUNCTION_NEEDS[fn.entryPoint];
    const rate = num(fn.env?.SEVERA_RATE_PER_SECOND);
    if (needs?.callsSevera === true && rate === null) {
      problems.push(
        `${at(fn.instance)}: ${fn.entryPoint} calls Severa: SEVERA_RATE_PER_SECOND must be a number (config.ts's default 8 is for one instance alone)`,
      );
      continue;
    }
    if (rate === null) continue;
    if (fn.maxInstances === null) {
      problems.push(`${at(fn.instance)}: max_instance_count must be a number to bound Severa's load`);
      continue;
    }
    total += rate * fn.maxInstances;
    parts.push(`${fn.entryPoint} ${fn.maxInstances} × ${rate}`);
  }
  if (total > SEVERA_BUDGET_PER_SECOND + 1e-9) {
    problems.push(
      `Severa requests per second at most: ${parts.join(' + ')} = ${total}, over the budget of ${SEVERA_BUDGET_PER_SECOND} (Severa allows 10)`,
    );
  }
  for (const fn of fns) {
    const lease = num(fn.env?.LEASE_TTL_MS);
    if (lease !== null && (fn.timeout === null || fn.timeout * 1000 >= lease)) {
      problems.push(
        `${at(fn.instance)}: timeout ${String(fn.timeout)} s must be under LEASE_TTL_MS (${lease} ms), so a live run never loses its lease`,
      );
    }
    if (FUNCTION_NEEDS[fn.entryPoint]?.env.includes('LEASE_TTL_MS') === true && lease === null) {
      problems.push(`${at(fn.instance)}: LEASE_TTL_MS must be a number`);
    }
    const delay = num(fn.env?.TICK_SECOND_POLL_DELAY_MS);
    if (delay !== null && (fn.timeout === null || fn.timeout * 1000 <= delay)) {
      problems.push(
        `${at(fn.instance)}: timeout ${String(fn.timeout)} s must exceed TICK_SECOND_POLL_DELAY_MS (${delay} ms)`,
      );
    }
    if (fn.timeout === null || fn.timeout <= 0 || fn.timeout > 3600) {
      problems.push(
        `${at(fn.instance)}: timeout_seconds ${String(fn.timeout)} is not a number of seconds up to 3600`,
      );
    }
  }
  return problems;
}

function sourceArchive(config: InfraConfig, instances: readonly Instance[]): string[] {
  const problems: string[] = [];
  const root = config.modules.get('.');
  const variable = root?.variables.find((v) => v.name === 'source_archive_path');
  if (variable?.body.default !== '../build/function-source.zip') {
    problems.push(
      `variables.tf: variable "source_archive_path" must default to ../build/function-source.zip`,
    );
  }
  const objects = instances.filter((i) => i.resource.type === 'google_storage_bucket_object');
  if (objects.length === 0) problems.push('no google_storage_bucket_object uploads the source archive');
  for (const i of objects) {
    const name = i.resource.body.name;
    const source = i.resource.body.source;
    const inner = typeof source === 'string' ? /^\$\{(.+)\}$/.exec(source)?.[1] : undefined;
    if (
      inner === undefined ||
      typeof name !== 'string' ||
      !(name.includes(`filesha256(${inner})`) || name.includes(`filemd5(${inner})`))
    ) {
      problems.push(
        `${at(i)}: the object's name must be derived from filesha256() or filemd5() of its source`,
      );
    }
  }
  for (const i of instances) {
    if (i.resource.type !== 'google_cloudfunctions2_function') continue;
    if (get(i, 'build_config', 'source', 'storage_source', 'object') === undefined) {
      problems.push(`${at(i)}: builds from no uploaded archive (build_config.source.storage_source)`);
    }
  }
  return problems;
}
