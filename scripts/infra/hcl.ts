/**
 * The Terraform configuration under infra/ as data: every `.tf` file parsed by HashiCorp's own HCL parser (the Go
 * library compiled to WebAssembly in `@cdktf/hcl2json`, which runs offline), grouped by module directory, and a
 * small resolver that follows plain references (`var.x`, `local.y.z`, `each.key`, `each.value.w`) through module
 * calls, so the checks can read the values a function is deployed with.
 *
 * hcl2json's shapes: `resource.<type>.<name>` and `data.<type>.<name>` are lists of bodies; a nested block is a list
 * of objects; an expression that is not a literal is a string `${…}`; `locals` is a list of objects.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Loaded with require() and typed here: the package's own declarations reference the DOM library, which would
 * change the global types (fetch, Response) of the whole project.
 */
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse: (filename: string, contents: string) => Promise<unknown>;
};

export type Body = Record<string, unknown>;

export interface Block {
  /** The file, relative to the infra root. */
  readonly file: string;
  readonly body: Body;
}

export interface ResourceBlock extends Block {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
}

export interface NamedBlock extends Block {
  readonly name: string;
}

export interface ModuleDir {
  /** Relative to the infra root: `.` for the root module, `modules/function`, … */
  readonly dir: string;
  readonly files: readonly string[];
  readonly resources: readonly ResourceBlock[];
  readonly moduleCalls: readonly NamedBlock[];
  readonly variables: readonly NamedBlock[];
  readonly outputs: readonly NamedBlock[];
  readonly providers: readonly NamedBlock[];
  readonly terraform: readonly Block[];
  readonly locals: Readonly<Record<string, unknown>>;
}

export interface InfraConfig {
  readonly root: string;
  readonly modules: ReadonlyMap<string, ModuleDir>;
}

function tfFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.')) continue;
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.tf')) found.push(full);
    }
  };
  walk(root);
  return found;
}

const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each body of a `label → [body, …]` map (hcl2json's shape for labelled blocks). */
function labelled(value: unknown): [string, Body][] {
  if (!isObject(value)) return [];
  const out: [string, Body][] = [];
  for (const [label, bodies] of Object.entries(value)) {
    for (const body of Array.isArray(bodies) ? bodies : [bodies]) if (isObject(body)) out.push([label, body]);
  }
  return out;
}

/** Parses every `.tf` file under `root`; a file HCL cannot parse is an error naming it. */
export async function loadInfra(root: string): Promise<InfraConfig> {
  const modules = new Map<string, ModuleDir & { files: string[] }>();
  for (const full of tfFiles(root)) {
    const file = path.relative(root, full);
    let json: Body;
    try {
      json = (await parse(file, readFileSync(full, 'utf8'))) as Body;
    } catch (error) {
      throw new Error(`${file}: not valid HCL: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    const dir = path.dirname(file);
    let mod = modules.get(dir);
    if (mod === undefined) {
      mod = {
        dir,
        files: [],
        resources: [],
        moduleCalls: [],
        variables: [],
        outputs: [],
        providers: [],
        terraform: [],
        locals: {},
      };
      modules.set(dir, mod);
    }
    mod.files.push(path.basename(file));
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of labelled(json[kind]).map(([t, b]) => [t, b] as const)) {
        for (const [name, body] of labelled(byName)) {
          (mod.resources as ResourceBlock[]).push({ kind, type, name, body, file });
        }
      }
    }
    const named = (key: string, into: NamedBlock[]) => {
      for (const [name, body] of labelled(json[key])) into.push({ name, body, file });
    };
    named('module', mod.moduleCalls as NamedBlock[]);
    named('variable', mod.variables as NamedBlock[]);
    named('output', mod.outputs as NamedBlock[]);
    named('provider', mod.providers as NamedBlock[]);
    for (const body of Array.isArray(json.terraform) ? json.terraform : []) {
      if (isObject(body)) (mod.terraform as Block[]).push({ file, body });
    }
    for (const body of Array.isArray(json.locals) ? json.locals : []) {
      if (isObject(body)) Object.assign(mod.locals, body);
    }
  }
  return { root, modules };
}

// ---------------------------------------------------------------------------------------------------------------
// Resolving values

/** A reference the resolver cannot follow (a resource attribute, a module output), kept as written. */
export interface Unresolved {
  readonly unresolved: string;
}

export const isUnresolved = (v: unknown): v is Unresolved => isObject(v) && typeof v.unresolved === 'string';

/** Where an expression is evaluated: a module instance, with the call that made it. */
export interface Each {
  readonly key: string;
  readonly value: unknown;
}

export interface Scope {
  readonly module: ModuleDir;
  /** `each` of the resource being read, when it has a `for_each`. */
  readonly each?: Each;
  /** The call that made this module instance, the scope it was made in and its `each`; none for the root. */
  readonly caller?: { readonly call: NamedBlock; readonly scope: Scope; readonly each?: Each };
  /** A readable address, e.g. `module.functions["console"]`. */
  readonly address: string;
}

const PURE_REFERENCE = /^\$\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\["[^"\]]*"\]|\[\d+\])*)\}$/;

/** `a.b["c"][0]` → ['a', 'b', 'c', '0']. */
function steps(traversal: string): string[] {
  return [...traversal.matchAll(/([A-Za-z_][\w-]*)|\["([^"\]]*)"\]|\[(\d+)\]/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );
}

function navigate(value: unknown, path: readonly string[], scope: Scope, depth: number): unknown {
  let current = value;
  for (const [i, step] of path.entries()) {
    current = resolve(current, scope, depth + 1);
    if (isUnresolved(current)) {
      const rest = path.slice(i).map((s) => `["${s}"]`);
      return { unresolved: `${current.unresolved}${rest.join('')}` };
    }
    if (Array.isArray(current)) current = current[Number(step)];
    else if (isObject(current)) current = current[step];
    else return undefined;
  }
  return resolve(current, scope, depth + 1);
}

/**
 * The value of `value` in `scope`: literals as they are, objects and lists element by element, a pure reference
 * followed where it leads, a template with every part it can resolve filled in. What it cannot follow is returned
 * as {@link Unresolved} (or, inside a template, left as `${…}`).
 */
export function resolve(value: unknown, scope: Scope, depth = 0): unknown {
  if (depth > 50) throw new Error(`${scope.address}: references nest too deep (a cycle?)`);
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope, depth + 1));
  if (isObject(value)) {
    if (isUnresolved(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, scope, depth + 1)]));
  }
  if (typeof value !== 'string' || !value.includes('${')) return value;
  const pure = PURE_REFERENCE.exec(value);
  if (pure) return resolveReference(pure[1] ?? '', scope, depth);
  // A template: each `${reference}` that resolves to a string or number is put in; a template with an
  // interpolation inside an interpolation (a conditional, a function call) is left as it is.
  if (hasNestedInterpolation(value)) return value;
  return value.replace(/\$\{([^{}]*)\}/g, (whole, inner: string) => {
    if (!PURE_REFERENCE.test(`\${${inner}}`)) return whole;
    const part = resolveReference(inner, scope, depth);
    return typeof part === 'string' || typeof part === 'number' ? String(part) : whole;
  });
}

function hasNestedInterpolation(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text.startsWith('${', i)) {
      if (depth > 0) return true;
      depth += 1;
      i += 1;
    } else if (text[i] === '{' && depth > 0) depth += 1;
    else if (text[i] === '}' && depth > 0) depth -= 1;
  }
  return false;
}

function resolveReference(traversal: string, scope: Scope, depth: number): unknown {
  const [head, name, ...rest] = steps(traversal);
  if (head === 'local' && name !== undefined && name in scope.module.locals) {
    return navigate(scope.module.locals[name], rest, scope, depth);
  }
  if (head === 'each' && scope.each !== undefined) {
    if (name === 'key') return scope.each.key;
    if (name === 'value') return navigate(scope.each.value, rest, scope, depth);
  }
  if (head === 'var' && name !== undefined) {
    const argument = scope.caller?.call.body[name];
    if (scope.caller !== undefined && argument !== undefined) {
      const { each, scope: outer } = scope.caller;
      const value = resolve(argument, each === undefined ? outer : { ...outer, each }, depth + 1);
      return navigate(value, rest, scope, depth);
    }
    const declared = scope.module.variables.find((v) => v.name === name);
    if (declared !== undefined && 'default' in declared.body) {
      return navigate(declared.body.default, rest, scope, depth);
    }
  }
  return { unresolved: traversal };
}

/** The module instances a call makes: one per `for_each` key it can resolve, else one. */
export function callInstances(
  config: InfraConfig,
  call: NamedBlock,
  scope: Scope,
): { scope: Scope; module: ModuleDir | undefined }[] {
  const source = typeof call.body.source === 'string' ? call.body.source : '';
  const dir = path.normalize(path.join(scope.module.dir, source));
  const module = config.modules.get(dir);
  const base = `${scope.address === '' ? '' : `${scope.address}.`}module.${call.name}`;
  const forEach = call.body.for_each === undefined ? undefined : resolve(call.body.for_each, scope);
  const make = (address: string, each?: Each): { scope: Scope; module: ModuleDir | undefined } => ({
    module,
    scope: {
      module: module ?? scope.module,
      address,
      caller: { call, scope, ...(each === undefined ? {} : { each }) },
    },
  });
  if (isObject(forEach) && !isUnresolved(forEach)) {
    return Object.entries(forEach).map(([key, value]) => make(`${base}["${key}"]`, { key, value }));
  }
  return [make(base)];
}

/** Every module instance reachable from the root (the root first). */
export function moduleInstances(config: InfraConfig): { scope: Scope; module: ModuleDir }[] {
  const root = config.modules.get('.');
  if (root === undefined) return [];
  const out: { scope: Scope; module: ModuleDir }[] = [];
  const visit = (scope: Scope, module: ModuleDir) => {
    out.push({ scope, module });
    for (const call of module.moduleCalls) {
      for (const instance of callInstances(config, call, scope)) {
        if (instance.module !== undefined) visit(instance.scope, instance.module);
      }
    }
  };
  visit({ module: root, address: '' }, root);
  return out;
}

/** The first (and, for a nesting block, only) body of a nested block. */
export function nested(body: Body | undefined, ...names: string[]): Body | undefined {
  let current: Body | undefined = body;
  for (const name of names) {
    const value: unknown = current?.[name];
    const first: unknown = Array.isArray(value) ? value[0] : value;
    current = isObject(first) ? first : undefined;
  }
  return current;
}

export { isObject };
