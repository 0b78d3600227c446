/**
 * What the code says the deployment must match, read from the code itself at check time: the environment variables
 * `shared/config.ts` parses, the functions `functions/index.ts` registers, and the Pub/Sub delivery policy and
 * secret names the code exports. The two source files are parsed (importing them would start the functions'
 * edge guard); the constants are imported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import ts from 'typescript';

import { DEAD_LETTER_SUFFIX, DELIVERY_POLICY } from '../../shared/adapters/pubsub/pubsub.publisher.js';
import { SECRET_NAMES } from '../../shared/config.js';

export interface CodeFacts {
  /** The variables `envSchema` in shared/config.ts reads. */
  readonly configVariables: ReadonlySet<string>;
  /** The names registered with `functions.http('<name>', …)` in functions/index.ts. */
  readonly entryPoints: ReadonlySet<string>;
  readonly deliveryPolicy: typeof DELIVERY_POLICY;
  readonly deadLetterSuffix: string;
  readonly secretNames: ReadonlySet<string>;
}

function sourceOf(file: string): ts.SourceFile {
  return ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
    ts.ScriptKind.TS,
  );
}

/** The property names of the object given to `z.object(…)` as `envSchema`. */
export function configVariablesIn(file: string): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === 'envSchema' &&
      node.initializer !== undefined &&
      ts.isCallExpression(node.initializer)
    ) {
      const [shape] = node.initializer.arguments;
      if (shape !== undefined && ts.isObjectLiteralExpression(shape)) {
        for (const p of shape.properties) {
          if (p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
            names.add(p.name.text);
        }
      }
    }
    node.forEachChild(visit);
  };
  visit(sourceOf(file));
  if (names.size === 0) throw new Error(`${file}: no envSchema = z.object({ … }) found`);
  return names;
}

/** The first argument of every `functions.http('<name>', …)` call. */
export function entryPointsIn(file: string): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'http' &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'functions'
    ) {
      const [first] = node.arguments;
      if (first !== undefined && ts.isStringLiteral(first)) names.add(first.text);
    }
    node.forEachChild(visit);
  };
  visit(sourceOf(file));
  return names;
}

export function codeFacts(repoRoot: string): CodeFacts {
  return {
    configVariables: configVariablesIn(path.join(repoRoot, 'shared', 'config.ts')),
    entryPoints: entryPointsIn(path.join(repoRoot, 'functions', 'index.ts')),
    deliveryPolicy: DELIVERY_POLICY,
    deadLetterSuffix: DEAD_LETTER_SUFFIX,
    secretNames: new Set(Object.values(SECRET_NAMES)),
  };
}
