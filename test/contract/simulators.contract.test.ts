/**
 * `npm run test:contracts`: every response body the two simulators produce in a representative session — success
 * and error paths — is validated against the official documents (../shared/contracts/, or CONTRACTS_DIR): Severa
 * bodies against the operation's documented response schema (errors against `ExceptionModel`, severa-api.md §4),
 * Google bodies against the discovery method's `response` schema. Google's error bodies and the OAuth token endpoint
 * are not described by the discovery document and are not counted. Prints
 * `contracts: <N> responses validated, <M> mismatches`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';

import type { ResponseLogEntry } from '../sim/common/index.js';
import { DEMO_EVENT_IDS, DEMO_USERS as GOOGLE_USERS } from '../sim/calendar/demo-fixture.js';
import { startDemo } from '../sim/calendar/test-support.js';
import { DEMO_ACTIVITIES, DEMO_CREDENTIALS, DEMO_TYPES, DEMO_USERS } from '../sim/severa/demo-fixture.js';
import { startHarness } from '../sim/severa/test-helpers.js';
import { loadContracts, validateResponses, type LoggedResponse } from './contracts.js';

const contracts = loadContracts();
const tally = { validated: 0, mismatches: [] as string[] };

after(() => {
  if (contracts === null) console.log('skipped: contracts not found');
  else
    console.log(`contracts: ${tally.validated} responses validated, ${tally.mismatches.length} mismatches`);
});

function add(result: { validated: number; mismatches: readonly string[] }): void {
  tally.validated += result.validated;
  tally.mismatches.push(...result.mismatches);
}

function recorded(): boolean {
  const file = process.env.CONTRACT_LOG;
  return file !== undefined && existsSync(file);
}

/**
 * `npm run test:contracts` first runs the simulators' own test suites with CONTRACT_LOG set, so every response they
 * produced there is checked here too (scripts/test-contracts.mjs).
 */
test(
  "responses recorded by the simulators' own tests follow the documents",
  {
    skip:
      contracts === null || !recorded()
        ? 'no recorded responses (npm run test:contracts records them)'
        : false,
  },
  () => {
    assert.ok(contracts);
    const entries = readFileSync(process.env.CONTRACT_LOG ?? '', 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LoggedResponse);
    assert.ok(entries.length > 0);
    add(validateResponses(contracts, entries));
  },
);

test(
  'Severa simulator responses follow the OpenAPI document',
  { skip: contracts === null ? 'contracts not found' : false },
  async () => {
    assert.ok(contracts);
    const h = await startHarness();
    try {
      const token = (body: unknown) =>
        fetch(`${h.url}/v1/token`, { method: 'POST', body: JSON.stringify(body) });
      await token({
        client_id: DEMO_CREDENTIALS.clientId,
        client_secret: DEMO_CREDENTIALS.clientSecret,
        scope: 'activities:read',
      });
      await token({ client_id: 'x', client_secret: 'y' });
      await h.api('GET', '/v1/activities?rowCount=2');
      await h.api('GET', '/v1/activities?rowCount=101');
      await h.api('GET', '/v1/activities?recurrenceType=Series');
      await h.api(
        'GET',
        `/v1/activities?changedSince=2026-01-01T00%3A00%3A00%2B02%3A00&userGuids=${DEMO_USERS.helsinki}&includeAsMember=true`,
      );
      await h.api('GET', `/v1/activities/${DEMO_ACTIVITIES.projectTask}`);
      await h.api('GET', `/v1/activities/${DEMO_ACTIVITIES.weeklySync}`);
      const created = (await (
        await h.api('POST', '/v1/activities', {
          name: 'Contract',
          startDateTime: '2026-12-01T09:00:00+02:00',
          endDateTime: '2026-12-01T10:00:00+02:00',
          activityType: { guid: DEMO_TYPES.meeting },
          ownerUser: { guid: DEMO_USERS.london },
        })
      ).json()) as { guid: string };
      await h.api('POST', '/v1/activities', { name: '' });
      await h.api('PATCH', `/v1/activities/${created.guid}`, [{ op: 'replace', path: '/name', value: 'C2' }]);
      await h.api('PATCH', `/v1/activities/${created.guid}`, [{ op: 'add', path: '/name', value: 'C3' }]);
      await h.api('POST', '/v1/activityparticipants', {
        activityGuid: created.guid,
        participantGuid: DEMO_USERS.helsinki,
      });
      await h.api('GET', `/v1/activities/${created.guid}/activityparticipants`);
      await h.api('DELETE', `/v1/activities/${created.guid}`);
      await h.api('GET', `/v1/activities/${created.guid}`);
      await h.api('GET', '/v1/activitytypes');
      await h.api('GET', `/v1/activitytypes/${DEMO_TYPES.absence}`);
      await h.api('GET', '/v1/users?email=aino%40demo.example');
      await h.api('GET', `/v1/users/${DEMO_USERS.newYork}`);
      await h.api('GET', '/heartbeat/authorized');
      await h.api('GET', '/v1/users', undefined, { client_id: 'wrong' });
      add(validateResponses(contracts, h.log));
    } finally {
      await h.close();
    }
  },
);

test(
  'Google Calendar simulator responses follow the discovery document',
  { skip: contracts === null ? 'contracts not found' : false },
  async () => {
    assert.ok(contracts);
    const log: ResponseLogEntry[] = [];
    const h = await startDemo({
      onResponse: (e) => {
        log.push(e);
      },
    });
    try {
      const aino = GOOGLE_USERS.aino;
      const full = (await (await h.call(aino, 'GET', '/calendars/primary/events?maxResults=2')).json()) as {
        nextPageToken?: string;
      };
      let pageToken = full.nextPageToken;
      let syncToken: string | undefined;
      while (pageToken !== undefined) {
        const page = (await (
          await h.call(aino, 'GET', `/calendars/primary/events?maxResults=2&pageToken=${pageToken}`)
        ).json()) as {
          nextPageToken?: string;
          nextSyncToken?: string;
        };
        pageToken = page.nextPageToken;
        syncToken = page.nextSyncToken ?? syncToken;
      }
      const inserted = (await (
        await h.call(aino, 'POST', '/calendars/primary/events', {
          id: 'contract0001',
          summary: 'Contract',
          start: { dateTime: '2026-12-01T09:00:00+02:00', timeZone: 'Europe/Helsinki' },
          end: { dateTime: '2026-12-01T10:00:00+02:00', timeZone: 'Europe/Helsinki' },
          extendedProperties: { private: { severaGuid: 'g-1' } },
        })
      ).json()) as { etag: string };
      await h.call(aino, 'GET', '/calendars/primary/events/contract0001');
      const patched = (await (
        await h.call(
          aino,
          'PATCH',
          '/calendars/primary/events/contract0001',
          { location: 'Room 1' },
          { 'if-match': inserted.etag },
        )
      ).json()) as { etag: string };
      await h.call(
        aino,
        'PUT',
        '/calendars/primary/events/contract0001',
        {
          summary: 'Contract 2',
          start: { dateTime: '2026-12-01T09:00:00+02:00' },
          end: { dateTime: '2026-12-01T11:00:00+02:00' },
        },
        { 'if-match': patched.etag },
      );
      if (syncToken !== undefined)
        await h.call(aino, 'GET', `/calendars/primary/events?syncToken=${encodeURIComponent(syncToken)}`);
      await h.call(
        aino,
        'GET',
        `/calendars/primary/events/${DEMO_EVENT_IDS.weekly}/instances?timeMin=2026-01-01T00:00:00Z&timeMax=2027-12-31T00:00:00Z`,
      );
      await h.call(
        aino,
        'GET',
        '/calendars/primary/events?showDeleted=true&singleEvents=true&timeMin=2026-01-01T00:00:00Z',
      );
      const channel = (await (
        await h.call(aino, 'POST', '/calendars/primary/events/watch', {
          id: 'contract-channel',
          type: 'web_hook',
          address: 'http://127.0.0.1:9/unused',
          token: 'secret',
        })
      ).json()) as { resourceId: string };
      await h.call(aino, 'POST', '/channels/stop', {
        id: 'contract-channel',
        resourceId: channel.resourceId,
      });
      await h.call(aino, 'DELETE', '/calendars/primary/events/contract0001');
      await h.call(aino, 'GET', '/calendars/primary/events/contract0001');
      await h.sim.flushNotifications();
      add(validateResponses(contracts, log));
    } finally {
      await h.sim.stop();
    }
  },
);

test(
  'no response departs from the documents',
  { skip: contracts === null ? 'contracts not found' : false },
  () => {
    assert.ok(tally.validated >= 30, `only ${tally.validated} responses validated`);
    assert.deepEqual(tally.mismatches, []);
  },
);
