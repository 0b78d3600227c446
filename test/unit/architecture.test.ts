/**
 * The pure core stays pure (SPEC §5): nothing under shared/domain or shared/sync imports an SDK, an HTTP client,
 * the file system or the adapters. ESLint enforces the same rule while editing; this test makes `npm test` fail too.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const CORE = ['shared/domain', 'shared/sync'];
const FORBIDDEN: readonly RegExp[] = [
  /^@google-cloud\//,
  /^@googleapis\//,
  /^googleapis$/,
  /^google-auth-library$/,
  /^gaxios$/,
  /^(axios|node-fetch|undici|got|superagent|ky)$/,
  /^(node:)?(http|https|net|fs|fs\/promises|child_process|dgram|tls)$/,
  /\/adapters\//,
  /\/functions\//,
  /\/app\//,
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

export function importsOf(source: string): string[] {
  const found: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) found.push(m[1] ?? m[2] ?? '');
  return found;
}

describe('architecture', () => {
  it('finds imports the way the check needs (self-test)', () => {
    assert.deepEqual(
      importsOf(`import { a } from 'x';\nexport * from './y.js';\nconst z = await import('node:fs');`),
      ['x', './y.js', 'node:fs'],
    );
  });

  for (const dir of CORE) {
    it(`${dir} imports no SDK, HTTP client, file system or adapter`, () => {
      const offences: string[] = [];
      for (const file of files(join(root, dir))) {
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          if (FORBIDDEN.some((re) => re.test(spec))) offences.push(`${relative(root, file)} → ${spec}`);
        }
      }
      assert.deepEqual(offences, []);
    });
  }
});
