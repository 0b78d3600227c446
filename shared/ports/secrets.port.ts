/** Secrets by name (Secret Manager in production; env or a git-ignored file locally). Values are never logged. */
export interface SecretSource {
  /** The secret's bytes as a string (binary secrets such as a P12 come base64-encoded). Throws when missing. */
  get(name: string): Promise<string>;
}

/** A secret source that can also save (the operator's org setup writes the P12 and credentials through it). */
export interface SecretStore extends SecretSource {
  putSecret(name: string, value: string): Promise<void>;
}
