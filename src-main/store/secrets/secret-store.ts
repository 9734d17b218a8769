/**
 * Where passwords, key passphrases, sudo passwords, vault credentials and proxy passwords live.
 * Implementations keep only ciphertext on disk: the CLI's AES-256-GCM vault (key from
 * ASR_DEPLOY_VAULT_KEY via scrypt) and the desktop app's Electron safeStorage (DPAPI/Keychain/libsecret).
 */
export interface SecretStore {
  /** Scheme recorded with each blob so a data directory says which store can read it. */
  readonly scheme: string;
  put(ref: string, secret: string): void;
  get(ref: string): string;
  delete(ref: string): void;
  has(ref: string): boolean;
}

/** Encrypt/decrypt primitives a SecretStore is built on; the SQLite table holds the blobs. */
export interface SecretCipher {
  readonly scheme: string;
  encrypt(plain: Buffer): Buffer;
  decrypt(blob: Buffer): Buffer;
}
