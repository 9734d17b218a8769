import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsrFailure } from '../../../../src-main/model/errors.ts';
import { openDatabase } from '../../../../src-main/store/db.ts';
import { DbSecretStore, LazyVaultStore, VaultCipher } from '../../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../../src-main/store/store.ts';
import { runCli, tempHome } from '../../../helpers/cli.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every byte of the data directory, searched for the secret in UTF-8, UTF-16LE, base64 and hex. */
function expectNowhere(home: string, secret: string): void {
  const needles = [
    Buffer.from(secret, 'utf8'),
    Buffer.from(secret, 'utf16le'),
    Buffer.from(Buffer.from(secret).toString('base64')),
    Buffer.from(Buffer.from(secret).toString('hex')),
  ];
  for (const f of filesUnder(home)) {
    const bytes = readFileSync(f);
    for (const n of needles) expect(bytes.includes(n), `${secret} found in ${f}`).toBe(false);
  }
}

describe('vault', () => {
  it('round-trips secrets with AES-256-GCM and fresh IVs', () => {
    const db = openDatabase(tempHome());
    const store = new DbSecretStore(db, VaultCipher.open(db, 'correct horse battery staple'));
    store.put('a', 'pässwörd ✓');
    store.put('b', 'pässwörd ✓');
    expect(store.get('a')).toBe('pässwörd ✓');
    const blobs = db.prepare('SELECT blob FROM secrets ORDER BY ref').all() as { blob: Uint8Array }[];
    expect(Buffer.from(blobs[0]!.blob).equals(Buffer.from(blobs[1]!.blob))).toBe(false);
  });

  it('tells a wrong key apart and names the remedy, without echoing any secret', () => {
    const home = tempHome();
    const db = openDatabase(home);
    new DbSecretStore(db, VaultCipher.open(db, 'vault-key-one-long')).put('x', 'TopSecret123');
    expect(() => VaultCipher.open(db, 'vault-key-two-long')).toThrow(/does not open/);
    try {
      VaultCipher.open(db, 'vault-key-two-long');
    } catch (e) {
      expect(JSON.stringify(e)).not.toContain('TopSecret123');
      expect(JSON.stringify(e)).not.toContain('vault-key-two-long');
    }
  });

  it('a tampered blob is refused (GCM authentication)', () => {
    const db = openDatabase(tempHome());
    const store = new DbSecretStore(db, VaultCipher.open(db, 'unit-test-vault-key'));
    store.put('x', 'value');
    const row = db.prepare("SELECT blob FROM secrets WHERE ref='x'").get() as { blob: Uint8Array };
    const b = Buffer.from(row.blob);
    b[b.length - 1]! ^= 1;
    db.prepare("UPDATE secrets SET blob = ? WHERE ref='x'").run(b);
    expect(() => store.get('x')).toThrow(/cannot be decrypted/);
  });

  it('without a key, reading a secret is vault_locked with a remedy', () => {
    const s = openStore(tempHome(), (db) => new LazyVaultStore(db, () => undefined));
    expect(() => s.secrets.put('x', 'y')).toThrow(AsrFailure);
    try {
      s.secrets.put('x', 'y');
    } catch (e) {
      expect((e as AsrFailure).data).toMatchObject({ code: 'vault_locked', retryable: false });
      expect((e as AsrFailure).data.remedy).toMatch(/ASR_DEPLOY_VAULT_KEY/);
    }
    s.close();
  });

  it('a stored password appears nowhere in the data directory (database, WAL, logs)', async () => {
    const home = tempHome();
    const secret = 'Zq9-unique-Secret-' + Date.now();
    const sudo = 'Sudo-unique-' + Date.now();
    const env = { ASR_DEPLOY_VAULT_KEY: 'a long vault passphrase' };
    const add = await runCli(['credentials', 'add', 'linux-root', '--user', 'root', '--password-stdin', '--sudo-password-stdin'], {
      home,
      env,
      stdin: `${secret}\n${sudo}\n`,
    });
    // Only the warning that an environment variable is a weak place for the key (item 7).
    expect(add.stderr).toMatch(/^warning: the vault key comes from ASR_DEPLOY_VAULT_KEY[^\n]*\n$/);
    expect(add.code).toBe(0);
    const list = await runCli(['--json', 'credentials', 'list'], { home });
    expect(list.code).toBe(0);
    expect(list.json()).toEqual([{ name: 'linux-root', user: 'root', kind: 'password', keyFile: null, hasSudoPassword: true }]);
    expect(list.stdout + list.stderr + add.stdout).not.toContain(secret);
    expectNowhere(home, secret);
    expectNowhere(home, sudo);
    expectNowhere(home, env.ASR_DEPLOY_VAULT_KEY);
    // And the secret decrypts with the key.
    const s = openStore(home, (db) => new LazyVaultStore(db, () => env.ASR_DEPLOY_VAULT_KEY));
    expect(s.credentials.secret('linux-root')).toMatchObject({ password: secret, sudoPassword: sudo, user: 'root' });
    s.close();
  });
});
