/** The state-port contract (test/contract/sync-store.contract.ts) against the memory implementations. */
import {
  MemoryAuditLog,
  MemoryLeaseStore,
  MemoryMessageLog,
  MemoryOrgConfigStore,
  MemoryUserDirectory,
} from '../../../../shared/adapters/memory/memory.operations.js';
import { MemorySyncStore } from '../../../../shared/adapters/memory/memory.sync-store.js';
import { describeStateContract, type StatePorts } from '../../../contract/sync-store.contract.js';

describeStateContract('memory', {
  fixture: () => {
    const ports: StatePorts = {
      store: new MemorySyncStore(),
      users: new MemoryUserDirectory(),
      leases: new MemoryLeaseStore(),
      messages: new MemoryMessageLog(),
      audit: new MemoryAuditLog(),
      orgConfig: new MemoryOrgConfigStore(),
    };
    // One process, one instance: "separate clients" are the same object, interleaving at every await.
    return Promise.resolve({ ...ports, peers: [ports, ports] });
  },
});
