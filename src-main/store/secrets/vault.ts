import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { fail } from '../../model/errors.ts';
import { nowIso, type Db } from '../db.ts';
import type { SecretCipher, SecretStore } from './secret-store.ts';

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const VERIFIER = 'asr-deploy vault v1';

/**
 * AES-256-GCM with a key derived by scrypt from the vault passphrase (ASR_DEPLOY_VAULT_KEY).
 * The salt and an encrypted verifier live in `settings`, so a wrong key is told apart from a
 * corrupted blob; the key itself is never written anywhere.
 */
export class VaultCipher implements SecretCipher {
  readonly scheme = 'vault-aes256gcm-v1';
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
  }

  static open(db: Db, passphrase: string): VaultCipher {
    if (!passphrase) fail('vault_locked', 'The vault key is empty.', { remedy: 'Set ASR_DEPLOY_VAULT_KEY to a long passphrase.' });
    const saltRow = db.prepare(`SELECT value FROM settings WHERE key = 'vault.salt'`).get() as { value: string } | undefined;
    const salt = saltRow ? Buffer.from(JSON.parse(saltRow.value) as string, 'base64') : randomBytes(16);
    const cipher = new VaultCipher(scryptSync(passphrase.normalize('NFC'), salt, 32, SCRYPT));
    const verRow = db.prepare(`SELECT value FROM settings WHERE key = 'vault.verifier'`).get() as { value: string } | undefined;
    if (!saltRow || !verRow) {
      const verifier = cipher.encrypt(Buffer.from(VERIFIER)).toString('base64');
      db.prepare(`INSERT OR REPLACE INTO settings (key, value) VALUES ('vault.salt', ?), ('vault.verifier', ?)`).run(JSON.stringify(salt.toString('base64')), JSON.stringify(verifier));
      return cipher;
    }
    let ok: boolean;
    try {
      ok = cipher.decrypt(Buffer.from(JSON.parse(verRow.value) as string, 'base64')).toString() === VERIFIER;
    } catch {
      ok = false;
    }
    if (!ok) {
      fail('vault_key_wrong', 'The vault key does not open this data directory’s vault.', {
        remedy: 'Set ASR_DEPLOY_VAULT_KEY to the passphrase used when the credentials were added (or use another --home).',
      });
    }
    return cipher;
  }

  encrypt(plain: Buffer): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
  }

  decrypt(blob: Buffer): Buffer {
    if (blob[0] !== 1 || blob.length < 29) fail('validation', 'A stored secret has an unknown format.');
    const d = createDecipheriv('aes-256-gcm', this.key, blob.subarray(1, 13));
    d.setAuthTag(blob.subarray(13, 29));
    return Buffer.concat([d.update(blob.subarray(29)), d.final()]);
  }
}

/** Secrets as ciphertext rows in the project database, whatever the cipher. */
export class DbSecretStore implements SecretStore {
  private readonly db: Db;
  private readonly cipher: SecretCipher;
  constructor(db: Db, cipher: SecretCipher) {
    this.db = db;
    this.cipher = cipher;
  }
  get scheme(): string {
    return this.cipher.scheme;
  }
  put(ref: string, secret: string): void {
    const blob = this.cipher.encrypt(Buffer.from(secret, 'utf8'));
    this.db
      .prepare(`INSERT INTO secrets (ref, scheme, blob, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(ref) DO UPDATE SET scheme = excluded.scheme, blob = excluded.blob`)
      .run(ref, this.cipher.scheme, blob, nowIso());
  }
  get(ref: string): string {
    const row = this.db.prepare('SELECT scheme, blob FROM secrets WHERE ref = ?').get(ref) as { scheme: string; blob: Uint8Array } | undefined;
    if (!row) fail('not_found', `The secret ${ref} is not stored.`, { remedy: 'Add the credential again with `asr-deploy credentials add`.' });
    if (row.scheme !== this.cipher.scheme) {
      fail('vault_locked', `The secret ${ref} was stored by "${row.scheme}", which this front end cannot open.`, {
        remedy: 'Re-enter the credential here, or use the front end (CLI or desktop app) that stored it.',
      });
    }
    try {
      return this.cipher.decrypt(Buffer.from(row.blob)).toString('utf8');
    } catch {
      return fail('vault_key_wrong', `The secret ${ref} cannot be decrypted with this key.`, { remedy: 'Check ASR_DEPLOY_VAULT_KEY.' });
    }
  }
  delete(ref: string): void {
    this.db.prepare('DELETE FROM secrets WHERE ref = ?').run(ref);
  }
  has(ref: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM secrets WHERE ref = ?').get(ref);
  }
}

/**
 * The CLI's secret store, opened lazily: commands that never touch a secret never need the key.
 * The key comes from ASR_DEPLOY_VAULT_KEY, or from a prompt on a terminal.
 */
export class LazyVaultStore implements SecretStore {
  readonly scheme = 'vault-aes256gcm-v1';
  private inner: DbSecretStore | undefined;
  private readonly db: Db;
  private readonly keySource: () => string | undefined;
  constructor(db: Db, keySource: () => string | undefined) {
    this.db = db;
    this.keySource = keySource;
  }
  private open(): DbSecretStore {
    if (!this.inner) {
      const key = this.keySource();
      if (!key) {
        fail('vault_locked', 'Credentials are kept in an encrypted vault and no vault key was given.', {
          remedy: 'Set the environment variable ASR_DEPLOY_VAULT_KEY to a long passphrase (the same one every time for this data directory).',
        });
      }
      this.inner = new DbSecretStore(this.db, VaultCipher.open(this.db, key));
    }
    return this.inner;
  }
  put(ref: string, secret: string): void {
    this.open().put(ref, secret);
  }
  get(ref: string): string {
    return this.open().get(ref);
  }
  delete(ref: string): void {
    this.db.prepare('DELETE FROM secrets WHERE ref = ?').run(ref);
  }
  has(ref: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM secrets WHERE ref = ?').get(ref);
  }
}
