/**
 * `npm run cloudbuild:check`: `cloudbuild.yaml` checked offline, before Cloud Build ever sees it.
 *
 * 1. **Its schema.** A build config file is the Cloud Build API's `Build` resource written in YAML
 *    (cloud.google.com/build/docs/build-config-file-schema). SchemaStore's `cloudbuild.json` is not carried by any npm
 *    package (the `@schemastore/*` packages on npm are TypeScript definitions of a few other schemas), so the schema
 *    is derived here from the official definition that is on npm: the `google.devtools.cloudbuild.v1.Build` message
 *    in `@google-cloud/cloudbuild`'s `protos.json` (the same .proto the API is built from), in its JSON mapping
 *    (camelCase names, enums by name, `Duration` as `"600s"`, 64-bit integers as numbers or digit strings). Every
 *    object is closed, so a misspelt key fails; output-only fields (`status`, `timing`, …) are refused; the top
 *    level is limited to the fields the config-file page lists (`source`, `gitConfig` and `dependencies` are API
 *    request fields). gcloud also accepts snake_case keys; this check does not.
 * 2. **What the schema cannot say.** Every step has a unique `id`; `waitFor` names `-` or an earlier step; images
 *    are pinned to an exact version or a digest, and the Node image to the `node` devDependency's version (Cloud
 *    Build runs the Node that npm scripts run here); `npm run X` names a script of package.json; `dir`, `-chdir=`
 *    and source paths in arguments exist; every `$NAME` is a built-in substitution or one declared under
 *    `substitutions`, and every declared one is used (Cloud Build's default MUST_MATCH fails the build otherwise;
 *    a shell variable is written `$$NAME`).
 * 3. **The Terraform it drives**, when `infra/` is there: each `TF_VAR_name` a Terraform step sets is a variable of
 *    the root module, and the root module keeps its state in a `gcs` backend (the `-backend-config` of `init`).
 *
 *   node --import tsx scripts/cloudbuild-check.ts [file]     (default: cloudbuild.yaml)
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The config file's top-level fields (build-config-file-schema, "Structure of a build config file"). */
export const CONFIG_FILE_FIELDS = [
  'steps',
  'timeout',
  'queueTtl',
  'logsBucket',
  'options',
  'substitutions',
  'tags',
  'serviceAccount',
  'secrets',
  'availableSecrets',
  'artifacts',
  'images',
] as const;

/** Substitutions Cloud Build provides itself (cloud.google.com/build/docs/configuring-builds/substitute-variable-values). */
export const BUILT_IN_SUBSTITUTIONS: ReadonlySet<string> = new Set([
  'PROJECT_ID',
  'PROJECT_NUMBER',
  'BUILD_ID',
  'LOCATION',
  'TRIGGER_NAME',
  'COMMIT_SHA',
  'REVISION_ID',
  'SHORT_SHA',
  'REPO_NAME',
  'REPO_FULL_NAME',
  'BRANCH_NAME',
  'TAG_NAME',
  'REF_NAME',
  'TRIGGER_BUILD_CONFIG_PATH',
  'SERVICE_ACCOUNT_EMAIL',
  'SERVICE_ACCOUNT',
  '_HEAD_BRANCH',
  '_BASE_BRANCH',
  '_HEAD_REPO_URL',
  '_PR_NUMBER',
]);

type JsonSchema = Record<string, unknown>;

interface ProtoField {
  readonly type: string;
  readonly rule?: string;
  readonly keyType?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

interface ProtoNode {
  readonly fields?: Readonly<Record<string, ProtoField>>;
  readonly values?: Readonly<Record<string, number>>;
  readonly nested?: Readonly<Record<string, ProtoNode>>;
}

const BUILD_MESSAGE = 'google.devtools.cloudbuild.v1.Build';

/** The proto definitions, as `@google-cloud/cloudbuild` ships them. */
export function loadCloudBuildProtos(): ProtoNode {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@google-cloud/cloudbuild');
  // main is build/src/index.js; the protos are in build/protos.
  const file = join(dirname(main), '..', 'protos', 'protos.json');
  return JSON.parse(readFileSync(file, 'utf8')) as ProtoNode;
}

function lookup(root: ProtoNode, fullName: string): ProtoNode | undefined {
  let node: ProtoNode | undefined = root;
  for (const part of fullName.split('.')) node = node?.nested?.[part];
  return node;
}

/** Resolves a type name as protobuf does: from the innermost scope outwards. */
function resolve(root: ProtoNode, scope: string, name: string): string {
  const parts = scope.split('.');
  for (let i = parts.length; i >= 0; i -= 1) {
    const candidate = [...parts.slice(0, i), name].join('.');
    if (lookup(root, candidate) !== undefined) return candidate;
  }
  throw new Error(`cannot resolve proto type ${name} from ${scope}`);
}

const SCALARS: Readonly<Record<string, JsonSchema>> = {
  string: { type: 'string' },
  bytes: { type: 'string' },
  bool: { type: 'boolean' },
  double: { type: 'number' },
  float: { type: 'number' },
  int32: { type: 'integer' },
  uint32: { type: 'integer', minimum: 0 },
  sint32: { type: 'integer' },
  fixed32: { type: 'integer', minimum: 0 },
  sfixed32: { type: 'integer' },
  // 64-bit integers: strings in the JSON mapping; YAML writers use numbers too.
  int64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] },
  uint64: {
    anyOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', pattern: '^[0-9]+$' },
    ],
  },
  sint64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] },
  fixed64: {
    anyOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', pattern: '^[0-9]+$' },
    ],
  },
  sfixed64: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] },
};

const WELL_KNOWN: Readonly<Record<string, JsonSchema>> = {
  'google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' },
  'google.protobuf.Timestamp': { type: 'string' },
};

/** The JSON schema of a proto message in its JSON mapping, without output-only fields. */
export function messageSchema(root: ProtoNode, fullName: string): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  const ref = (name: string): JsonSchema => {
    const wellKnown = WELL_KNOWN[name];
    if (wellKnown) return wellKnown;
    const node = lookup(root, name);
    if (node === undefined) throw new Error(`no proto type ${name}`);
    if (node.values) return { enum: Object.keys(node.values) };
    if (!(name in definitions)) {
      definitions[name] = {};
      const properties: Record<string, JsonSchema> = {};
      for (const [field, spec] of Object.entries(node.fields ?? {})) {
        if (spec.options?.['(google.api.field_behavior)'] === 'OUTPUT_ONLY') continue;
        const value = SCALARS[spec.type] ?? ref(resolve(root, name, spec.type));
        properties[field] =
          spec.keyType !== undefined
            ? { type: 'object', additionalProperties: value }
            : spec.rule === 'repeated'
              ? { type: 'array', items: value }
              : value;
      }
      definitions[name] = { type: 'object', properties, additionalProperties: false };
    }
    return { $ref: `#/definitions/${name}` };
  };
  const top = ref(fullName);
  return { ...top, definitions };
}

/** The schema of a config file: the Build message, closed to the config-file fields, `steps` required. */
export function cloudBuildConfigSchema(root: ProtoNode = loadCloudBuildProtos()): JsonSchema {
  const schema = messageSchema(root, BUILD_MESSAGE);
  const definitions = schema.definitions as Record<string, JsonSchema>;
  const build = definitions[BUILD_MESSAGE] as { properties: Record<string, JsonSchema> };
  const properties: Record<string, JsonSchema> = {};
  for (const field of CONFIG_FILE_FIELDS) {
    const property = build.properties[field];
    if (property === undefined) throw new Error(`the Build message has no field ${field}`);
    properties[field] = property;
  }
  const stepName = 'google.devtools.cloudbuild.v1.BuildStep';
  const step = definitions[stepName] as JsonSchema;
  definitions[stepName] = { ...step, required: ['name'] };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties,
    required: ['steps'],
    additionalProperties: false,
    definitions,
  };
}

interface Step {
  readonly id?: string;
  readonly name: string;
  readonly entrypoint?: string;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  readonly dir?: string;
  readonly waitFor?: readonly string[];
  readonly script?: string;
}

interface Config {
  readonly steps: readonly Step[];
  readonly substitutions?: Readonly<Record<string, string>>;
  readonly options?: { readonly substitutionOption?: string };
}

function describeAjvError(error: ErrorObject): string {
  const at = error.instancePath === '' ? '(top level)' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${at}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'enum') {
    return `${at}: must be one of ${(error.params as { allowedValues: string[] }).allowedValues.join(', ')}`;
  }
  return `${at}: ${error.message ?? error.keyword}`;
}

/** Every string in a value, with where it is. */
function stringsIn(value: unknown, at: string): { at: string; text: string }[] {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${at}[${String(i)}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringsIn(v, `${at}.${k}`));
  }
  return [];
}

/** `$NAME` and `${NAME}` outside `$$` escapes. */
function substitutionsUsed(text: string): string[] {
  const names: string[] = [];
  const pattern = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  for (const match of text.matchAll(pattern)) {
    if (match[1] === '$') continue;
    const name = match[2] ?? match[3];
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** An image reference pinned to an exact version (x.y.z, with an optional variant) or a digest. */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  return tag !== undefined && /^v?\d+\.\d+\.\d+([-_.][A-Za-z0-9_.-]+)?$/.test(tag);
}

/** The variables a Terraform root module declares, and whether it keeps its state in a gcs backend. */
function terraformRoot(dir: string): { variables: Set<string>; gcsBackend: boolean } {
  const variables = new Set<string>();
  let gcsBackend = false;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.tf')) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    for (const match of text.matchAll(/^\s*variable\s+"([^"]+)"/gm)) variables.add(match[1] ?? '');
    if (/^\s*backend\s+"gcs"/m.test(text)) gcsBackend = true;
  }
  return { variables, gcsBackend };
}

export interface CheckResult {
  readonly errors: readonly string[];
}

/** Checks a Cloud Build config (its text) against the repository at `root`. */
export function checkCloudBuild(text: string, root: string = REPO_ROOT, schema?: JsonSchema): CheckResult {
  const errors: string[] = [];
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => `YAML: ${e.message}`) };
  const config: unknown = doc.toJS();

  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(schema ?? cloudBuildConfigSchema());
  if (!validate(config)) {
    return { errors: (validate.errors ?? []).map(describeAjvError) };
  }
  const { steps, substitutions = {}, options = {} } = config as Config;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const scripts = pkg.scripts ?? {};

  // Ids and the order they allow.
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    const where = `step ${String(i + 1)}${step.id ? ` (${step.id})` : ''}`;
    if (!step.id) errors.push(`${where}: has no id`);
    else if (seen.has(step.id)) errors.push(`${where}: id "${step.id}" is used twice`);
    for (const wanted of step.waitFor ?? []) {
      if (wanted === '-') continue;
      if (wanted === step.id) errors.push(`${where}: waits for itself`);
      else if (!seen.has(wanted))
        errors.push(`${where}: waitFor "${wanted}" is not the id of an earlier step`);
    }
    if (step.id) seen.add(step.id);
  });

  // Images.
  const nodeVersion = pkg.devDependencies?.node;
  for (const [i, step] of steps.entries()) {
    const where = `step ${String(i + 1)}${step.id ? ` (${step.id})` : ''}`;
    if (!isPinned(step.name)) errors.push(`${where}: image ${step.name} is not pinned to an exact version`);
    const nodeTag = /^(?:docker\.io\/)?(?:library\/)?node:(\d+\.\d+\.\d+)/.exec(step.name)?.[1];
    if (nodeTag !== undefined && nodeVersion !== undefined && nodeTag !== nodeVersion) {
      errors.push(`${where}: image ${step.name} is not Node ${nodeVersion}, the node devDependency`);
    }
  }

  // Commands and paths.
  for (const [i, step] of steps.entries()) {
    const where = `step ${String(i + 1)}${step.id ? ` (${step.id})` : ''}`;
    const args = step.args ?? [];
    const dir = step.dir ?? '';
    if (dir !== '' && !(existsSync(join(root, dir)) && statSync(join(root, dir)).isDirectory())) {
      errors.push(`${where}: dir ${dir} does not exist`);
    }
    const npmScripts: string[] = [];
    if (
      step.entrypoint === 'npm' ||
      (step.entrypoint === undefined && /cloud-builders\/npm/.test(step.name))
    ) {
      const [command, name] = args;
      if (command === 'run' || command === 'run-script') npmScripts.push(name ?? '');
      else if (command === 'test') npmScripts.push('test');
      else if (command !== 'ci')
        errors.push(`${where}: npm ${command ?? ''} is not npm ci or npm run <script>`);
    }
    for (const text of [...args, step.script ?? '']) {
      for (const match of text.matchAll(/\bnpm (?:run|run-script) ([\w:.-]+)/g))
        npmScripts.push(match[1] ?? '');
    }
    for (const name of npmScripts) {
      if (!(name in scripts)) errors.push(`${where}: npm script "${name}" is not in package.json`);
    }
    for (const arg of args) {
      const chdir = /^-chdir=(.+)$/.exec(arg)?.[1];
      if (chdir !== undefined && !existsSync(join(root, dir, chdir))) {
        errors.push(`${where}: -chdir=${chdir} does not exist`);
      }
      if (/^(\.\/)?[\w.-]+(\/[\w.-]+)+\.(ts|js|mjs|cjs|sh|tf|tfvars)$/.test(arg)) {
        if (!existsSync(join(root, posix.normalize(posix.join(dir, arg))))) {
          errors.push(`${where}: ${arg} does not exist`);
        }
      }
    }
  }

  // Substitutions.
  const declared = Object.keys(substitutions);
  for (const key of declared) {
    if (!/^_[A-Z0-9_]+$/.test(key)) errors.push(`substitution ${key}: a user substitution is _UPPER_CASE`);
  }
  const used = new Set<string>();
  for (const { at, text: value } of stringsIn({ ...(config as object), substitutions: undefined }, '')) {
    for (const name of substitutionsUsed(value)) {
      used.add(name);
      if (!BUILT_IN_SUBSTITUTIONS.has(name) && !declared.includes(name)) {
        errors.push(
          `${at}: $${name} is neither a built-in substitution nor declared (a shell variable is $$${name})`,
        );
      }
    }
  }
  if (options.substitutionOption !== 'ALLOW_LOOSE') {
    for (const key of declared) {
      if (!used.has(key)) errors.push(`substitution ${key} is declared but never used`);
    }
  }

  // The Terraform root module, when it is there.
  for (const [i, step] of steps.entries()) {
    if (!/^(?:docker\.io\/)?hashicorp\/terraform[:@]/.test(step.name)) continue;
    const where = `step ${String(i + 1)}${step.id ? ` (${step.id})` : ''}`;
    const moduleDir = join(root, step.dir ?? '');
    if (!existsSync(moduleDir)) continue; // reported above
    const tf = terraformRoot(moduleDir);
    for (const entry of step.env ?? []) {
      const variable = /^TF_VAR_([^=]+)=/.exec(entry)?.[1];
      if (variable !== undefined && !tf.variables.has(variable)) {
        errors.push(
          `${where}: TF_VAR_${variable} names no variable of the root module in ${step.dir ?? '.'}`,
        );
      }
    }
    if ((step.args ?? [])[0] === 'init' && !tf.gcsBackend) {
      errors.push(
        `${where}: the root module in ${step.dir ?? '.'} declares no backend "gcs" for -backend-config`,
      );
    }
  }
  return { errors };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? join(REPO_ROOT, 'cloudbuild.yaml');
  const { errors } = checkCloudBuild(readFileSync(file, 'utf8'));
  for (const error of errors) console.error(`${file}: ${error}`);
  console.log(errors.length === 0 ? `${file}: valid` : `${file}: ${String(errors.length)} problem(s)`);
  process.exit(errors.length === 0 ? 0 : 1);
}
