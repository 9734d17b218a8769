import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanSshHostKey } from '../../../src-main/remote/ssh/scan.ts';
import { getLab } from '../../lab/inject.ts';
import { fault, removeHost } from '../../lab/lab.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { failureOf, labTransport, scratchHost, type Login } from './ssh-lab-helpers.ts';

const { lab, reason } = getLab();
const MB = 1024 * 1024;

describe.skipIf(!lab)(`SSH transport: logins and host keys on a shared lab host (needs the lab: ${reason})`, () => {
  const state = lab as LabState;
  const host = state?.hosts.find((h) => h.sftp) as HostState;

  it.each<[Login, string]>([
    ['root-key', 'publickey'],
    ['admin-key', 'publickey'],
    ['admin-password', 'password'],
    ['admin-kbd', 'keyboard-interactive'],
  ])('%s logs in with exactly one %s attempt and logs the negotiation', async (login, method) => {
    const { t, logs } = labTransport(host, login);
    await t.connect();
    try {
      const r = await t.exec(['id', '-un']);
      expect(r.stdout.trim()).toBe(login === 'root-key' ? 'root' : host.users.admin.name);
      const text = logs.join('\n');
      expect(logs.filter((l) => l.includes('auth: trying'))).toEqual([expect.stringContaining(`auth: trying ${method} as`)]);
      expect(text).toMatch(/server offers auth methods: .*publickey/);
      expect(text).toMatch(/server offers kex: .*curve25519/);
      expect(text).toMatch(/client offers kex: /);
      expect(text).toMatch(/server offers host key: ssh-ed25519/);
      expect(text).toMatch(/server offers cipher: /);
      expect(text).toMatch(/server offers mac: /);
      expect(text).toMatch(/negotiated: kex=\S+ hostkey=ssh-ed25519 cipher=\S+ mac=\S+/);
      expect(text).toMatch(/server ident: SSH-2\.0-OpenSSH/);
      for (const secret of [host.users.admin.password, host.users.admin.keyPassphrase]) if (secret) expect(text).not.toContain(secret);
      console.info(`[measure] ${login} login ${t.loginMs} ms`);
    } finally {
      await t.close();
      await t.close(); // idempotent
    }
  });

  it('refuses an unpinned host with host_key_unknown and the trust commands', async () => {
    const { t } = labTransport(host, 'root-key', { expectedHostKey: null });
    const f = await failureOf(() => t.connect());
    expect(f.code).toBe('host_key_unknown');
    expect(f.message).toContain(host.hostKeyFingerprint);
    expect(f.remedy).toContain(`asr-deploy trust scan ${host.name}`);
    expect(f.retryable).toBe(false);
  });

  it('scans the host key without logging in; it equals the lab fingerprint', async () => {
    const before = readFileSync(host.sshdLogPath, 'utf8').length;
    const scan = await scanSshHostKey(host.address, 22, { timeoutMs: 5_000 });
    expect(scan.fingerprint).toBe(host.hostKeyFingerprint);
    expect(scan.keyType).toBe('ssh-ed25519');
    expect(scan.banner).toMatch(/^SSH-2\.0-OpenSSH_/);
    const newLog = readFileSync(host.sshdLogPath, 'utf8').slice(before);
    expect(newLog).not.toMatch(/Failed|Accepted|Invalid user/);
  });

  it('no common key exchange algorithm is unsupported, with both lists and what to enable', async () => {
    const { t, logs } = labTransport(host, 'root-key', { algorithms: { kex: ['diffie-hellman-group1-sha1'] } });
    const f = await failureOf(() => t.connect());
    expect(f.code).toBe('unsupported');
    expect(f.message).toMatch(/no common kex algorithm: server offers \[.*curve25519-sha256.*\], client offers \[diffie-hellman-group1-sha1\]/);
    expect(f.remedy).toContain('curve25519-sha256');
    expect(logs.join('\n')).toMatch(/server offers kex: /);
  });

  it.skipIf(spawnSync('ssh-agent', ['-h']).error !== undefined)('logs in through an ssh-agent socket (needs ssh-agent)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-agent-'));
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      expect(spawnSync('ssh-add', [host.users.root.keyPath ?? ''], { env: { SSH_AUTH_SOCK: sock } }).status).toBe(0);
      const { t, logs } = labTransport(host, 'root-key', { auth: { agent: sock } });
      await t.connect();
      expect((await t.exec(['id', '-u'])).stdout.trim()).toBe('0');
      expect(logs.join('\n')).toContain('auth: trying agent as root');
      await t.close();
    } finally {
      agent.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a wrong private key passphrase locally, before any logon attempt', async () => {
    const { t } = labTransport(host, 'root-key', {
      auth: { privateKey: readFileSync(host.users.admin.keyPath ?? ''), passphrase: 'not it' },
      username: host.users.admin.name,
    });
    const f = await failureOf(() => t.connect());
    expect(f.code).toBe('auth_failed');
    expect(f.message).toMatch(/passphrase/);
    expect(f.message).not.toContain('not it');
  });
});

describe.skipIf(!lab)(`SSH transport: failures and faults on a throwaway lab host (needs the lab: ${reason})`, () => {
  const state = lab as LabState;
  let host: HostState;
  beforeAll(async () => {
    host = await scratchHost(state, 'ssh-faults');
  });
  afterAll(async () => {
    if (host) await removeHost(state, host.name);
  });

  /** Failed logon lines sshd wrote for `user` since `from` (one line per attempt, any method). */
  const failedLogons = (from: number, user: string): string[] =>
    readFileSync(host.sshdLogPath, 'utf8')
      .slice(from)
      .split('\n')
      .filter((l) => new RegExp(`Failed (password|keyboard-interactive/pam|publickey) for (invalid user )?${user} `).test(l));

  it.each<[Login, RegExp]>([
    ['admin-password', /Failed password for/],
    ['admin-kbd', /Failed keyboard-interactive\/pam for/],
  ])('a wrong password (%s) is auth_failed after exactly one logon attempt', async (login, line) => {
    const from = readFileSync(host.sshdLogPath, 'utf8').length;
    const { t, logs } = labTransport(host, login, {
      auth: { password: 'wrong-Password-1', method: login === 'admin-kbd' ? 'keyboard-interactive' : 'password' },
    });
    const f = await failureOf(() => t.connect());
    expect(f.code).toBe('auth_failed');
    expect(f.retryable).toBe(false);
    expect(f.asrErrorId).toBe(95108);
    expect(f.message).toMatch(/server offers: publickey, password, keyboard-interactive/);
    expect(JSON.stringify(f)).not.toContain('wrong-Password-1');
    expect(logs.join('\n')).not.toContain('wrong-Password-1');
    // sshd logs the failure after the PAM delay; give it a moment to reach the file.
    await new Promise((r) => setTimeout(r, 300));
    const failed = failedLogons(from, host.users.admin.name);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(line);
  });

  describe('full disk (disk-full fault)', () => {
    const local = mkdtempSync(join(tmpdir(), 'asr-ssh-full-'));
    beforeAll(async () => {
      await fault(state, host, 'disk-full');
    });
    afterAll(async () => {
      await fault(state, host, 'disk-free');
      rmSync(local, { recursive: true, force: true });
    });

    it('upload to a full file system is disk_full naming the path, and leaves no partial file', async () => {
      const file = join(local, 'payload.bin');
      writeFileSync(file, randomBytes(4 * MB));
      const { t } = labTransport(host, 'root-key');
      try {
        for (const method of ['sftp-fastput', 'exec-cat'] as const) {
          const { t: m } = labTransport(host, 'root-key', { uploadMethods: [method] });
          const f = await failureOf(() => m.upload(file, '/var/tmp/payload.bin'));
          await m.close();
          expect(f.code).toBe('disk_full');
          expect(f.message).toContain('/var/tmp');
          expect(f.remedy).toMatch(/Free at least/);
        }
        expect((await t.exec(['test', '-e', '/var/tmp/payload.bin'], { allowNonZero: true })).exitCode).not.toBe(0);
      } finally {
        await t.close();
      }
    });

    it('a .tar.gz streamed into a full file system (tar-stream) is disk_full, and the folder is removed', async () => {
      const src = join(local, 'tree');
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, 'payload.bin'), randomBytes(4 * MB));
      const tgz = join(local, 'installer.tar.gz');
      execFileSync('tar', ['-czf', tgz, '-C', src, '.']);
      const { t } = labTransport(host, 'root-key');
      try {
        const f = await failureOf(() => t.uploadUnpacked(tgz, '/var/tmp/asr-x'));
        expect(f.code).toBe('disk_full');
        expect(f.message).toContain('/var/tmp');
        expect((await t.exec(['test', '-e', '/var/tmp/asr-x'], { allowNonZero: true })).exitCode).not.toBe(0);
      } finally {
        await t.close();
      }
    });

    it('a command that hits ENOSPC is disk_full with the path from its message', async () => {
      const { t } = labTransport(host, 'root-key');
      try {
        const f = await failureOf(() => t.exec(['dd', 'if=/dev/zero', 'of=/usr/local/asr-fill.bin', 'bs=1M', 'count=3']));
        expect(f.code).toBe('disk_full');
        expect(f.message).toContain('/usr/local/asr-fill.bin');
        expect(f.remedy).toContain('/usr/local/asr-fill.bin');
      } finally {
        await t.close();
      }
    });
  });

  it('a stalled sshd (TCP up, no banner) is a timeout naming the banner phase, within the bound', async () => {
    await fault(state, host, 'hang');
    try {
      const { t } = labTransport(host, 'root-key', { handshakeTimeoutMs: 1_500 });
      const f = await failureOf(() => t.connect());
      expect(f.code).toBe('timeout');
      expect(f.message).toMatch(/stalled in: waiting for the SSH banner/);
      expect(f.elapsedMs).toBeLessThan(1_500 + 1_000);
    } finally {
      await fault(state, host, 'unhang');
    }
  });

  it('port 22 dropped is a TCP connect timeout within the configured bound', async () => {
    await fault(state, host, 'drop-22');
    try {
      const { t } = labTransport(host, 'root-key', { connectTimeoutMs: 1_500 });
      const f = await failureOf(() => t.connect());
      expect(f.code).toBe('timeout');
      expect(f.retryable).toBe(true);
      expect(f.message).toMatch(/TCP connect .* timed out after 1500 ms/);
      expect(f.elapsedMs).toBeGreaterThanOrEqual(1_400);
      expect(f.elapsedMs).toBeLessThan(1_500 + 500);
    } finally {
      await fault(state, host, 'undrop-22');
    }
  });

  it('sshd stopped is unreachable (connection refused), at once and retryable', async () => {
    await fault(state, host, 'sshd-stop');
    try {
      const { t } = labTransport(host, 'root-key');
      const f = await failureOf(() => t.connect());
      expect(f.code).toBe('unreachable');
      expect(f.retryable).toBe(true);
      expect(f.message).toContain('ECONNREFUSED');
      expect(f.elapsedMs).toBeLessThan(1_000);
    } finally {
      await fault(state, host, 'sshd-start');
    }
  });

  it('a changed host key (rekey) is host_key_mismatch naming both fingerprints', async () => {
    const pinned = host.hostKeyFingerprint;
    const r = await fault(state, host, 'rekey');
    expect(r.hostKeyFingerprint).not.toBe(pinned);
    const { t } = labTransport(host, 'root-key', { expectedHostKey: pinned });
    const f = await failureOf(() => t.connect());
    expect(f.code).toBe('host_key_mismatch');
    expect(f.message).toContain(pinned);
    expect(f.message).toContain(r.hostKeyFingerprint);
    expect(f.remedy).toMatch(/trust approve \S+ --replace/);
    // Re-approved, the same host works again.
    const again = labTransport(host, 'root-key', { expectedHostKey: r.hostKeyFingerprint }).t;
    await again.connect();
    await again.close();
  });
});
