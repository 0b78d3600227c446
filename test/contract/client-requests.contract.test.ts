/**
 * `npm run test:contracts` also runs the chaos and end-to-end suites with CONTRACT_LOG set: there the production
 * adapters talk to the simulators, and every request body they sent is validated here against the documented
 * operation (Severa's OpenAPI request schemas, Google's discovery `request` schemas). Prints
 * `client requests: <N> validated over <K> operations, <M> mismatches`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { loadContracts, validateRequests, type LoggedResponse } from './contracts.js';

const contracts = loadContracts();
const file = process.env.CONTRACT_LOG;
const entries =
  file !== undefined && existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LoggedResponse)
        .filter((e) => e.client === true)
    : [];

test(
  'request bodies the production adapters sent follow the documents',
  {
    skip:
      contracts === null
        ? 'contracts not found'
        : entries.length === 0
          ? 'no recorded client requests (npm run test:contracts records them)'
          : false,
  },
  () => {
    assert.ok(contracts);
    const result = validateRequests(contracts, entries);
    console.log(
      `client requests: ${result.validated} validated over ${result.operations.size} operations, ${result.mismatches.length} mismatches`,
    );
    assert.ok(result.validated > 0);
    assert.deepEqual([...new Set(result.mismatches)].slice(0, 20), []);
  },
);
