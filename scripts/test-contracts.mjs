// `npm run test:contracts`: runs the simulators' own test suites while recording every response they send
// (CONTRACT_LOG), then the contract suite, which validates those responses, two sample sessions and the request
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
const run = (pattern) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', pattern], {
    cwd: root,
    env,
    stdio: 'inherit',
  }).status ?? 1;

const simulators = run('test/sim/**/*.test.ts');
const contracts = run('test/contract/**/*.test.ts');
process.exit(simulators === 0 && contracts === 0 ? 0 : 1);
