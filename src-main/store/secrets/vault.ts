import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { fail } from '../../model/errors.ts';
import { registerSecret } from '../../model/redact.ts';
import { nowIso, transaction, type Db } from '../db.ts';
import type { SecretCipher, SecretStore } from './secret-store.ts';

/**
 * scrypt at OWASP's Password Storage Cheat Sheet minimum (N=2^17, r=8, p=1: 128 MiB; Argon2id is
 * not in Node 22's crypto). `vault.kdf` in `settings` records the parameters of a vault; a vault
 * without it was made with N=2^15 and is re-keyed to the current parameters the first time the
 * right key opens it.
 */
export interface KdfParams {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
}
export const KDF: KdfParams = { alg: 'scrypt', N: 1 << 17, r: 8, p: 1 };
const LEGACY_KDF: KdfParams = { alg: 'scrypt', N: 1 << 15, r: 8, p: 1 };
/** A new vault's key must be at least this long (an existing vault opens with the key it has). */
export const MIN_VAULT_KEY_LENGTH = 12;
const VERIFIER = 'asr-deploy vault v1';

function derive(passphrase: string, salt: Buffer, k: KdfParams): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 256 * k.N * k.r + 1024 * 1024 });
}

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
    if (!passphrase)
      fail('vault_locked', 'The vault key is empty.', {
        remedy: 'Set ASR_DEPLOY_VAULT_KEY_FILE to a file (mode 0600) holding a long passphrase, or type it when asked.',
      });
    registerSecret(passphrase);
    const setting = (key: string) => {
      const r = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      return r ? (JSON.parse(r.value) as unknown) : undefined;
    };
    const saltText = setting('vault.salt') as string | undefined;
    const verText = setting('vault.verifier') as string | undefined;
    if (!saltText || !verText) {
      if ([...passphrase].length < MIN_VAULT_KEY_LENGTH) {
        fail('validation', `A new vault needs a key of at least ${MIN_VAULT_KEY_LENGTH} characters; nothing was stored.`, {
          remedy: 'Choose a long passphrase (several words) for the vault key.',
        });
      }
      return VaultCipher.create(db, passphrase);
    }
    const kdf = (setting('vault.kdf') as KdfParams | undefined) ?? LEGACY_KDF;
    const cipher = new VaultCipher(derive(passphrase, Buffer.from(saltText, 'base64'), kdf));
    let ok: boolean;
    try {
      ok = cipher.decrypt(Buffer.from(verText, 'base64')).toString() === VERIFIER;
    } catch {
      ok = false;
    }
    if (!ok) {
      fail('vault_key_wrong', 'The vault key does not open this data directory’s vault.', {
        remedy:
          'Give the passphrase used when the credentials were added (ASR_DEPLOY_VAULT_KEY_FILE, the prompt or ASR_DEPLOY_VAULT_KEY), or use another --home.',
      });
    }
    if (kdf.N < KDF.N || kdf.r < KDF.r) return VaultCipher.rekey(db, passphrase, cipher);
    return cipher;
  }

  private static create(db: Db, passphrase: string): VaultCipher {
    const salt = randomBytes(16);
    const cipher = new VaultCipher(derive(passphrase, salt, KDF));
    const verifier = cipher.encrypt(Buffer.from(VERIFIER)).toString('base64');
    db.prepare(`INSERT OR REPLACE INTO settings (key, value) VALUES ('vault.salt', ?), ('vault.verifier', ?), ('vault.kdf', ?)`).run(
      JSON.stringify(salt.toString('base64')),
      JSON.stringify(verifier),
      JSON.stringify(KDF),
    );
    return cipher;
  }

  /** Migration: every blob re-encrypted under a key derived with the current parameters, in one transaction. */
  private static rekey(db: Db, passphrase: string, old: VaultCipher): VaultCipher {
    return transaction(db, () => {
      const rows = db.prepare('SELECT ref, blob FROM secrets WHERE scheme = ?').all(old.scheme) as { ref: string; blob: Uint8Array }[];
      const plain = rows.map((r) => ({ ref: r.ref, value: old.decrypt(Buffer.from(r.blob)) }));
      const next = VaultCipher.create(db, passphrase);
      const upd = db.prepare('UPDATE secrets SET blob = ? WHERE ref = ?');
      for (const r of plain) upd.run(next.encrypt(r.value), r.ref);
      return next;
    });
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
    registerSecret(secret);
    const blob = this.cipher.encrypt(Buffer.from(secret, 'utf8'));
    this.db
      .prepare(
        `INSERT INTO secrets (ref, scheme, blob, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(ref) DO UPDATE SET scheme = excluded.scheme, blob = excluded.blob`,
      )
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
      const value = this.cipher.decrypt(Buffer.from(row.blob)).toString('utf8');
      registerSecret(value);
      return value;
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
          remedy:
            'Set ASR_DEPLOY_VAULT_KEY_FILE to a file only you can read (mode 0600) holding a long passphrase (the same one every time for this data directory), or run in a terminal to be asked.',
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
