/**
 * The seed of the simulator (`POST /_sim/seed`): one Workspace domain, its users (each with a primary calendar in a
 * time zone), the service account with its public key and the scopes domain-wide delegation allows it
 * (google-calendar.md §5), and events per user. Events are loose objects shaped like the discovery document's
 * `Event`; an event whose `attendees` name other domain users is copied into their calendars (a shared meeting).
 * The users are also the directory whose people can sign in (identity.ts).
 */
import { z } from 'zod';

const email = z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected an e-mail address');

export const seedUserSchema = z.strictObject({
  email,
  /** IANA zone of the user's primary calendar (`Events.timeZone`). */
  timeZone: z.string().min(1),
  /** Display name, the `name` claim of the user's ID tokens (identity.ts); omitted from them when absent. */
  name: z.string().min(1).optional(),
});

export const serviceAccountSchema = z
  .strictObject({
    email,
    clientId: z.string().min(1),
    publicKeyPem: z.string().includes('PUBLIC KEY').optional(),
    certificatePem: z.string().includes('CERTIFICATE').optional(),
    delegatedScopes: z.array(z.string().min(1)),
  })
  .refine((sa) => sa.publicKeyPem !== undefined || sa.certificatePem !== undefined, {
    message: 'serviceAccount needs publicKeyPem or certificatePem',
  });

export const seedEventSchema = z.looseObject({
  id: z.string().optional(),
  summary: z.string().optional(),
  start: z.looseObject({}),
  end: z.looseObject({}),
  attendees: z.array(z.looseObject({ email })).optional(),
});

export const seedSchema = z.strictObject({
  domain: z.string().min(1),
  users: z.array(seedUserSchema).min(1),
  serviceAccount: serviceAccountSchema,
  /** Owner e-mail → events created in that user's primary calendar, in order. */
  events: z.record(z.string(), z.array(seedEventSchema)).optional(),
});

export type SeedUser = z.infer<typeof seedUserSchema>;
export type ServiceAccount = z.infer<typeof serviceAccountSchema>;
export type Seed = z.infer<typeof seedSchema>;
