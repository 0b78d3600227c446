/**
 * All of `npm run infra:check` as one function the CLI and the tests share: the Terraform binary's checks where it
 * can run, then, always, the HCL parse, the provider schema check and the policies.
 */
import path from 'node:path';

import { codeFacts } from './code-facts.js';
import { loadInfra, type InfraConfig } from './hcl.js';
import { checkPolicies } from './policy.js';
import { loadProviderSchema, type ProviderSchema } from './provider-schema.js';
import { checkProviderPins, checkSchema } from './schema-check.js';
import { terraformFmt, terraformValidate, type CliOutcome } from './terraform-cli.js';

export interface CheckOutcome {
  readonly name: string;
  /** Empty when the check passed (or was skipped). */
  readonly problems: readonly string[];
  readonly skipped?: string;
  readonly detail?: string;
}

export interface InfraCheckOptions {
  readonly repoRoot: string;
  /** Defaults to `<repoRoot>/infra`. */
  readonly infraDir?: string;
  /** Run the terraform binary's checks too (default true). */
  readonly terraform?: boolean;
}

let schema: ProviderSchema | null = null;

/** The provider schema, opened once per process (its files are read as types are asked for). */
export function providerSchema(repoRoot: string): ProviderSchema {
  schema ??= loadProviderSchema(repoRoot);
  return schema;
}

function fromCli(name: string, outcome: CliOutcome): CheckOutcome {
  if (outcome.status === 'skipped') return { name, problems: [], skipped: outcome.reason };
  if (outcome.status === 'failed') return { name, problems: [outcome.detail] };
  return { name, problems: [], detail: outcome.detail };
}

export async function runInfraCheck(options: InfraCheckOptions): Promise<CheckOutcome[]> {
  const infraDir = options.infraDir ?? path.join(options.repoRoot, 'infra');
  const outcomes: CheckOutcome[] = [];
  const provider = providerSchema(options.repoRoot);
  if (options.terraform !== false) {
    outcomes.push(fromCli('terraform fmt', terraformFmt(infraDir)));
    const constraint = `>= ${provider.providerVersion}, < ${Number(provider.providerVersion.split('.')[0]) + 1}.0.0`;
    outcomes.push(fromCli('terraform validate', terraformValidate(infraDir, constraint)));
  }
  let config: InfraConfig;
  try {
    config = await loadInfra(infraDir);
  } catch (error) {
    outcomes.push({ name: 'HCL parse', problems: [error instanceof Error ? error.message : String(error)] });
    return outcomes;
  }
  const files = [...config.modules.values()].reduce((n, m) => n + m.files.length, 0);
  outcomes.push({
    name: 'HCL parse',
    problems: [],
    detail: `${files} files in ${config.modules.size} modules`,
  });
  outcomes.push({
    name: `provider schema (google ${provider.providerVersion}, @cdktf/provider-google ${provider.packageVersion})`,
    problems: checkSchema(config, provider),
  });
  outcomes.push({ name: 'provider pinned to one major', problems: checkProviderPins(config, provider) });
  for (const result of checkPolicies(config, codeFacts(options.repoRoot))) {
    outcomes.push({ name: `policy: ${result.name}`, problems: result.problems });
  }
  return outcomes;
}

/** The outcomes as lines for a person: one per check, its problems below it. */
export function report(outcomes: readonly CheckOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    if (o.skipped !== undefined) lines.push(`skipped: ${o.skipped}`);
    else if (o.problems.length === 0) lines.push(`ok: ${o.name}${o.detail ? ` (${o.detail})` : ''}`);
    else {
      lines.push(`FAILED: ${o.name}`);
      for (const p of o.problems) lines.push(`  - ${p}`);
    }
  }
  return lines.join('\n');
}
