/**
 * The Terraform binary's own checks, where this machine allows them: `terraform fmt -check -recursive` needs only
 * the binary; `terraform init -backend=false && terraform validate` also needs the google provider, which is never
 * downloaded here: it is used only when a local plugin directory already holds a version the configuration admits.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { satisfies } from './schema-check.js';

export type CliOutcome =
  | { readonly status: 'passed'; readonly detail: string }
  | { readonly status: 'failed'; readonly detail: string }
  | { readonly status: 'skipped'; readonly reason: string };

const TERRAFORM_ENV = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };

/** The terraform binary on the PATH, or null. */
export function terraformBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'terraform');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function run(binary: string, args: readonly string[], cwd: string) {
  const result = spawnSync(binary, args, { cwd, env: TERRAFORM_ENV, encoding: 'utf8', timeout: 300_000 });
  const output = `${result.stdout}${result.stderr}`
    .split('\n')
    .filter(
      (line) =>
        line.trim() !== '' && !/CLI configuration|Unable to open CLI|does not exist\.|^[╷│╵]\s*$/.test(line),
    )
    .join('\n');
  return { ok: result.status === 0, output };
}

export function terraformFmt(infraDir: string): CliOutcome {
  const binary = terraformBinary();
  if (binary === null) return { status: 'skipped', reason: 'terraform fmt: no terraform binary' };
  const { ok, output } = run(binary, ['fmt', '-check', '-recursive', '-diff', infraDir], process.cwd());
  return ok
    ? { status: 'passed', detail: 'terraform fmt -check -recursive: formatted' }
    : { status: 'failed', detail: `terraform fmt -check -recursive: not formatted:\n${output}` };
}

/**
 * Local directories Terraform reads providers from without a network (the implied local mirrors of the CLI
 * documentation, a plugin cache), each laid out as registry.terraform.io/hashicorp/google/<version>/<os_arch>/.
 */
function pluginDirectories(): string[] {
  const home = os.homedir();
  const dirs = [
    process.env.TF_PLUGIN_CACHE_DIR,
    path.join(home, '.terraform.d', 'plugins'),
    path.join(home, '.terraform.d', 'plugin-cache'),
    path.join(home, '.local', 'share', 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ];
  return dirs.filter((d): d is string => d !== undefined && d !== '' && existsSync(d));
}

function platform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `${process.platform}_${arch}`;
}

/** A plugin directory holding a google provider version that `constraint` admits, for this platform. */
export function localGoogleProvider(constraint: string): { dir: string; version: string } | null {
  for (const dir of pluginDirectories()) {
    const versions = path.join(dir, 'registry.terraform.io', 'hashicorp', 'google');
    if (!existsSync(versions)) continue;
    for (const version of readdirSync(versions)) {
      let admitted: boolean;
      try {
        admitted = satisfies(constraint, version);
      } catch {
        // Not a version directory.
        admitted = false;
      }
      if (admitted && existsSync(path.join(versions, version, platform()))) return { dir, version };
    }
  }
  return null;
}

export function terraformValidate(infraDir: string, constraint: string): CliOutcome {
  const binary = terraformBinary();
  if (binary === null) return { status: 'skipped', reason: 'terraform validate: no terraform binary' };
  const provider = localGoogleProvider(constraint);
  if (provider === null) {
    return {
      status: 'skipped',
      reason:
        `terraform validate: no google provider admitted by "${constraint}" in a local plugin directory ` +
        `(${pluginDirectories().join(', ') || 'none exists'}); providers are never downloaded here`,
    };
  }
  // In a copy, so that .terraform/ and the lock file never land in infra/.
  const work = mkdtempSync(path.join(os.tmpdir(), 'infra-validate-'));
  try {
    cpSync(infraDir, work, { recursive: true, filter: (src) => !src.includes(`${path.sep}.terraform`) });
    const init = run(binary, ['init', '-backend=false', '-input=false', `-plugin-dir=${provider.dir}`], work);
    if (!init.ok)
      return { status: 'failed', detail: `terraform init -backend=false failed:\n${init.output}` };
    const validate = run(binary, ['validate', '-no-color'], work);
    return validate.ok
      ? { status: 'passed', detail: `terraform validate: valid (google provider ${provider.version})` }
      : { status: 'failed', detail: `terraform validate:\n${validate.output}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
