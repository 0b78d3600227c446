/**
 * The operator CLI: `npm run cli -- <command> [options]` (run directly: `node --import tsx scripts/cli.ts …`).
 * A thin shell over shared/app/operator/: parses arguments (node:util `parseArgs`), loads the configuration once,
 * runs one operation, prints the result for a person (or JSON with `--json`), and closes its clients.
 *
 * Exit codes: 0 success, 2 usage error (the usage text is printed), 1 refused or failed (the actionable messages
 * are printed; a stack trace only with `--debug`). Secrets (the Severa client secret, the P12 password) are read
 * from environment variables or files, never from the command line, and never printed. A usage error never repeats
 * what was typed in the wrong place (it may be a secret pasted there): it names the argument by its position, and
 * only names that matched a known command or option are quoted.
 *
 * Every command the CLI prints for a person to run next (its own hints, and those in the operator's and the sync's
 * messages) is printed with the `--env-file` this run was given, so it works when copied. Before building any client
 * it checks that the local emulators and simulators the configuration names answer (a short TCP connect): a stopped
 * local stack is reported at once, not after the gRPC clients' retries.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import type { PubSub } from '@google-cloud/pubsub';

import { createContainer } from '../shared/app/container.js';
import {
  OperatorError,
  SetupValidationError,
  createOperator,
  type Operator,
  type OrgSetupInput,
  type HeldItemView,
  type UserStatusView,
} from '../shared/app/operator/index.js';
import {
  DEAD_LETTER_LIMITS,
  PubSubDeadLetterQueue,
  type DeadLetter,
  type DeadLetterQueue,
} from '../shared/adapters/pubsub/pubsub.dead-letters.js';
import { ConfigError, parseConfig, type AppConfig } from '../shared/config.js';
import { PermanentError, SyncError } from '../shared/domain/index.js';
import { createJsonLogger, redactString } from '../shared/observability/logger.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const USAGE = `Usage: npm run cli -- <command> [options]

Organisation (administrator):
  org setup   Check and save the organisation's settings (nothing is saved unless every check passes)
                --service-account <email>       the service account's e-mail
                --p12 <path>                    its .p12 key file
                --p12-password-file <path>      file holding the key's password (else $GOOGLE_P12_PASSWORD,
                                                else Google's default "notasecret")
                --severa-client-id <id>         Severa REST API client id (else $SEVERA_CLIENT_ID)
                --severa-client-secret-file <path>
                                                file holding the client secret (else $SEVERA_CLIENT_SECRET)
                --types <names>                 activity types synced to Google, comma-separated names or
                                                guids (repeatable)
                --test-user <email>             a Workspace user to check domain-wide delegation with
                --enable | --disable            switch the integration on / off (default: unchanged; off at first)
  org show    The organisation's settings and which secrets are set (never their values)
  org enable  Switch the integration on (after a completed setup)
  org disable Switch the integration off

People:
  user disable <email>           Switch sync off (links are kept; switching on again resumes without duplicates)
  user status [<email>]          Sync health of one person, or of everyone
  user preview <email>           What a sync would do now, without writing anything
  user resync <email> [--full]   Ask for a sync now; --full first forgets the Google sync token so the whole
                                 calendar window is listed again (links are kept: no duplicates)
  user hold confirm <email> [--by <name>]
                                 Apply the deletions held for a person (B3: too many at once, or an empty
                                 calendar); everything else has kept syncing. Audited, with --by (default: the
                                 operating-system user)
  user hold reject <email> [--by <name>]
                                 Restore the held entries instead: each is made again from the side that kept it

Dead letters (sync requests Pub/Sub gave up delivering after its retries; docs/infrastructure.md):
  dead-letters list [--limit <n>]
                                 Show them: ids, times, attributes and what each asks for (nothing is
                                 removed; default ${DEAD_LETTER_LIMITS.list}, at most ${DEAD_LETTER_LIMITS.max})
  dead-letters replay [--limit <n>]
                                 Publish them again to the sync requests topic, then remove them from the
                                 dead letters (default ${DEAD_LETTER_LIMITS.replay}, at most ${DEAD_LETTER_LIMITS.max})
                --topic <name>   another topic's dead letters (default: $SYNC_REQUESTS_TOPIC)

  help                           This text

Options for every command:
  --json             machine-readable output (errors too, on stdout)
  --env-file <path>  load this env file first (default: .env in the project root, when it exists); the
                     local stack's is .local/local-stack-local.env (npm start writes it)
  --debug            log at debug level to stderr, and print stack traces of unexpected errors
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OrgSetupArgs {
  readonly serviceAccountEmail: string;
  readonly p12Path: string;
  readonly p12PasswordFile: string | null;
  readonly severaClientId: string | null;
  readonly severaClientSecretFile: string | null;
  readonly types: readonly string[];
  readonly testUser: string;
  readonly enable: boolean | undefined;
}

export type CliCommand =
  | { readonly kind: 'help' }
  | ({ readonly kind: 'org setup' } & OrgSetupArgs)
  | { readonly kind: 'org show' }
  | { readonly kind: 'org enable' }
  | { readonly kind: 'org disable' }
  | { readonly kind: 'user disable'; readonly email: string }
  | { readonly kind: 'user status'; readonly email: string | null }
  | { readonly kind: 'user preview'; readonly email: string }
  | { readonly kind: 'user resync'; readonly email: string; readonly full: boolean }
  | {
      readonly kind: 'user hold';
      readonly decision: 'confirm' | 'reject';
      readonly email: string;
      readonly by: string | null;
    }
  | {
      readonly kind: 'dead-letters list' | 'dead-letters replay';
      readonly limit: number;
      /** The topic whose dead letters; null: the sync requests topic of the configuration. */
      readonly topic: string | null;
    };

export interface ParsedCli {
  readonly command: CliCommand;
  readonly json: boolean;
  readonly debug: boolean;
  readonly envFile: string | null;
}

const OPTIONS = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  'env-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'service-account': { type: 'string' },
  p12: { type: 'string' },
  'p12-password-file': { type: 'string' },
  'severa-client-id': { type: 'string' },
  'severa-client-secret-file': { type: 'string' },
  types: { type: 'string', multiple: true },
  'test-user': { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  full: { type: 'boolean' },
  by: { type: 'string' },
  limit: { type: 'string' },
  topic: { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = ['json', 'debug', 'env-file', 'help'];
const SETUP_OPTIONS: readonly OptionName[] = [
  'service-account',
  'p12',
  'p12-password-file',
  'severa-client-id',
  'severa-client-secret-file',
  'types',
  'test-user',
  'enable',
  'disable',
];

/** Command → its positional arguments (after the two command words) and the options it takes. */
const COMMANDS: Readonly<
  Record<Exclude<CliCommand['kind'], 'help'>, { args: readonly string[]; options: readonly OptionName[] }>
> = {
  'org setup': { args: [], options: SETUP_OPTIONS },
  'org show': { args: [], options: [] },
  'org enable': { args: [], options: [] },
  'org disable': { args: [], options: [] },
  'user disable': { args: ['<email>'], options: [] },
  'user status': { args: ['[<email>]'], options: [] },
  'user preview': { args: ['<email>'], options: [] },
  'user resync': { args: ['<email>'], options: ['full'] },
  'user hold': { args: ['<confirm|reject>', '<email>'], options: ['by'] },
  'dead-letters list': { args: [], options: ['limit', 'topic'] },
  'dead-letters replay': { args: [], options: ['limit', 'topic'] },
};

/** The first word of every command but `help`. */
const GROUPS = ['org', 'user', 'dead-letters'] as const;
type Group = (typeof GROUPS)[number];

function isGroup(name: string): name is Group {
  return (GROUPS as readonly string[]).includes(name);
}

function isCommand(name: string): name is keyof typeof COMMANDS {
  return Object.hasOwn(COMMANDS, name);
}

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

/** The loose shape of an e-mail address (the operator checks it again): enough to tell a mistyped value apart. */
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+$/;

/** "argument 3" or "arguments 3, 4": positions on the command line, 1-based, never the text typed there. */
function argumentsAt(indexes: readonly number[]): string {
  const positions = indexes.map((i) => String(i + 1));
  return `${positions.length === 1 ? 'argument' : 'arguments'} ${positions.join(', ')}`;
}

/**
 * Checks every option before `parseArgs`' strict mode does, because its messages repeat what was typed
 * ("Unknown option '--…'"), which may be a secret pasted in the wrong place. These name the position, and the
 * option only when it is one of ours.
 */
function checkOptions(argv: readonly string[]): void {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const at = argumentsAt([token.index]);
    if (!isOptionName(token.name)) throw new UsageError(`Unknown option (${at}): see the options below.`);
    const flag = `--${token.name}`;
    if (OPTIONS[token.name].type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value (${at}).`);
    } else if (token.value === undefined) {
      throw new UsageError(`${flag} needs a value (${at}).`);
    } else if (!token.inlineValue && token.value.startsWith('-')) {
      throw new UsageError(
        `${flag} needs a value, not an option (${argumentsAt([token.index + 1])}); ` +
          `write ${flag}=<value> for a value that starts with "-".`,
      );
    }
  }
}

function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= DEAD_LETTER_LIMITS.max)) {
    throw new UsageError(`--limit takes a whole number from 1 to ${DEAD_LETTER_LIMITS.max}.`);
  }
  return limit;
}

/**
 * The command line → what to do. Throws {@link UsageError} naming the problem (unknown command or option, an option
 * the command does not take, a missing or extra argument, a missing required option). Reads no file or variable.
 */
export function parseCli(argv: readonly string[]): ParsedCli {
  checkOptions(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch {
    // checkOptions found nothing wrong, so this is not expected; parseArgs' message may quote what was typed.
    throw new UsageError('The options could not be read: see the usage below.');
  }
  const { values, positionals, tokens } = parsed;
  /** Where each positional stands on the command line (0-based), for messages that must not repeat it. */
  const places = tokens.flatMap((t) => (t.kind === 'positional' ? [t.index] : []));
  const json = values.json ?? false;
  const debug = values.debug ?? false;
  const envFile = values['env-file'] ?? null;
  const [group, verb, ...rest] = positionals;
  const wantsHelp = values.help === true || group === 'help' || group === undefined;
  if (wantsHelp) return { command: { kind: 'help' }, json, debug, envFile };

  if (!isGroup(group)) {
    throw new UsageError(
      `Unknown command (${argumentsAt(places.slice(0, 1))}): it begins with ${GROUPS.join(', ')} or help.`,
    );
  }
  if (verb === undefined) throw new UsageError(`"${group}" needs a command: see the usage below.`);
  const name = `${group} ${verb}`;
  if (name === 'user enable') {
    // S2: nobody switches sync on for someone else, the operator included.
    throw new UsageError(
      'Only the person can switch their own sync on: in the console, My calendar sync (S2). ' +
        'An operator can see them (user status), resync them and switch them off (user disable).',
    );
  }
  if (!isCommand(name)) {
    const verbs = Object.keys(COMMANDS)
      .filter((c) => c.startsWith(`${group} `))
      .map((c) => c.slice(group.length + 1));
    throw new UsageError(
      `Unknown "${group}" command (${argumentsAt(places.slice(1, 2))}): it is one of ${verbs.join(', ')}.`,
    );
  }
  const spec = COMMANDS[name];

  const given = (Object.keys(values) as OptionName[]).filter((o) => values[o] !== undefined);
  const foreign = given.filter((o) => !GLOBAL_OPTIONS.includes(o) && !spec.options.includes(o));
  if (foreign.length > 0) {
    throw new UsageError(`"${name}" does not take ${foreign.map((o) => `--${o}`).join(', ')}.`);
  }
  const required = spec.args.filter((a) => !a.startsWith('[')).length;
  if (rest.length < required) throw new UsageError(`"${name}" needs ${spec.args.join(' ')}.`);
  if (rest.length > spec.args.length) {
    throw new UsageError(
      `Unexpected ${argumentsAt(places.slice(2 + spec.args.length))} for "${name}", which takes ` +
        `${spec.args.length === 0 ? 'no arguments' : `only ${spec.args.join(' ')}`}.`,
    );
  }
  // An e-mail argument that is not one is refused here, before the operator could repeat it in its answer.
  spec.args.forEach((arg, i) => {
    const value = rest[i];
    if (arg.includes('<email>') && value !== undefined && !EMAIL_SHAPE.test(value.trim())) {
      throw new UsageError(
        `"${name}" needs an e-mail address as ${argumentsAt(places.slice(2 + i, 3 + i))}.`,
      );
    }
  });
  const email = rest[0] ?? null;
  const base = { json, debug, envFile };

  switch (name) {
    case 'org setup': {
      const missing = (['service-account', 'p12', 'test-user', 'types'] as const).filter(
        (o) => values[o] === undefined,
      );
      if (missing.length > 0) {
        throw new UsageError(`"org setup" needs ${missing.map((o) => `--${o}`).join(', ')}.`);
      }
      if (values.enable === true && values.disable === true) {
        throw new UsageError('"org setup" takes --enable or --disable, not both.');
      }
      const types = (values.types ?? [])
        .flatMap((t) => t.split(','))
        .map((t) => t.trim())
        .filter((t) => t !== '');
      if (types.length === 0) throw new UsageError('--types names no activity type.');
      return {
        ...base,
        command: {
          kind: name,
          serviceAccountEmail: values['service-account'] ?? '',
          p12Path: values.p12 ?? '',
          p12PasswordFile: values['p12-password-file'] ?? null,
          severaClientId: values['severa-client-id'] ?? null,
          severaClientSecretFile: values['severa-client-secret-file'] ?? null,
          types,
          testUser: values['test-user'] ?? '',
          enable: values.enable === true ? true : values.disable === true ? false : undefined,
        },
      };
    }
    case 'org show':
    case 'org enable':
    case 'org disable':
      return { ...base, command: { kind: name } };
    case 'user status':
      return { ...base, command: { kind: name, email } };
    case 'user resync':
      return { ...base, command: { kind: name, email: email ?? '', full: values.full ?? false } };
    case 'user hold': {
      const decision = rest[0];
      if (decision !== 'confirm' && decision !== 'reject') {
        throw new UsageError(
          `"user hold" takes confirm or reject (${argumentsAt(places.slice(2, 3))} is neither).`,
        );
      }
      return {
        ...base,
        command: { kind: name, decision, email: rest[1] ?? '', by: values.by ?? null },
      };
    }
    case 'user disable':
    case 'user preview':
      return { ...base, command: { kind: name, email: email ?? '' } };
    case 'dead-letters list':
    case 'dead-letters replay':
      return {
        ...base,
        command: {
          kind: name,
          limit: parseLimit(
            values.limit,
            name === 'dead-letters list' ? DEAD_LETTER_LIMITS.list : DEAD_LETTER_LIMITS.replay,
          ),
          topic: values.topic ?? null,
        },
      };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Input files and secrets

/** A secret file's content without the one line break editors add at the end. */
function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${what} from ${path} (${codeOf(error)}).`);
  }
  return text.replace(/\r?\n$/, '');
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unreadable';
}

/** The setup input from the parsed arguments, the files they name and the environment. */
export function setupInput(
  args: OrgSetupArgs,
  env: Readonly<Record<string, string | undefined>>,
  config: Pick<AppConfig, 'severa'>,
): OrgSetupInput {
  let p12: Buffer;
  try {
    p12 = readFileSync(args.p12Path);
  } catch (error) {
    throw new UsageError(`Cannot read the .p12 key file ${args.p12Path} (${codeOf(error)}).`);
  }
  const secret =
    args.severaClientSecretFile !== null
      ? readSecretFile(args.severaClientSecretFile, 'the Severa client secret')
      : (env.SEVERA_CLIENT_SECRET ?? '');
  if (secret === '') {
    throw new UsageError(
      'The Severa client secret is needed: set SEVERA_CLIENT_SECRET or pass --severa-client-secret-file <path> (it is never taken on the command line).',
    );
  }
  const password =
    args.p12PasswordFile !== null
      ? readSecretFile(args.p12PasswordFile, 'the .p12 password')
      : env.GOOGLE_P12_PASSWORD;
  const clientId = args.severaClientId ?? config.severa.clientId;
  if (clientId.trim() === '') {
    throw new UsageError(
      'The Severa client id is needed: pass --severa-client-id <id> or set SEVERA_CLIENT_ID.',
    );
  }
  return {
    serviceAccountEmail: args.serviceAccountEmail,
    p12,
    ...(password === undefined || password === '' ? {} : { p12Password: password }),
    severaClientId: clientId,
    severaClientSecret: secret,
    syncedTypeNames: args.types,
    testUserEmail: args.testUser,
    ...(args.enable === undefined ? {} : { enable: args.enable }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The local stack: its env file, the hints that name it, and whether it answers

/** The env files `npm start` writes for the stack it runs, under `.local/` (scripts/local-stack.ts, start.ts). */
export const LOCAL_STACK_ENV_FILES = ['local-stack-local.env', 'local-stack-real.env'] as const;

/** The newest local stack env file under `<root>/.local` (the stack runs or ran), or null. */
export function localStackEnvFile(root: string): string | null {
  let newest: { readonly path: string; readonly mtimeMs: number } | null = null;
  for (const name of LOCAL_STACK_ENV_FILES) {
    const path = join(root, '.local', name);
    if (!existsSync(path)) continue;
    const { mtimeMs } = statSync(path);
    if (newest === null || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest?.path ?? null;
}

/** How to start the stack whose env file this is. */
export function startCommand(envFile: string | null): string {
  return envFile !== null && basename(envFile) === 'local-stack-real.env'
    ? 'npm start -- --real'
    : 'npm start';
}

/** A word the shell reads back as itself: quoted when it holds anything but plain path characters. */
export function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A file as a hint names it: `npm run` runs scripts in the project root, so a file inside it is named relative to
 * it (`.local/local-stack-local.env`), any other by its absolute path; quoted for the shell when needed.
 */
export function pathForHint(path: string, root: string, cwd: string = process.cwd()): string {
  const absolute = resolve(cwd, path);
  const inside = relative(root, absolute);
  return shellWord(inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : absolute);
}

/**
 * Every `npm run cli -- …` command in `text` with `--env-file <envFile>` put in when it names none: the CLI's own
 * hints and those in the operator's and the sync's messages then work when copied.
 */
export function withEnvFile(text: string, envFile: string | null): string {
  if (envFile === null) return text;
  return text.replace(/npm run cli -- (?!--env-file )/g, () => `npm run cli -- --env-file ${envFile} `);
}

/** Something of the local stack this process is about to use, and where it should answer. */
export interface StackAddress {
  /** What answers there, as the message names it ("the Firestore emulator"). */
  readonly what: string;
  readonly host: string;
  readonly port: number;
}

/** The SDKs read these themselves (they are not in {@link AppConfig}). */
const EMULATOR_VARIABLES = [
  ['FIRESTORE_EMULATOR_HOST', 'the Firestore emulator'],
  ['PUBSUB_EMULATOR_HOST', 'the Pub/Sub emulator'],
] as const;

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

function hostPort(value: string): { readonly host: string; readonly port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  return host === undefined || !(port > 0 && port < 65_536) ? null : { host, port };
}

function loopbackUrl(url: string): { readonly host: string; readonly port: number } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!LOOPBACK_HOSTS.has(host)) return null;
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return { host, port };
}

/**
 * What of the local stack a command is about to use: the emulators the environment names, and those of `urls`
 * (what → URL) on this machine. A remote URL (the real Severa or Google API) is not the local stack's: left out.
 */
export function localStackAddresses(
  env: Readonly<Record<string, string | undefined>>,
  urls: Readonly<Record<string, string | null>> = {},
): StackAddress[] {
  const found: StackAddress[] = [];
  const add = (what: string, at: { readonly host: string; readonly port: number } | null) => {
    if (at !== null && !found.some((f) => f.host === at.host && f.port === at.port))
      found.push({ what, ...at });
  };
  for (const [variable, what] of EMULATOR_VARIABLES) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') add(what, hostPort(value));
  }
  for (const [what, url] of Object.entries(urls)) if (url !== null) add(what, loopbackUrl(url));
  return found;
}

/**
 * Google's clients retry an unreachable emulator for about 45 s before they fail with a gRPC trace; a refused or
 * unanswered TCP connect within this time says at once that nothing listens.
 */
export const PROBE_TIMEOUT_MS = 1_500;

/** Whether something accepts a TCP connection at the address within `timeoutMs`. */
export function answers(address: StackAddress, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host: address.host, port: address.port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolveAnswer(answered);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

/** The first of `addresses` where nothing answers (all are tried at once), or null when every one answers. */
export async function firstSilent(
  addresses: readonly StackAddress[],
  probe: (address: StackAddress) => Promise<boolean> = answers,
): Promise<StackAddress | null> {
  const answered = await Promise.all(addresses.map((a) => probe(a)));
  return addresses.find((_, i) => answered[i] === false) ?? null;
}

/** The one sentence for a stack that stopped (or never started). */
export function stackDownMessage(address: StackAddress, start: string): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `The local stack is not running (nothing answers at ${host}:${String(address.port)}, ${address.what}): start it with ${start}.`;
}

/**
 * The one sentence for a run that found no configuration at all (no `--env-file`, no `.env`): the local stack's env
 * file and the command again with it, when a stack runs or ran here; else where a configuration comes from.
 */
export function missingConfigMessage(
  problems: readonly string[],
  stackEnvFile: string | null,
  retry: (envFile: string) => string,
): string {
  const why = `The configuration is missing (${problems.join('; ')})`;
  if (stackEnvFile === null) {
    return `${why}: pass --env-file <path> or write .env in the project root (.env.example lists it), or start the local stack with npm start, which writes .local/local-stack-local.env.`;
  }
  return `${why}; for the local stack pass its env file: ${retry(stackEnvFile)}`;
}

/**
 * The command again, for a hint: its words and arguments (already checked: known words, e-mail addresses) and the
 * options whose values are numbers or names; `org setup` ends in "…" (its options are not repeated).
 */
export function commandLine(command: Exclude<CliCommand, { kind: 'help' }>): string {
  switch (command.kind) {
    case 'org setup':
      return 'org setup …';
    case 'org show':
    case 'org enable':
    case 'org disable':
      return command.kind;
    case 'user status':
      return command.email === null ? command.kind : `${command.kind} ${shellWord(command.email)}`;
    case 'user disable':
    case 'user preview':
      return `${command.kind} ${shellWord(command.email)}`;
    case 'user resync':
      return `${command.kind} ${shellWord(command.email)}${command.full ? ' --full' : ''}`;
    case 'user hold':
      return (
        `user hold ${command.decision} ${shellWord(command.email)}` +
        (command.by === null ? '' : ` --by ${shellWord(command.by)}`)
      );
    case 'dead-letters list':
    case 'dead-letters replay':
      return (
        `${command.kind} --limit ${String(command.limit)}` +
        (command.topic === null ? '' : ` --topic ${shellWord(command.topic)}`)
      );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** What the CLI builds once it has a configuration; tests hand in their own. */
export interface CliRuntime {
  readonly operator: Operator;
  /** The dead letters of `topic` (`dead-letters list|replay`); the CLI closes the queue when done. */
  readonly deadLetters?: (topic: string) => Promise<DeadLetterQueue>;
  close(): Promise<void>;
}

export interface CliDeps {
  /** Loads an env file into `io.env` (default `process.loadEnvFile`, which never overrides a set variable). */
  readonly loadEnvFile?: (path: string) => void;
  /** Where `.env` is looked for when `--env-file` is not given (default: the project root). */
  readonly projectRoot?: string;
  readonly runtime?: (
    config: AppConfig,
    options: { readonly debug: boolean; readonly io: CliIo },
  ) => CliRuntime;
  /** Whether something answers at a local stack's address (default {@link answers}: a short TCP connect). */
  readonly probe?: (address: StackAddress) => Promise<boolean>;
}

const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** The production runtime: the composition root (its Firestore and Pub/Sub clients closed at the end). */
export function defaultRuntime(
  config: AppConfig,
  options: { readonly debug: boolean; readonly io: CliIo },
): CliRuntime {
  const logger = createJsonLogger({
    level: options.debug ? 'debug' : 'warn',
    fields: { org: config.orgId },
    write: (line) => {
      options.io.stderr(`${line}\n`);
    },
  });
  const container = createContainer(config, { logger });
  // Only the dead-letter commands need an admin client; the SDK is loaded for them alone.
  let pubsub: Promise<PubSub> | null = null;
  return {
    operator: createOperator(container),
    async deadLetters(topic) {
      pubsub ??= import('@google-cloud/pubsub').then(
        (sdk) => new sdk.PubSub(config.projectId ? { projectId: config.projectId } : {}),
      );
      return new PubSubDeadLetterQueue({ pubsub: await pubsub, topic });
    },
    async close() {
      await Promise.allSettled([container.close(), pubsub?.then((client) => client.close())]);
    },
  };
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  deps: CliDeps = {},
): Promise<number> {
  let cli: ParsedCli;
  try {
    cli = parseCli(argv);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, error, argv.includes('--json'));
    throw error;
  }
  if (cli.command.kind === 'help') {
    io.stdout(USAGE);
    return EXIT_OK;
  }

  const loadEnvFile =
    deps.loadEnvFile ??
    ((path: string) => {
      process.loadEnvFile(path);
    });
  const root = deps.projectRoot ?? PROJECT_ROOT;
  const envFile = cli.envFile ?? resolve(root, '.env');
  if (cli.envFile !== null && !existsSync(envFile)) {
    return usageFailure(io, new UsageError(`The env file ${envFile} does not exist.`), cli.json);
  }
  const loaded = existsSync(envFile);
  if (loaded) {
    try {
      loadEnvFile(envFile);
    } catch (error) {
      return usageFailure(
        io,
        new UsageError(`Cannot load the env file ${envFile} (${codeOf(error)}).`),
        cli.json,
      );
    }
  }
  // From here on, every command printed for the operator to run names the env file this run was given.
  const out = hintingIo(io, cli, cli.envFile === null ? null : pathForHint(cli.envFile, root));

  let config: AppConfig;
  try {
    config = parseConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      const stackEnvFile = localStackEnvFile(root);
      const again = commandLine(cli.command);
      const message = loaded
        ? error.message
        : missingConfigMessage(
            error.problems,
            stackEnvFile === null ? null : pathForHint(stackEnvFile, root),
            (file) => `npm run cli -- --env-file ${file} ${again}`,
          );
      return failure(out, cli, 'configuration', message, error.problems);
    }
    throw error;
  }

  let input: OrgSetupInput | null = null;
  if (cli.command.kind === 'org setup') {
    try {
      input = setupInput(cli.command, io.env, config);
    } catch (error) {
      if (error instanceof UsageError) return usageFailure(io, error, cli.json);
      throw error;
    }
  }

  // A stopped local stack is said at once: its clients would retry the emulators for about 45 s.
  const silent = await firstSilent(
    localStackAddresses(io.env, {
      'the Severa simulator': config.severa.apiUrl,
      'the Google Calendar simulator': config.google.rootUrl,
    }),
    deps.probe,
  );
  if (silent !== null) {
    return failure(
      out,
      cli,
      'stack-not-running',
      stackDownMessage(silent, startCommand(loaded ? envFile : null)),
    );
  }

  const runtime = (deps.runtime ?? defaultRuntime)(config, { debug: cli.debug, io });
  try {
    const output = await execute(runtime, cli.command, input, config);
    out.stdout(cli.json ? `${JSON.stringify(output.data, null, 2)}\n` : output.text);
    return output.failed === true ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    return reportError(out, cli, error);
  } finally {
    await runtime.close();
  }
}

/**
 * `io` for what the CLI prints for a person: text naming `npm run cli -- …` commands gets `--env-file` put in
 * ({@link withEnvFile}). JSON output is data and left as it is.
 */
function hintingIo(io: CliIo, cli: ParsedCli, envFile: string | null): CliIo {
  if (envFile === null) return io;
  return {
    env: io.env,
    stdout: (text) => {
      io.stdout(cli.json ? text : withEnvFile(text, envFile));
    },
    stderr: (text) => {
      io.stderr(withEnvFile(text, envFile));
    },
  };
}

interface Output {
  readonly data: unknown;
  readonly text: string;
  /** The command did part of its work and then failed (exit 1 after the output). */
  readonly failed?: boolean;
}

async function execute(
  runtime: CliRuntime,
  command: Exclude<CliCommand, { kind: 'help' }>,
  input: OrgSetupInput | null,
  config: AppConfig,
): Promise<Output> {
  const { operator } = runtime;
  switch (command.kind) {
    case 'org setup': {
      if (input === null) throw new Error('setup input missing');
      const result = await operator.setupOrg(input);
      return {
        data: result,
        text: lines([
          `Organisation settings saved (org "${config.orgId}").`,
          `  Service account:   ${result.config.serviceAccountEmail} (delegated token obtained for ${result.testUserEmail})`,
          `  Severa client id:  ${result.config.severaClientId} (scopes: ${result.severaScopes.join(', ') || '-'})`,
          `  Synced to Google:  ${result.syncedTypes.map((t) => t.name).join(', ')}`,
          `  Integration:       ${result.config.enabled ? 'on' : 'off (switch it on with: npm run cli -- org enable)'}`,
          `  Secrets saved:     ${result.savedSecrets.join(', ')} (values not shown)`,
        ]),
      };
    }
    case 'org show': {
      const view = await operator.showOrg();
      const org = view.config;
      const secrets = Object.entries(view.secrets).map(([name, state]) => `${name}: ${state}`);
      return {
        data: view,
        text:
          org === null
            ? lines([
                `Organisation "${view.orgId}" is not set up yet; set it up with: npm run cli -- org setup ` +
                  '--service-account <email> --p12 <path> --types <names> --test-user <email>',
                `  Secrets:           ${secrets.join(', ')}`,
              ])
            : lines([
                `Organisation "${view.orgId}"`,
                `  Integration:       ${org.enabled ? 'on' : 'off'}`,
                `  Service account:   ${org.serviceAccountEmail}`,
                `  Severa client id:  ${org.severaClientId}`,
                `  Synced to Google:  ${view.syncedTypes.map((t) => t.name).join(', ') || '(none)'}`,
                `  Conflict policy:   ${org.sync.conflictPolicy}`,
                `  Updated:           ${org.updatedAt}`,
                `  Secrets:           ${secrets.join(', ')}`,
              ]),
      };
    }
    case 'org enable':
    case 'org disable': {
      const org = await operator.setOrgEnabled(command.kind === 'org enable');
      return {
        data: org,
        text: lines([`The integration is now ${org.enabled ? 'on' : 'off'} for the organisation.`]),
      };
    }
    case 'user disable': {
      const result = await operator.disableUser(command.email);
      return {
        data: result,
        text: lines([
          result.wasEnabled
            ? `Sync is now off for ${result.email}. Links are kept: switching it on again resumes without duplicates.`
            : `Sync was not on for ${result.email}; nothing changed.`,
        ]),
      };
    }
    case 'user status': {
      if (command.email !== null) {
        const view = await operator.userStatus(command.email);
        return { data: view, text: statusText(view) };
      }
      const [org, views] = await Promise.all([operator.showOrg(), operator.listStatuses()]);
      const integration = org.config === null ? 'not set up' : org.config.enabled ? 'on' : 'off';
      return {
        data: { integration, users: views },
        text: lines([`Organisation integration: ${integration}`, '', ...statusTable(views)]),
      };
    }
    case 'user preview': {
      const result = await operator.previewUser(command.email);
      const p = result.preview;
      const examples = (label: string, titles: readonly string[]) =>
        titles.length === 0 ? [] : [`  ${label}: ${titles.map((t) => `"${t}"`).join(', ')}`];
      return {
        data: result,
        text: lines([
          `Preview for ${result.user.email} (${result.firstSync ? 'the first sync' : 'the next sync'}; nothing has been written):`,
          `  ${p.createInGoogle} to create in Google / ${p.createInSevera} in Severa / ${p.matched} matched`,
          `  ${p.updateGoogle} to update in Google / ${p.updateSevera} in Severa; ${p.deleteInGoogle} to delete in Google / ${p.deleteInSevera} in Severa`,
          ...examples('To create in Google', p.examples.createInGoogle),
          ...examples('To create in Severa', p.examples.createInSevera),
          ...examples('Matched', p.examples.matched),
          ...leftOutLine(p.leftOut),
          ...(p.held === null ? [] : [`  Held: ${JSON.stringify(p.held)}`]),
          ...result.problems.map((problem) => `  Problem: ${problem}`),
          ...(result.enabled
            ? []
            : ['Only the person can switch their sync on: in the console, My calendar sync (S2).']),
        ]),
      };
    }
    case 'user resync': {
      const result = await operator.resync(command.email, { full: command.full });
      return {
        data: result,
        text: lines([
          result.full
            ? `Full resync requested for ${result.user.email}: the Google sync token was cleared (links are kept, so nothing is duplicated).`
            : `Resync requested for ${result.user.email}.`,
        ]),
      };
    }
    case 'user hold': {
      const result = await operator.decideHold(command.email, command.decision, command.by ?? whoAmI());
      return {
        data: result,
        text: lines([
          command.decision === 'confirm'
            ? `Confirmed ${result.deletions} held deletions for ${result.user.email}: the next sync applies them.`
            : `Rejected ${result.deletions} held deletions for ${result.user.email}: the next sync restores the entries.`,
          'The decision is in the audit trail. A sync was requested now.',
        ]),
      };
    }
    case 'dead-letters list':
    case 'dead-letters replay': {
      if (runtime.deadLetters === undefined) throw new Error('this runtime has no Pub/Sub client');
      const topic = command.topic ?? config.syncRequestsTopic;
      const queue = await runtime.deadLetters(topic);
      try {
        return command.kind === 'dead-letters list'
          ? await listDeadLetters(queue, command.limit, command.topic)
          : await replayDeadLetters(queue, command.limit);
      } finally {
        await queue.close();
      }
    }
  }
}

async function listDeadLetters(
  queue: DeadLetterQueue,
  limit: number,
  topicOption: string | null,
): Promise<Output> {
  const listing = await queue.list(limit);
  const where = `"${listing.topic}" (subscription ${listing.subscription})`;
  if (listing.messages.length === 0) {
    return { data: listing, text: lines([`No dead letters of ${where}.`]) };
  }
  const count = listing.messages.length;
  return {
    data: listing,
    text: lines([
      `${count} dead letter${count === 1 ? '' : 's'} of ${where}` +
        (listing.limited ? ` (the first ${limit}; there may be more: --limit <n>)` : '') +
        '; nothing was removed.',
      ...listing.messages.flatMap(deadLetterLines),
      // The same topic's dead letters, so the hint replays what was listed.
      `Publish them again with: npm run cli -- dead-letters replay${topicOption === null ? '' : ` --topic ${shellWord(topicOption)}`}`,
    ]),
  };
}

function deadLetterLines(d: DeadLetter): string[] {
  const attributes = Object.entries(d.attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  const gaveUp =
    d.deliveryAttempts === null
      ? ''
      : ` after ${d.deliveryAttempts} deliveries${d.sourceSubscription === null ? '' : ` to ${d.sourceSubscription}`}`;
  return [
    `  ${d.messageId}  dead-lettered ${dash(d.deadLetteredAt)}${gaveUp}; first published ${dash(d.firstPublishedAt)}`,
    `      ${d.summary}`,
    `      attributes: ${attributes.join(', ') || '-'}`,
  ];
}

async function replayDeadLetters(queue: DeadLetterQueue, limit: number): Promise<Output> {
  const result = await queue.replay(limit);
  const count = result.replayed.length;
  const done =
    count === 0
      ? [`No dead letters of "${result.topic}" to replay (subscription ${result.subscription}).`]
      : [
          `Replayed ${count} dead letter${count === 1 ? '' : 's'} to "${result.topic}" and removed ` +
            `${count === 1 ? 'it' : 'them'} from ${result.subscription} (dead letter → new message id):`,
          ...result.replayed.map((r) => `  ${r.messageId} → ${r.newMessageId}`),
          'Each copy is a new request with a new message id: the worker skips one whose person has synced since.',
        ];
  if (result.stoppedBy === null) return { data: result, text: lines(done) };
  return {
    data: result,
    failed: true,
    text: lines([
      ...done,
      `Stopped: ${result.stoppedBy} The dead letters not replayed are still there; run the command again.`,
    ]),
  };
}

/** Who runs the CLI, for the audit trail of a decision. */
function whoAmI(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Google's names for the event types the sync leaves out, as a person calls them. */
const EVENT_TYPE_NAMES: Readonly<Record<string, string>> = {
  workingLocation: 'working location',
  birthday: 'birthday',
  fromGmail: 'from Gmail',
};

function leftOutLine(leftOut: Readonly<Record<string, number>>): string[] {
  const parts = Object.entries(leftOut)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${n} ${EVENT_TYPE_NAMES[type] ?? type}`);
  return parts.length === 0 ? [] : [`  Left out (not calendar entries): ${parts.join(', ')}`];
}

function lines(items: readonly string[]): string {
  return `${items.join('\n')}\n`;
}

const dash = (v: string | number | null) => (v === null || v === '' ? '-' : String(v));

function statusText(v: UserStatusView): string {
  return lines([
    v.email,
    `  State:            ${v.state}${v.enabled ? '' : ' (sync is off)'}`,
    `  Severa user:      ${dash(v.severaUserGuid)}`,
    `  Last success:     ${dash(v.lastSuccessAt)}`,
    `  Pending retries:  ${v.pendingRetries}`,
    `  Channel expires:  ${dash(v.channelExpiresAt)}`,
    `  Last reconcile:   ${dash(v.lastReconcileAt)}`,
    ...(v.progress === null
      ? []
      : [`  Initial sync:     ${String(v.progress.done)} of ${String(v.progress.total)} changes made`]),
    ...(v.behindSince === null ? [] : [`  Behind since:     ${v.behindSince} (no sync has finished since)`]),
    ...(v.hold === null
      ? []
      : v.hold.decision === null
        ? [
            `  Held deletions:   ${v.hold.deletions} (${v.hold.reason}, since ${v.hold.since}); decide with one of:`,
            `    apply them:     npm run cli -- user hold confirm ${v.email}`,
            `    restore them:   npm run cli -- user hold reject ${v.email}`,
            ...heldItemLines(v.hold.items, v.hold.deletions),
          ]
        : [
            `  Held deletions:   ${v.hold.deletions} (${v.hold.reason}, since ${v.hold.since}; ` +
              `${v.hold.decision.kind === 'confirm' ? 'confirmed' : 'rejected'} by ${v.hold.decision.by}, applied by the next sync)`,
          ]),
    `  Message:          ${dash(v.message)}`,
  ]);
}

/** The first held deletions by title and day, and how many more there are. */
function heldItemLines(items: readonly HeldItemView[], total: number): string[] {
  const shown = items.slice(0, 10);
  return [
    ...shown.map(
      (i) =>
        `    would delete:   "${i.title === '' ? '(No title)' : i.title}"${i.date === null ? '' : ` (${i.date})`} ` +
        `from ${i.from === 'google' ? 'Google' : 'Severa'}`,
    ),
    ...(total > shown.length ? [`    … and ${total - shown.length} more`] : []),
  ];
}

function statusTable(views: readonly UserStatusView[]): string[] {
  if (views.length === 0) return ['Nobody has switched sync on yet.'];
  const header = [
    'EMAIL',
    'STATE',
    'LAST SUCCESS',
    'RETRIES',
    'CHANNEL EXPIRES',
    'LAST RECONCILE',
    'MESSAGE',
  ];
  const rows = views.map((v) => [
    v.email,
    v.behindSince === null ? v.state : `${v.state}, behind`,
    dash(v.lastSuccessAt),
    String(v.pendingRetries),
    dash(v.channelExpiresAt),
    dash(v.lastReconcileAt),
    dash(v.message),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

// ---------------------------------------------------------------------------------------------------------------
// Failures

function usageFailure(io: CliIo, error: UsageError, json: boolean): number {
  if (json) io.stdout(`${JSON.stringify({ error: { code: 'usage', message: error.message } }, null, 2)}\n`);
  io.stderr(`${error.message}\n\n${USAGE}`);
  return EXIT_USAGE;
}

function failure(
  io: CliIo,
  cli: ParsedCli,
  code: string,
  message: string,
  problems: readonly unknown[] = [],
  extra: readonly string[] = [],
): number {
  if (cli.json) {
    io.stdout(
      `${JSON.stringify({ error: { code, message, ...(problems.length > 0 ? { problems } : {}) } }, null, 2)}\n`,
    );
  } else {
    io.stderr(lines([message, ...extra]));
  }
  return EXIT_FAILED;
}

function reportError(io: CliIo, cli: ParsedCli, error: unknown): number {
  if (error instanceof SetupValidationError) {
    const count = error.problems.length;
    return failure(
      io,
      cli,
      error.code,
      `The organisation settings were not saved: ${count} problem${count === 1 ? '' : 's'} found.`,
      cli.json
        ? [...error.problems, ...error.unchecked.map((u) => ({ check: 'unchecked', message: u }))]
        : [],
      [
        ...error.problems.map((p) => `  - [${p.check}] ${p.message}`),
        ...(error.unchecked.length === 0
          ? []
          : ['Not checked yet:', ...error.unchecked.map((u) => `  - ${u}`)]),
      ],
    );
  }
  if (error instanceof OperatorError) return failure(io, cli, error.code, error.message);
  if (error instanceof PermanentError) return failure(io, cli, error.code, error.userMessage);
  if (error instanceof SyncError && error.transient) {
    return failure(
      io,
      cli,
      error.code,
      `A service could not be reached or is busy (${error.message}). Nothing was changed by this failure; try again in a minute.`,
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  const detail = error instanceof Error ? redactString(error.message) : '';
  const stack = cli.debug && error instanceof Error && error.stack ? [redactString(error.stack)] : [];
  return failure(
    io,
    cli,
    'unexpected',
    `Unexpected error (${name}${detail === '' ? '' : `: ${detail}`}).${cli.debug ? '' : ' Run again with --debug for details.'}`,
    [],
    stack,
  );
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
}

// ---------------------------------------------------------------------------------------------------------------

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
  // Every client was closed; should a library still hold a handle, do not hang the operator's terminal.
  setTimeout(() => process.exit(code), 2_000).unref();
}
