/**
 * The google provider's configuration schema (argument and nested block names) for one pinned provider version,
 * read at check time from the prebuilt CDK for Terraform bindings on npm, `@cdktf/provider-google`: nothing of it is
 * copied into the repository, and nothing is downloaded.
 *
 * The package is generated from `terraform providers schema -json` of the provider version in its package.json
 * (`cdktf.provider.version`). Each resource or data source is one folder, `lib/<name>/index.js`, holding a class
 * with a static `tfResourceType = "google_…"` and a `synthesizeHclAttributes()` method whose `attrs` object has one
 * entry per configurable argument: `{ value, isBlock, type, storageClassType }`, keyed by the Terraform name. For a
 * nested block, `value` calls the block's own `…ToHclTerraform(struct)` function in the same file, whose `attrs`
 * object lists the block's arguments the same way. Computed-only attributes (an `id`, a `url`) have getters but no
 * entry there, so what this reads is exactly what a configuration may set.
 *
 * The package is large (about 31 MB packed, 307 MB unpacked, one folder per resource type): only the folders of the
 * types a configuration uses are read, parsed with the TypeScript compiler's JavaScript parser.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import ts from 'typescript';

export const PROVIDER_PACKAGE = '@cdktf/provider-google';

/** The arguments and nested blocks a resource, data source, provider or block accepts. */
export interface BlockSchema {
  readonly attributes: ReadonlySet<string>;
  readonly blocks: ReadonlyMap<string, BlockSchema>;
}

export type SchemaKind = 'resource' | 'data' | 'provider';

export interface ProviderSchema {
  /** The npm package's version, e.g. 16.12.1. */
  readonly packageVersion: string;
  /** The google provider version the package was generated from, e.g. 6.50.0. */
  readonly providerVersion: string;
  /** The schema of a Terraform type, or null when the provider has no such type of that kind. */
  lookup(kind: SchemaKind, type: string): BlockSchema | null;
}

interface PackageJson {
  readonly version: string;
  readonly cdktf?: { readonly provider?: { readonly version?: string } };
}

/** Opens the provider package installed beside this project (its node_modules). */
export function loadProviderSchema(fromDir: string = process.cwd()): ProviderSchema {
  const require = createRequire(path.join(fromDir, 'package.json'));
  let manifest: string;
  try {
    manifest = require.resolve(`${PROVIDER_PACKAGE}/package.json`);
  } catch {
    throw new Error(`${PROVIDER_PACKAGE} is not installed: run npm ci (it is a devDependency).`);
  }
  const root = path.dirname(manifest);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson;
  const providerVersion = pkg.cdktf?.provider?.version;
  if (providerVersion === undefined) {
    throw new Error(
      `${manifest} does not say which provider version it was generated from (cdktf.provider.version).`,
    );
  }
  const lib = path.join(root, 'lib');
  const cache = new Map<string, BlockSchema | null>();
  let index: Map<string, string> | null = null;

  /** Every folder's declared type, read only when a name does not follow the usual folder naming. */
  const fullIndex = (): Map<string, string> => {
    if (index !== null) return index;
    index = new Map();
    for (const dir of readdirSync(lib, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const file = path.join(lib, dir.name, 'index.js');
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      for (const declared of declaredTypes(text)) index.set(`${declared.kind}:${declared.type}`, file);
    }
    return index;
  };

  const lookup = (kind: SchemaKind, type: string): BlockSchema | null => {
    const key = `${kind}:${type}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    let schema: BlockSchema | null = null;
    const guess = path.join(lib, folderOf(kind, type), 'index.js');
    if (existsSync(guess)) schema = schemaOf(readFileSync(guess, 'utf8'), kind, type);
    if (schema === null) {
      const file = fullIndex().get(key);
      if (file !== undefined) schema = schemaOf(readFileSync(file, 'utf8'), kind, type);
    }
    cache.set(key, schema);
    return schema;
  };

  return { packageVersion: pkg.version, providerVersion, lookup };
}

/** The package's folder naming: `google_pubsub_topic` → `pubsub-topic`, data `google_project` → `data-google-project`. */
function folderOf(kind: SchemaKind, type: string): string {
  if (kind === 'provider') return 'provider';
  if (kind === 'data') return `data-${type.replaceAll('_', '-')}`;
  return type.replace(/^google_/, '').replaceAll('_', '-');
}

/** The classes of a file: their type and whether they are resources, data sources or the provider. */
function declaredTypes(text: string): { kind: SchemaKind; type: string; className: string }[] {
  const found: { kind: SchemaKind; type: string; className: string }[] = [];
  const bases = new Map<string, string>();
  for (const m of text.matchAll(/class (\w+) extends ([\w.]+)/g)) bases.set(m[1] ?? '', m[2] ?? '');
  for (const m of text.matchAll(/^(\w+)\.tfResourceType = "([^"]+)";$/gm)) {
    const className = m[1] ?? '';
    const base = bases.get(className) ?? '';
    const kind: SchemaKind =
      base === 'cdktf.TerraformDataSource'
        ? 'data'
        : base === 'cdktf.TerraformProvider'
          ? 'provider'
          : 'resource';
    found.push({ kind, type: m[2] ?? '', className });
  }
  return found;
}

/** The schema of `type` declared in one bindings file, or null when the file declares no such type of that kind. */
export function schemaOf(text: string, kind: SchemaKind, type: string): BlockSchema | null {
  const declared = declaredTypes(text).find((d) => d.kind === kind && d.type === type);
  if (declared === undefined) return null;
  const source = ts.createSourceFile('index.js', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const functions = new Map<string, ts.FunctionDeclaration>();
  let classNode: ts.ClassDeclaration | undefined;
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) functions.set(statement.name.text, statement);
    if (ts.isClassDeclaration(statement) && statement.name?.text === declared.className)
      classNode = statement;
  }
  if (classNode === undefined)
    throw new Error(`${type}: class ${declared.className} not found in its bindings`);
  const method = classNode.members.find(
    (m): m is ts.MethodDeclaration =>
      ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === 'synthesizeHclAttributes',
  );
  if (method?.body === undefined) {
    throw new Error(`${type}: no synthesizeHclAttributes() in its bindings (an unexpected package layout)`);
  }
  const blockCache = new Map<string, BlockSchema>();
  const blockOf = (name: string): BlockSchema => {
    const cached = blockCache.get(name);
    if (cached !== undefined) return cached;
    const fn = functions.get(name);
    if (fn?.body === undefined) throw new Error(`${type}: block function ${name} not found in its bindings`);
    // A block may (in principle) contain itself: registered before its members are read.
    const schema: { attributes: Set<string>; blocks: Map<string, BlockSchema> } = {
      attributes: new Set(),
      blocks: new Map(),
    };
    blockCache.set(name, schema);
    readAttrs(fn.body, schema, blockOf, type);
    return schema;
  };
  const schema = { attributes: new Set<string>(), blocks: new Map<string, BlockSchema>() };
  readAttrs(method.body, schema, blockOf, type);
  return schema;
}

/** Reads the `const attrs = { name: { value, isBlock, … }, … }` of a method or function body into `into`. */
function readAttrs(
  body: ts.Block,
  into: { attributes: Set<string>; blocks: Map<string, BlockSchema> },
  blockOf: (functionName: string) => BlockSchema,
  type: string,
): void {
  let attrs: ts.ObjectLiteralExpression | undefined;
  for (const statement of body.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (ts.isIdentifier(decl.name) && decl.name.text === 'attrs' && decl.initializer) {
        if (ts.isObjectLiteralExpression(decl.initializer)) attrs = decl.initializer;
      }
    }
  }
  if (attrs === undefined) throw new Error(`${type}: an attrs object was expected in its bindings`);
  for (const property of attrs.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isObjectLiteralExpression(property.initializer)) continue;
    const name =
      ts.isIdentifier(property.name) || ts.isStringLiteral(property.name) ? property.name.text : null;
    if (name === null) continue;
    let isBlock = false;
    let value: ts.Expression | undefined;
    for (const field of property.initializer.properties) {
      if (!ts.isPropertyAssignment(field) || !ts.isIdentifier(field.name)) continue;
      if (field.name.text === 'isBlock') isBlock = field.initializer.kind === ts.SyntaxKind.TrueKeyword;
      if (field.name.text === 'value') value = field.initializer;
    }
    if (!isBlock) {
      into.attributes.add(name);
      continue;
    }
    const mapper = value === undefined ? undefined : blockFunctionIn(value);
    if (mapper === undefined) throw new Error(`${type}: block ${name} names no …ToHclTerraform function`);
    into.blocks.set(name, blockOf(mapper));
  }
}

/** The `…ToHclTerraform` function a block's value expression calls, directly or through a list mapper. */
function blockFunctionIn(expression: ts.Node): string | undefined {
  if (ts.isIdentifier(expression) && expression.text.endsWith('ToHclTerraform')) return expression.text;
  let found: string | undefined;
  expression.forEachChild((child) => {
    found ??= blockFunctionIn(child);
  });
  return found;
}
