// `npm run test:contracts`: runs the simulators' own test suites, and the chaos and end-to-end suites (where the
// production adapters talk to the simulators), while recording every response the simulators send and the requests
// the adapters sent (CONTRACT_LOG); then the contract suite validates those, two sample sessions and the request
// bodies of the project's mappers against ../shared/contracts/ (or CONTRACTS_DIR).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = join(root, '.tmp');
mkdirSync(dir, { recursive: true });
const log = join(dir, 'contract-responses.jsonl');
rmSync(log, { force: true });
const env = { ...process.env, CONTRACT_LOG: log };
/** @param {string[]} patterns */
const run = (...patterns) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/run-tests.ts', ...patterns], {
    cwd: root,
    env,
    stdio: 'inherit',
  }).status ?? 1;

const simulators = run('test/sim/**/*.test.ts');
const clients = run('test/chaos/**/*.test.ts', 'test/e2e/runner.e2e.test.ts');
const contracts = run('test/contract/**/*.test.ts');
process.exit(simulators === 0 && clients === 0 && contracts === 0 ? 0 : 1);
