import { fail } from '../model/errors.ts';
import { nowIso, transaction, type Db } from './db.ts';
import type { SecretStore } from './secrets/secret-store.ts';

export interface CredentialInfo {
  name: string;
  user: string;
  kind: 'password' | 'key';
  keyFile: string | null;
  hasPassphrase: boolean;
  hasSudoPassword: boolean;
  createdAt: string;
}

/** What a transport needs to log in: only ever held in memory. */
export interface CredentialSecret {
  name: string;
  user: string;
  kind: 'password' | 'key';
  password?: string;
  privateKey?: string;
  passphrase?: string;
  sudoPassword?: string;
}

interface Row {
  name: string;
  user: string;
  kind: 'password' | 'key';
  key_file: string | null;
  secret_ref: string | null;
  passphrase_ref: string | null;
  sudo_ref: string | null;
  created_at: string;
}

export const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export class CredentialRepository {
  private readonly db: Db;
  private readonly secrets: SecretStore;
  constructor(db: Db, secrets: SecretStore) {
    this.db = db;
    this.secrets = secrets;
  }

  list(): CredentialInfo[] {
    return (this.db.prepare('SELECT * FROM credentials ORDER BY name').all() as unknown as Row[]).map(info);
  }

  info(name: string): CredentialInfo | undefined {
    const r = this.db.prepare('SELECT * FROM credentials WHERE name = ?').get(name) as unknown as Row | undefined;
    return r ? info(r) : undefined;
  }

  /** Adds or replaces a credential; the secrets go to the SecretStore, the row holds only references. */
  add(input: {
    name: string;
    user: string;
    password?: string;
    privateKey?: string;
    keyFile?: string;
    passphrase?: string;
    sudoPassword?: string;
  }): CredentialInfo {
    if (!CREDENTIAL_NAME.test(input.name))
      fail('validation', `"${input.name}" is not a valid credential name.`, { remedy: 'Use 1-64 letters, digits, _ . @ -, starting with a letter or digit.' });
    if (!input.user || /[\s:]/.test(input.user)) fail('validation', 'The user name is empty or contains spaces or colons.');
    const kind = input.privateKey !== undefined ? 'key' : 'password';
    if (kind === 'password' && !input.password) fail('validation', 'A password credential needs a non-empty password on stdin.');
    const ref = (part: string) => `credential/${input.name}/${part}`;
    return transaction(this.db, () => {
      this.removeSecrets(input.name);
      if (kind === 'key') this.secrets.put(ref('key'), input.privateKey!);
      else this.secrets.put(ref('password'), input.password!);
      if (input.passphrase) this.secrets.put(ref('passphrase'), input.passphrase);
      if (input.sudoPassword) this.secrets.put(ref('sudo'), input.sudoPassword);
      this.db
        .prepare(
          `INSERT INTO credentials (name, user, kind, key_file, secret_ref, passphrase_ref, sudo_ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET user=excluded.user, kind=excluded.kind, key_file=excluded.key_file, secret_ref=excluded.secret_ref, passphrase_ref=excluded.passphrase_ref, sudo_ref=excluded.sudo_ref`,
        )
        .run(
          input.name,
          input.user,
          kind,
          input.keyFile ?? null,
          kind === 'key' ? ref('key') : ref('password'),
          input.passphrase ? ref('passphrase') : null,
          input.sudoPassword ? ref('sudo') : null,
          nowIso(),
        );
      return this.info(input.name)!;
    });
  }

  remove(name: string): void {
    transaction(this.db, () => {
      if (!this.info(name)) fail('not_found', `No credential named "${name}".`, { remedy: 'See `asr-deploy credentials list`.' });
      const users = this.db.prepare('SELECT name FROM hosts WHERE credential = ?').all(name) as { name: string }[];
      if (users.length) {
        fail(
          'conflict',
          `The credential "${name}" is assigned to ${users.length} host(s): ${users
            .slice(0, 5)
            .map((u) => u.name)
            .join(', ')}${users.length > 5 ? ', …' : ''}.`,
          {
            remedy: 'Assign another credential to those hosts (hosts add ADDRESS --credential OTHER) or remove them first.',
          },
        );
      }
      this.removeSecrets(name);
      this.db.prepare('DELETE FROM credentials WHERE name = ?').run(name);
    });
  }

  /** Decrypts a credential for one connection. Needs the vault key. */
  secret(name: string): CredentialSecret {
    const r = this.db.prepare('SELECT * FROM credentials WHERE name = ?').get(name) as unknown as Row | undefined;
    if (!r) fail('not_found', `No credential named "${name}".`, { remedy: 'Add it with `asr-deploy credentials add`.' });
    const out: CredentialSecret = { name: r.name, user: r.user, kind: r.kind };
    if (r.kind === 'key' && r.secret_ref) out.privateKey = this.secrets.get(r.secret_ref);
    if (r.kind === 'password' && r.secret_ref) out.password = this.secrets.get(r.secret_ref);
    if (r.passphrase_ref) out.passphrase = this.secrets.get(r.passphrase_ref);
    if (r.sudo_ref) out.sudoPassword = this.secrets.get(r.sudo_ref);
    return out;
  }

  private removeSecrets(name: string): void {
    for (const part of ['key', 'password', 'passphrase', 'sudo']) this.secrets.delete(`credential/${name}/${part}`);
  }
}

function info(r: Row): CredentialInfo {
  return {
    name: r.name,
    user: r.user,
    kind: r.kind,
    keyFile: r.key_file,
    hasPassphrase: !!r.passphrase_ref,
    hasSudoPassword: !!r.sudo_ref,
    createdAt: r.created_at,
  };
}
