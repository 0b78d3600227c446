/**
 * The other way to deploy (issue 12): a plain `gcloud functions deploy … --source .` from the repository. gcloud
 * uploads what `.gcloudignore` lets through; the buildpack installs the devDependencies, runs `gcp-build` and prunes
 * (GoogleCloudPlatform/buildpacks `cmd/nodejs/npm/main.go`). Here: the upload set is computed with the same
 * (.gitignore) rules, copied to a clean folder, and `npm run gcp-build` there must produce what `main` points to.
 */
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import ignore from 'ignore';

import { REPO_ROOT } from '../../scripts/package.js';
import { npm, run } from './processes.js';

describe('a source deploy (gcloud functions deploy --source .)', { timeout: 240_000 }, () => {
  const rules = ignore().add(readFileSync(join(REPO_ROOT, '.gcloudignore'), 'utf8'));
  let dir = '';

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** What gcloud would upload from the working tree: everything `.gcloudignore` does not exclude. */
  function uploadSet(root: string, at = ''): string[] {
    const out: string[] = [];
    for (const name of readdirSync(join(root, at))) {
      const path = at === '' ? name : `${at}/${name}`;
      const isDir = statSync(join(root, path)).isDirectory();
      if (rules.ignores(isDir ? `${path}/` : path)) continue;
      if (isDir) out.push(...uploadSet(root, path));
      else out.push(path);
    }
    return out;
  }

  it('.gcloudignore keeps secrets, dependencies and builds out and the sources in', () => {
    for (const path of [
      '.env',
      '.secrets.local.json',
      '.git',
      '.git/',
      'node_modules/',
      'build/',
      'build/function-source.zip',
      'test/',
      '.tmp/',
      '.local/',
    ]) {
      assert.ok(rules.ignores(path), `${path} is not uploaded`);
    }
    const upload = uploadSet(REPO_ROOT);
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'functions/index.ts',
      'shared/config.ts',
      'console/index.html',
    ]) {
      assert.ok(upload.includes(needed), `${needed} is uploaded`);
    }
  });

  it('gcp-build compiles what main points to from the uploaded files alone', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      main: string;
      scripts: Record<string, string>;
    };
    assert.ok(pkg.scripts['gcp-build'], 'a gcp-build script');
    dir = mkdtempSync(join(tmpdir(), 'source-deploy-'));
    for (const path of uploadSet(REPO_ROOT)) cpSync(join(REPO_ROOT, path), join(dir, path));
    // The buildpack installs devDependencies before it runs gcp-build; the repository's stand in for that install.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const built = await npm(['run', 'gcp-build'], { cwd: dir, timeoutMs: 180_000 });
    assert.equal(built.code, 0, built.output);
    assert.ok(existsSync(join(dir, pkg.main)), `${pkg.main} was built`);
    assert.ok(existsSync(join(dir, 'build', 'console', 'index.html')), 'the console page was copied');
    const checked = await run(process.execPath, ['--check', pkg.main], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(checked.code, 0, checked.output);
  });
});
