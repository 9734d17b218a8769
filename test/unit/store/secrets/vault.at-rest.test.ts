// Issue 12 item 7: secrets at rest and in memory. The vault KDF at OWASP's scrypt minimum, old
// vaults migrated when opened; a minimum key length for new vaults; the database 0600 and the
// data directory 0700 on every open; a warning for a key from the environment; one redactor on
// the journal, `jobs show`, reports and host logs.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes, scryptSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostLog } from '../../../../src-main/deploy/host-log.ts';
import { writeReportFile } from '../../../../src-main/reports/write-report.ts';
import { createService } from '../../../../src-main/service/service.ts';
import { DbSecretStore, KDF, LazyVaultStore, VaultCipher } from '../../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../../src-main/store/store.ts';
import { runCli, tempHome } from '../../../helpers/cli.ts';

const KEY = 'correct horse battery staple';
const mode = (p: string) => statSync(p).mode & 0o777;

describe('the vault at rest', () => {
  it('a new vault uses scrypt N=2^17, r=8, p=1 (OWASP minimum) and refuses a key shorter than 12 characters', () => {
    expect(KDF).toEqual({ alg: 'scrypt', N: 131072, r: 8, p: 1 });
    const short = openStore(tempHome(), (db) => new LazyVaultStore(db, () => 'short-key'));
    expect(() => short.secrets.put('x', 'y')).toThrow(/at least 12 characters/);
    expect(short.db.prepare("SELECT count(*) AS n FROM settings WHERE key LIKE 'vault.%'").get()).toEqual({ n: 0 });
    const s = openStore(tempHome(), (db) => new LazyVaultStore(db, () => KEY));
    s.secrets.put('cred/a', 'a-secret-value');
    expect(s.settings.get('vault.kdf')).toEqual(KDF);
  });

  it('an existing vault made with N=2^15 still opens with its key and is re-keyed to the current parameters, secrets intact', () => {
    const home = tempHome();
    const s = openStore(home, (db) => new LazyVaultStore(db, () => 'short')); // old vaults may have short keys
    const salt = randomBytes(16);
    const legacy = new VaultCipher(scryptSync('short', salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }));
    s.settings.set('vault.salt', salt.toString('base64'));
    s.settings.set('vault.verifier', legacy.encrypt(Buffer.from('asr-deploy vault v1')).toString('base64'));
    new DbSecretStore(s.db, legacy).put('cred/old', 'old-secret-123');
    const before = (s.db.prepare("SELECT blob FROM secrets WHERE ref = 'cred/old'").get() as { blob: Uint8Array }).blob;
    expect(s.secrets.get('cred/old')).toBe('old-secret-123');
    expect(s.settings.get('vault.kdf')).toEqual(KDF);
    expect(s.settings.get<string>('vault.salt')).not.toBe(salt.toString('base64'));
    const after = (s.db.prepare("SELECT blob FROM secrets WHERE ref = 'cred/old'").get() as { blob: Uint8Array }).blob;
    expect(Buffer.from(after).equals(Buffer.from(before))).toBe(false);
    s.close();
    const again = openStore(home, (db) => new LazyVaultStore(db, () => 'short'));
    expect(again.secrets.get('cred/old')).toBe('old-secret-123');
    const wrong = openStore(home, (db) => new LazyVaultStore(db, () => 'wrong key, long enough'));
    expect(() => wrong.secrets.get('cred/old')).toThrow(/does not open/);
  });

  it('the data directory is made 0700 and the database files 0600 on every open, not only at creation', () => {
    const home = tempHome();
    openStore(home, (db) => new LazyVaultStore(db, () => KEY)).close();
    chmodSync(home, 0o755);
    chmodSync(join(home, 'asr-deploy.db'), 0o644);
    const s = openStore(home, (db) => new LazyVaultStore(db, () => KEY));
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, 'logs'))).toBe(0o700);
    for (const f of ['asr-deploy.db', 'asr-deploy.db-wal', 'asr-deploy.db-shm']) expect(mode(join(home, f)), f).toBe(0o600);
    s.close();
  });
});

describe('the vault key from the environment', () => {
  it('warns (once, on stderr) when the key comes from ASR_DEPLOY_VAULT_KEY; a private key file is the quiet alternative', async () => {
    const home = tempHome();
    const env = await runCli(['credentials', 'add', 'c1', '--user', 'root', '--password-stdin'], {
      home,
      stdin: 'pw-1234\n',
      env: { ASR_DEPLOY_VAULT_KEY: KEY },
    });
    expect(env.code).toBe(0);
    expect(env.stderr.match(/warning: the vault key comes from ASR_DEPLOY_VAULT_KEY.*\/proc\/<pid>\/environ.*ASR_DEPLOY_VAULT_KEY_FILE/g)).toHaveLength(1);
    const keyFile = join(mkdtempSync(join(tmpdir(), 'asr-key-')), 'vault.key');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    const file = await runCli(['credentials', 'add', 'c2', '--user', 'root', '--password-stdin'], {
      home,
      stdin: 'pw-5678\n',
      env: { ASR_DEPLOY_VAULT_KEY: undefined, ASR_DEPLOY_VAULT_KEY_FILE: keyFile },
    });
    expect(file.code).toBe(0);
    expect(file.stderr).not.toMatch(/warning/);
  });
});

describe('one redactor on every output', () => {
  const SECRET = `Pa55-${randomBytes(6).toString('hex')}`;
  it('a stored password echoed in an error never reaches the journal, jobs show, a report or a host log', async () => {
    const home = tempHome();
    const store = openStore(home, (db) => new LazyVaultStore(db, () => KEY));
    const service = createService(store);
    expect((await service.call('credentials.add', { name: 'admin', user: 'root', password: SECRET })).ok).toBe(true);
    const { host } = store.hosts.upsert({ address: '10.8.0.1', os: 'linux' });
    const job = store.journal.createJob({
      kind: 'apply',
      planId: null,
      options: { note: `with ${SECRET}` },
      hosts: [{ hostId: host.id, host: host.name, action: 'install', version: '9.66' }],
    });
    store.journal.setHost(job.id, host.id, {
      status: 'failed',
      error: { code: 'command_failed', message: `installer said: bad passphrase ${SECRET}`, retryable: false },
    });
    store.journal.stepStarted(job.id, host.id, 'install', { argv: ['-p', SECRET] });
    store.journal.stepEnded(job.id, host.id, 'install', 'failed', { stderr: `echo ${SECRET}` });
    store.journal.event(job.id, host.id, 'step-output', { line: `>${SECRET}<`, password: 'x-y-z-w' });
    const raw = JSON.stringify([
      store.db.prepare('SELECT * FROM jobs').all(),
      store.db.prepare('SELECT * FROM job_hosts').all(),
      store.db.prepare('SELECT * FROM steps').all(),
      store.db.prepare('SELECT * FROM events').all(),
    ]);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain('x-y-z-w');
    expect(raw).toContain('[redacted]');
    const shown = await service.call('jobs.show', { jobId: job.id });
    expect(shown.ok).toBe(true);
    expect(JSON.stringify(shown)).not.toContain(SECRET);

    const report = join(home, 'r.html');
    writeReportFile(report, `<p>${SECRET}</p>`);
    expect(readFileSync(report, 'utf8')).toBe('<p>[redacted]</p>');

    // A host log redacts what the process has seen, even a secret it was not told about.
    const log = new HostLog(home, job.id, host.name, []);
    log.line(`sudo: ${SECRET}`);
    expect(readFileSync(log.path, 'utf8')).not.toContain(SECRET);

    // An error that quotes it (unknown host named by the secret) leaves redacted too.
    const r = await service.call('hosts.remove', { hosts: SECRET });
    expect(r).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(JSON.stringify(r)).not.toContain(SECRET);
    store.close();
  });
});
