export { simActionSchema, type SimAction } from './actions.js';
export {
  DEFAULT_PER_USER_RATE_PER_MINUTE,
  createCalendarSim,
  type CalendarSim,
  type CalendarSimOptions,
} from './calendar-sim.js';
export { WRITE_LOG_LIMIT, type ChannelInfo, type WriteLogEntry } from './context.js';
export { SEND_UPDATES } from './request.js';
export { DEFAULT_CHANNEL_TTL_SECONDS } from './routes/channels.js';
export {
  CALENDAR_SCOPE,
  DEMO_CLIENT_ID,
  DEMO_DOMAIN,
  DEMO_EVENT_IDS,
  DEMO_SERVICE_ACCOUNT,
  DEMO_USERS,
  createDemoKey,
  demoFixture,
} from './demo-fixture.js';
export { GoogleApiError, OAuthError } from './errors.js';
export {
  CERTS_V1_PATH,
  CERTS_V3_PATH,
  DEFAULT_ID_TOKEN_SECONDS,
  GOOGLE_ID_TOKEN_ISSUER,
  googleAccountId,
  idTokenRequestSchema,
  type IdTokenRequest,
} from './identity.js';
export { AUTHORIZE_PATH, AUTHORIZE_CHOOSE_PATH, parseAuthorizeRequest } from './authorize.js';
export { seedSchema, type Seed, type SeedUser, type ServiceAccount } from './fixture.js';
export {
  P12_FRIENDLY_NAME,
  P12_PASSWORD,
  generateServiceAccountKey,
  privateKeyPemFromP12,
  type ServiceAccountKey,
} from './keys.js';
export { GOOGLE_TOKEN_URL, JWT_BEARER } from './oauth.js';
