import type { SyncSettings } from '../domain/settings.js';

/** The organisation's settings (S1, S3): what the operator configured. Secrets are never stored here. */
export interface OrgConfig {
  readonly enabled: boolean;
  readonly serviceAccountEmail: string;
  /** Severa REST API client id (not a secret; its secret is `severa-client-secret` in the secret source). */
  readonly severaClientId: string;
  readonly sync: SyncSettings;
  readonly updatedAt: string;
}

export interface OrgConfigStore {
  getOrgConfig(): Promise<OrgConfig | null>;
  putOrgConfig(config: OrgConfig): Promise<void>;
}
