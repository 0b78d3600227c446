/**
 * What a production instance is given (shared/config.ts), with nothing that points at a local stand-in: shared by
 * the archive test and the cold-start bench, which start the built archive the same way.
 */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  GOOGLE_CLOUD_PROJECT: 'archive-test-project',
  ORG_ID: 'archive-test',
  SEVERA_CLIENT_ID: 'archive-test-client',
  SYNC_REQUESTS_TOPIC: 'sync-requests',
  LOG_LEVEL: 'info',
  PUSH_AUTH_AUDIENCE: 'https://sync-worker.example.com/',
  PUSH_AUTH_SERVICE_ACCOUNT: 'pubsub-push@archive-test-project.iam.gserviceaccount.com',
  CONSOLE_CLIENT_ID: 'archive-test.apps.googleusercontent.com',
  WORKSPACE_DOMAIN: 'example.com',
  CONSOLE_ADMINS: 'admin@example.com',
  // No instance metadata server here: the client libraries must not look for one (169.254.169.254).
  METADATA_SERVER_DETECTION: 'none',
};
