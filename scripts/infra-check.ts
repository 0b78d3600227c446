/**
 * `npm run infra:check`: checks infra/ offline (scripts/infra/check.ts says what). Exit 0 when every check that
 * could run passed; the ones that could not say `skipped: <reason>`.
 *
 *   node --import tsx scripts/infra-check.ts [infra directory]
 */
import path from 'node:path';

import { report, runInfraCheck } from './infra/check.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const infraDir = process.argv[2] === undefined ? undefined : path.resolve(process.argv[2]);

const outcomes = await runInfraCheck({ repoRoot, ...(infraDir === undefined ? {} : { infraDir }) });
console.log(report(outcomes));
const failed = outcomes.filter((o) => o.problems.length > 0);
console.log(failed.length === 0 ? 'infra:check passed' : `infra:check: ${failed.length} check(s) failed`);
process.exitCode = failed.length === 0 ? 0 : 1;
