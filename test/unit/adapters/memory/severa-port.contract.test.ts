/** The Severa port contract against the in-memory reference implementation. */
import { MemorySevera } from '../../../../shared/adapters/memory/memory.severa.js';
import { ServerClock } from '../../../../shared/adapters/memory/server-clock.js';
import { describeSeveraPortContract } from '../../../contract/severa-port.contract.js';
import { ALL_TYPES, ManualClock, TYPES, USERS } from '../../../support/world.js';

describeSeveraPortContract('MemorySevera', () => {
  const clock = new ManualClock('2026-11-20T12:00:00Z');
  const severa = new MemorySevera({ clock: new ServerClock(clock), activityTypes: ALL_TYPES });
  const user = (u: { severaUserGuid: string; timeZone: string }) => ({
    guid: u.severaUserGuid,
    timeZone: u.timeZone,
  });
  return Promise.resolve({
    port: severa,
    users: { owner: user(USERS.aino), other: user(USERS.ben), third: user(USERS.cecilia) },
    types: { meeting: TYPES.meeting.guid, personal: TYPES.personal.guid },
    now: () => clock.now(),
    advance: (ms) => {
      clock.advance(ms);
    },
    human: {
      create: (input) => Promise.resolve(severa.humanCreate(input).guid),
      rename: (guid, title) => {
        severa.humanUpdate(guid, { content: { title } });
        return Promise.resolve();
      },
      delete: (guid) => {
        severa.humanDelete(guid);
        return Promise.resolve();
      },
      cancelOccurrence: (guid, originalStart) => {
        const current = severa.all().find((r) => r.guid === guid);
        const recurrence = current?.content.recurrence;
        if (!recurrence) throw new Error(`${guid} is not a series`);
        const exdates = [...new Set([...recurrence.exdates, originalStart])].sort();
        severa.humanUpdate(guid, {
          content: {
            recurrence: {
              ...recurrence,
              exdates,
              overrides: recurrence.overrides.filter((o) => o.originalStart !== originalStart),
            },
          },
        });
        return Promise.resolve();
      },
    },
    close: () => Promise.resolve(),
  });
});
