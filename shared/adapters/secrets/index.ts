export { EnvSecretSource, type EnvSecretSourceOptions } from './env.secret-source.js';
export { MemorySecretSource } from './memory.secret-source.js';
export {
  DEFAULT_SECRET_TTL_MS,
  SECRET_RETRY_POLICY,
  SecretManagerSource,
  classifySecretManagerError,
  type SecretManagerClientOptions,
  type SecretManagerSourceOptions,
} from './secret-manager.secret-source.js';
export { SecretMissingError, assertSecretName, secretEnvVar } from './secret-name.js';
