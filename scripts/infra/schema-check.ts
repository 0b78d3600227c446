/**
 * Every `resource`, `data` and `provider` block of the configuration against the google provider's schema
 * (provider-schema.ts): an unknown type, argument or nested block is a problem naming the file, the block and the
 * name. Also: every module pins the google provider to one major version that admits the version the schema is of.
 */
import type { InfraConfig } from './hcl.js';
import { isObject, type Body } from './hcl.js';
import type { BlockSchema, ProviderSchema } from './provider-schema.js';

/** Terraform's meta-arguments, allowed in any resource or data block whatever the provider. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle']);
const RESOURCE_ONLY_META = new Set(['provisioner', 'connection']);

export function checkSchema(config: InfraConfig, schema: ProviderSchema): string[] {
  const problems: string[] = [];
  const where = `google provider ${schema.providerVersion} (@cdktf/provider-google ${schema.packageVersion})`;
  for (const module of config.modules.values()) {
    for (const block of module.resources) {
      const label = `${block.kind === 'data' ? 'data ' : ''}${block.type}.${block.name}`;
      if (!block.type.startsWith('google_')) {
        problems.push(`${block.file}: ${label}: only the google provider is used here`);
        continue;
      }
      const found = schema.lookup(block.kind, block.type);
      if (found === null) {
        problems.push(`${block.file}: ${label}: no ${block.kind} type "${block.type}" in the ${where}`);
        continue;
      }
      const meta =
        block.kind === 'resource' ? new Set([...META_ARGUMENTS, ...RESOURCE_ONLY_META]) : META_ARGUMENTS;
      checkBody(block.body, found, meta, `${block.file}: ${label}`, '', problems);
    }
    for (const provider of module.providers) {
      if (provider.name !== 'google') {
        problems.push(`${provider.file}: provider "${provider.name}": only the google provider is used here`);
        continue;
      }
      const found = schema.lookup('provider', 'google');
      if (found === null) throw new Error(`the provider's own schema is missing from the ${where}`);
      checkBody(
        provider.body,
        found,
        new Set(['alias']),
        `${provider.file}: provider "google"`,
        '',
        problems,
      );
    }
  }
  return problems;
}

function checkBody(
  body: Body,
  schema: BlockSchema,
  meta: ReadonlySet<string>,
  label: string,
  path: string,
  problems: string[],
): void {
  for (const [name, value] of Object.entries(body)) {
    if (meta.has(name)) continue;
    if (name === 'dynamic') {
      for (const [blockName, generators] of Object.entries(isObject(value) ? value : {})) {
        const inner = schema.blocks.get(blockName);
        if (inner === undefined) {
          problems.push(`${label}: unknown nested block "${blockName}"${where(path)} (in a dynamic block)`);
          continue;
        }
        for (const generator of Array.isArray(generators) ? generators : [generators]) {
          const content: unknown = isObject(generator) ? generator.content : undefined;
          for (const part of Array.isArray(content) ? content : [content]) {
            if (isObject(part)) checkBody(part, inner, new Set(), label, join(path, blockName), problems);
          }
        }
      }
      continue;
    }
    if (schema.attributes.has(name)) continue;
    const inner = schema.blocks.get(name);
    if (inner === undefined) {
      problems.push(`${label}: unknown argument or block "${name}"${where(path)}`);
      continue;
    }
    for (const element of Array.isArray(value) ? value : [value]) {
      if (isObject(element)) checkBody(element, inner, new Set(), label, join(path, name), problems);
    }
  }
}

const join = (path: string, name: string) => (path === '' ? name : `${path}.${name}`);
const where = (path: string) => (path === '' ? '' : ` in ${path}`);

// ---------------------------------------------------------------------------------------------------------------
// Version pinning

type Version = readonly [number, number, number];

function parseVersion(text: string): Version | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Whether `version` meets a Terraform version constraint such as `>= 6.50.0, < 7.0.0` or `~> 6.50`. */
export function satisfies(constraint: string, version: string): boolean {
  const v = parseVersion(version);
  if (v === null) throw new Error(`not a version: ${version}`);
  return constraint.split(',').every((part) => {
    const m = /^\s*(>=|<=|!=|~>|=|>|<)?\s*(\S+)\s*$/.exec(part);
    const bound = m ? parseVersion(m[2] ?? '') : null;
    if (!m || bound === null) throw new Error(`not a version constraint: ${constraint}`);
    const c = compare(v, bound);
    switch (m[1] ?? '=') {
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      case '!=':
        return c !== 0;
      case '~>': {
        // ~> 6.50 allows 6.50 up to (not including) 7.0; ~> 6.50.1 allows 6.50.1 up to 6.51.
        const parts = (m[2] ?? '').split('.').length;
        const upper: Version = parts >= 3 ? [bound[0], bound[1] + 1, 0] : [bound[0] + 1, 0, 0];
        return c >= 0 && compare(v, upper) < 0;
      }
      default:
        return c === 0;
    }
  });
}

/** Every module's `required_providers.google`: hashicorp/google, admitting the schema's version, one major only. */
export function checkProviderPins(config: InfraConfig, schema: ProviderSchema): string[] {
  const problems: string[] = [];
  const version = schema.providerVersion;
  const major = Number(version.split('.')[0]);
  for (const module of config.modules.values()) {
    const pins: { file: string; pin: Body }[] = [];
    for (const block of module.terraform) {
      for (const required of Array.isArray(block.body.required_providers)
        ? block.body.required_providers
        : []) {
        const google: unknown = isObject(required) ? required.google : undefined;
        if (isObject(google)) pins.push({ file: block.file, pin: google });
      }
    }
    if (pins.length === 0) {
      problems.push(`${module.dir}: no terraform.required_providers.google (every module pins the provider)`);
      continue;
    }
    for (const { file, pin } of pins) {
      const constraint = typeof pin.version === 'string' ? pin.version : '';
      if (pin.source !== 'hashicorp/google') {
        problems.push(`${file}: required_providers.google.source must be hashicorp/google`);
      }
      if (constraint === '') {
        problems.push(`${file}: required_providers.google has no version constraint`);
        continue;
      }
      if (!satisfies(constraint, version)) {
        problems.push(
          `${file}: google "${constraint}" does not admit ${version}, the version the schema check uses`,
        );
      }
      if (satisfies(constraint, `${major + 1}.0.0`) || satisfies(constraint, `${major - 1}.999.999`)) {
        problems.push(`${file}: google "${constraint}" is not pinned to major ${major} alone`);
      }
    }
  }
  return problems;
}
