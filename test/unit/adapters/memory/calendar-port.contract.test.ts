/** The CalendarPort contract against the in-memory calendar (the semantic reference of the port). */
import { MemoryCalendar } from '../../../../shared/adapters/memory/memory.calendar.js';
import { ServerClock } from '../../../../shared/adapters/memory/server-clock.js';
import { describeCalendarPortContract } from '../../../contract/calendar-port.contract.js';
import { ManualClock, USERS } from '../../../support/world.js';

describeCalendarPortContract('MemoryCalendar', () => {
  const calendar = new MemoryCalendar({ clock: new ServerClock(new ManualClock('2030-01-15T08:00:00Z')) });
  const user = USERS.aino;
  return Promise.resolve({
    calendar,
    user,
    human: {
      create: (content) => Promise.resolve(calendar.humanCreate(user.email, content).id),
      edit: (id, changes) => {
        calendar.humanUpdate([user.email], id, changes);
        return Promise.resolve();
      },
      touch: (id) => {
        calendar.humanTouch(user.email, id);
        return Promise.resolve();
      },
      delete: (id) => {
        calendar.humanDelete([user.email], id);
        return Promise.resolve();
      },
      invalidateSyncTokens: () => {
        calendar.invalidateSyncTokens(user.email);
        return Promise.resolve();
      },
    },
  });
});
