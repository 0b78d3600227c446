/**
 * The one dry-run wrapper (B1 preview): a run over these views reads everything a real run reads and writes nothing,
 * by construction rather than by the runner's care. The runner puts a `dryRun` run over them; the operator's preview
 * is such a run.
 */
import type { CalendarPort, SeveraPort, SyncStore } from '../../ports/index.js';
import type { RunnerDeps } from './deps.js';

/** `deps` with read-only views of both APIs and of the store; everything else as it is. */
export function dryRunDeps(deps: RunnerDeps): RunnerDeps {
  return {
    ...deps,
    severa: readOnlySevera(deps.severa),
    calendar: readOnlyCalendar(deps.calendar),
    store: droppingWrites(deps.store),
  };
}

function refuseWrite(what: string): Promise<never> {
  return Promise.reject(new Error(`a dry run must not write (${what})`));
}

/** Reads pass through; every write is refused. */
export function readOnlySevera(severa: SeveraPort): SeveraPort {
  return {
    apiUserGuid: () => severa.apiUserGuid(),
    listChangedSince: (since) => severa.listChangedSince(since),
    listForUser: (userGuid, window) => severa.listForUser(userGuid, window),
    get: (guid) => severa.get(guid),
    create: () => refuseWrite('Severa create'),
    update: () => refuseWrite('Severa update'),
    delete: () => refuseWrite('Severa delete'),
    addParticipant: () => refuseWrite('Severa addParticipant'),
    removeParticipant: () => refuseWrite('Severa removeParticipant'),
  };
}

/** Reads pass through; every write is refused. */
export function readOnlyCalendar(calendar: CalendarPort): CalendarPort {
  return {
    list: (user, request) => calendar.list(user, request),
    get: (user, id) => calendar.get(user, id),
    findByICalUID: (user, iCalUID) => calendar.findByICalUID(user, iCalUID),
    insert: () => refuseWrite('Google insert'),
    update: () => refuseWrite('Google update'),
    delete: () => refuseWrite('Google delete'),
  };
}

/**
 * Reads pass through; writes are dropped. Dropped rather than refused: crash recovery records the link of a create
 * intent it resolves while collecting, even in a dry run, and the dry run should still show the plan. A meeting claim
 * is granted (nothing is created under it).
 */
export function droppingWrites(store: SyncStore): SyncStore {
  const skip = () => Promise.resolve();
  return {
    listLinks: (u) => store.listLinks(u),
    findLinksByICalUID: (i) => store.findLinksByICalUID(i),
    findLinksBySeveraGuid: (g) => store.findLinksBySeveraGuid(g),
    findLinksBySeveraGuids: (g) => store.findLinksBySeveraGuids(g),
    getSyncToken: (u) => store.getSyncToken(u),
    readInbox: (u) => store.readInbox(u),
    listIntents: (u) => store.listIntents(u),
    listRefusals: (u) => store.listRefusals(u),
    putRefusal: skip,
    deleteRefusal: skip,
    findIntentsByICalUID: (i) => store.findIntentsByICalUID(i),
    getSeveraPoll: () => store.getSeveraPoll(),
    getStatus: (u) => store.getStatus(u),
    getHold: (u) => store.getHold(u),
    listHeld: (u) => store.listHeld(u),
    setHold: skip,
    putHeld: skip,
    deleteHeld: skip,
    putLink: skip,
    deleteLink: skip,
    saveSyncToken: skip,
    addToInbox: skip,
    ackInbox: skip,
    putIntent: skip,
    deleteIntent: skip,
    claimMeeting: (_iCalUID, user) => Promise.resolve(user),
    releaseMeeting: skip,
    setSeveraPoll: skip,
    setStatus: skip,
  };
}
