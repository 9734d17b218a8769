import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shJoin } from '../../../src-main/remote/quote-posix.ts';
import type { SshTransport } from '../../../src-main/remote/ssh/ssh-transport.ts';
import { getLab } from '../../lab/inject.ts';
import { hostProcs } from '../../lab/lab.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { hostileStrings, splitNul } from '../../unit/remote/hostile-strings.ts';
import { failureOf, labTransport } from './ssh-lab-helpers.ts';

const { lab, reason } = getLab();
const MB = 1024 * 1024;

/** Processes of the host whose command line contains `marker`. */
const procsWith = (host: HostState, marker: string): string[] =>
  hostProcs(host)
    .map((p) => p.cmdline)
    .filter((c) => c.includes(marker));

describe.skipIf(!lab)(`SSH transport: exec on a shared lab host (needs the lab: ${reason})`, () => {
  const state = lab as LabState;
  const host = state?.hosts.find((h) => h.sftp) as HostState;
  let root: SshTransport;
  let admin: SshTransport;
  let nopw: SshTransport;
  let adminLogs: string[];
  beforeAll(async () => {
    root = labTransport(host, 'root-key').t;
    ({ t: admin, logs: adminLogs } = labTransport(host, 'admin-password'));
    // NOPASSWD sudo, yet a sudo password is configured: it must never reach the program's stdin.
    nopw = labTransport(host, 'nopw-key', { sudoPassword: 'never-typed-Secret-9' }).t;
    await Promise.all([root.connect(), admin.connect(), nopw.connect()]);
  });
  afterAll(async () => {
    await Promise.all([root?.close(), admin?.close(), nopw?.close()]);
  });

  it('hostile argv round-trips through the login shell, the wrapper and sudo', async () => {
    const strings = hostileStrings(1500, 99);
    // Stay well under Linux's 128 KiB limit for the single `-c` argument sshd hands the shell.
    const batches: string[][] = [[]];
    let size = 0;
    for (const s of strings) {
      const q = shJoin([s]).length + 1;
      if (size + q > 30_000) {
        batches.push([]);
        size = 0;
      }
      batches[batches.length - 1]?.push(s);
      size += q;
    }
    for (const batch of batches) {
      const r = await root.exec(['printf', '%s\\0', ...batch]);
      expect(splitNul(Buffer.from(r.stdout, 'utf8'))).toEqual(batch);
    }
    const elevated = await nopw.exec(['printf', '%s\\0', ...(batches[0] ?? [])], { elevate: true });
    expect(splitNul(Buffer.from(elevated.stdout, 'utf8'))).toEqual(batches[0]);
  });

  it('applies cwd and env safely and streams stdout/stderr', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await root.exec(['/bin/sh', '-c', 'pwd; printf "%s\\n" "$ASR_X"; echo to-stderr >&2'], {
      cwd: '/tmp',
      env: { ASR_X: "a'b $(id) `x`" },
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    });
    expect(r.stdout).toBe("/tmp\na'b $(id) `x`\n");
    expect(out.join('')).toBe(r.stdout);
    expect(err.join('')).toBe('to-stderr\n');
    const f = await failureOf(() => root.exec(['pwd'], { cwd: '/no/such/dir' }));
    expect(f.code).toBe('not_found');
  });

  it('non-zero exit is command_failed with the exit code, unless allowNonZero', async () => {
    const f = await failureOf(() => root.exec(['/bin/sh', '-c', 'echo broken >&2; exit 7']));
    expect(f).toMatchObject({ code: 'command_failed', exitCode: 7 });
    expect(f.message).toContain('broken');
    const r = await root.exec(['/bin/sh', '-c', 'exit 7'], { allowNonZero: true });
    expect(r.exitCode).toBe(7);
  });

  it("exit 127 (the shell's command not found) is not_found, unless allowNonZero returns it", async () => {
    const f = await failureOf(() => root.exec(['/usr/bin/asr-no-such-program']));
    expect(f).toMatchObject({ code: 'not_found', exitCode: 127, remedy: 'Check the path or program name on the host.' });
    expect(f.message).toContain('asr-no-such-program');
    const r = await root.exec(['/bin/sh', '-c', 'asr-no-such-program'], { allowNonZero: true });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/asr-no-such-program.*not found/);
  });

  it('sudo with a password: root, stdin intact after the password, password in no argv on the target', async () => {
    const marker = `asr-sudo-${randomBytes(4).toString('hex')}`;
    const stdin = `first line\n${marker}\nlast line without newline`;
    const run = admin.exec(['/bin/sh', '-c', `id -u; sleep 1.5; cat # ${marker}`], { elevate: true, stdin });
    // While it sleeps, look at every process's argv (and environment-free cmdline) on the host.
    await new Promise((r) => setTimeout(r, 700));
    const cmdlines = hostProcs(host).map((p) => p.cmdline);
    expect(cmdlines.some((c) => c.includes(marker))).toBe(true);
    const password = host.users.admin.password ?? '';
    expect(password.length).toBeGreaterThan(0);
    expect(cmdlines.filter((c) => c.includes(password))).toEqual([]);
    const r = await run;
    expect(r.stdout).toBe(`0\n${stdin}`);
    expect(adminLogs.join('\n')).not.toContain(password);
    // A second elevated call (sudo may or may not ask again) gives the same clean stdin.
    expect((await admin.exec(['cat'], { elevate: true, stdin: 'again\n' })).stdout).toBe('again\n');
  });

  it('sudo NOPASSWD: runs as root and the configured sudo password never reaches stdin', async () => {
    const r = await nopw.exec(['/bin/sh', '-c', 'id -u; cat'], { elevate: true, stdin: 'payload\n' });
    expect(r.stdout).toBe('0\npayload\n');
    const empty = await nopw.exec(['cat'], { elevate: true });
    expect(empty.stdout).toBe('');
  });

  it('a wrong sudo password is permission_denied with a remedy, after one try', async () => {
    const { t, logs } = labTransport(host, 'admin-password', { sudoPassword: 'wrong-Sudo-Pass-3' });
    try {
      const f = await failureOf(() => t.exec(['id'], { elevate: true }));
      expect(f.code).toBe('permission_denied');
      expect(f.retryable).toBe(false);
      expect(f.remedy).toMatch(/sudo password/);
      expect(JSON.stringify(f)).not.toContain('wrong-Sudo-Pass-3');
      expect(logs.join('\n')).not.toContain('wrong-Sudo-Pass-3');
    } finally {
      await t.close();
    }
  });

  it.each([
    ['as the login user', false],
    ['elevated through sudo with a password', true],
  ])('timeout kills the remote process group (%s) and raises timeout', async (_label, elevate) => {
    const marker = `${(Math.random() * 1e6).toFixed(0)}.5`;
    const t = elevate ? admin : nopw;
    // Two children of the shell: the whole group must go. (A pipeline, not `&`: sh gives a
    // background job /dev/null, which non-root cannot open on this machine.)
    const run = failureOf(() => t.exec(['/bin/sh', '-c', `sleep 300${marker} | sleep 301${marker}`], { timeoutMs: 1_000, elevate }));
    await new Promise((r) => setTimeout(r, 700));
    expect(procsWith(host, marker).filter((c) => c.startsWith('sleep '))).toHaveLength(2);
    const f = await run;
    expect(f.code).toBe('timeout');
    expect(f.message).toMatch(/killed/);
    expect(f.elapsedMs).toBeLessThan(1_000 + 1_000 + 1_500);
    expect(procsWith(host, marker)).toEqual([]);
  });

  it('abort → cancelled, and the remote process is gone', async () => {
    const marker = `${(Math.random() * 1e6).toFixed(0)}.25`;
    const ac = new AbortController();
    const run = failureOf(() => root.exec(['/bin/sh', '-c', `sleep 302${marker}`], { signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 500));
    expect(procsWith(host, marker).length).toBeGreaterThan(0);
    ac.abort();
    const f = await run;
    expect(f.code).toBe('cancelled');
    expect(procsWith(host, marker)).toEqual([]);
  });
});

describe.skipIf(!lab)(`SSH transport: uploads and downloads (needs the lab: ${reason})`, () => {
  const state = lab as LabState;
  const host = state?.hosts.find((h) => h.sftp) as HostState;
  const noSftp = state?.hosts.find((h) => !h.sftp) as HostState | undefined;
  const local = mkdtempSync(join(tmpdir(), 'asr-ssh-xfer-'));
  const big = join(local, 'installer-20m.bin');
  let bigHash = '';
  const remoteDir = `/tmp/asr-ssh-test-${randomBytes(4).toString('hex')}`;
  let root: SshTransport;
  beforeAll(async () => {
    const data = randomBytes(20 * MB);
    writeFileSync(big, data);
    bigHash = createHash('sha256').update(data).digest('hex');
    root = labTransport(host, 'root-key').t;
    await root.exec(['mkdir', '-p', remoteDir]);
  });
  afterAll(async () => {
    await root?.exec(['rm', '-rf', remoteDir]).catch(() => undefined);
    await root?.close();
    rmSync(local, { recursive: true, force: true });
  });

  it.each(['sftp-fastput', 'sftp-stream'] as const)('uploads 20 MB via %s with progress, mode and a verified hash', async (method) => {
    const { t } = labTransport(host, 'root-key', { uploadMethods: [method] });
    try {
      const progress: number[] = [];
      const r = await t.upload(big, `${remoteDir}/${method}.bin`, { sha256: bigHash, mode: 0o640, onProgress: (sent, total) => progress.push(sent / total) });
      expect(r).toMatchObject({ bytes: 20 * MB, sha256: bigHash, method });
      expect(progress.length).toBeGreaterThan(5);
      expect(progress[progress.length - 1]).toBe(1);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(await root.remoteSha256(`${remoteDir}/${method}.bin`)).toBe(bigHash);
      expect((await root.exec(['stat', '-c', '%a', `${remoteDir}/${method}.bin`])).stdout.trim()).toBe('640');
      console.info(`[measure] upload 20 MB via ${method}: ${r.durationMs} ms = ${(20 / (r.durationMs / 1000)).toFixed(1)} MB/s (incl. hashing both sides)`);
    } finally {
      await t.close();
    }
  });

  describe('uploadUnpacked (tar-stream): a .tar.gz unpacked on the target as it arrives', () => {
    const tgz = join(local, 'installer.tar.gz');
    let tgzHash = '';
    beforeAll(() => {
      const src = join(local, 'tree');
      mkdirSync(join(src, 'bin'), { recursive: true });
      writeFileSync(join(src, 'install'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
      writeFileSync(join(src, 'bin', 'payload.bin'), randomBytes(12 * MB));
      execFileSync('tar', ['-czf', tgz, '-C', src, '.']);
      tgzHash = createHash('sha256').update(readFileSync(tgz)).digest('hex');
    });

    it.each([
      ['the SFTP host', () => host],
      ['the host without SFTP', () => noSftp],
    ] as const)('on %s: the tree arrives with modes kept, the stream is hashed there, no tarball is written', async (_what, pick) => {
      const h = pick();
      if (!h) return void console.info('[skip] the lab has no host without SFTP');
      const { t, logs } = labTransport(h, 'root-key');
      try {
        const dir = `/tmp/asr-unpack-${randomBytes(4).toString('hex')}`;
        await t.exec(['mkdir', '-m', '700', dir]);
        const progress: number[] = [];
        const r = await t.uploadUnpacked(tgz, `${dir}/x`, { sha256: tgzHash, onProgress: (sent) => progress.push(sent) });
        expect(r).toMatchObject({ method: 'tar-stream', sha256: tgzHash, bytes: statSync(tgz).size });
        expect(progress.at(-1)).toBe(statSync(tgz).size);
        expect(
          (await t.exec(['sh', '-c', 'cd "$1" && find . -type f | sort && stat -c %a install', 'ls', `${dir}/x`])).stdout.split('\n').filter(Boolean),
        ).toEqual(['./bin/payload.bin', './install', '755']);
        expect((await t.exec(['ls', '-A', dir])).stdout.trim()).toBe('x');
        expect(logs.join('\n')).toMatch(/tarball not written/);
        await t.exec(['rm', '-rf', dir]);
      } finally {
        await t.close();
      }
    });

    it('a file that is not a .tar.gz is command_failed naming tar, and the folder is removed', async () => {
      const f = await failureOf(() => root.uploadUnpacked(big, `${remoteDir}/notgz`, { sha256: bigHash }));
      expect(f.code).toBe('command_failed');
      expect(f.message).toMatch(/unpacking .* failed \(tar exit \d+\)/);
      expect((await root.exec(['test', '-e', `${remoteDir}/notgz`], { allowNonZero: true })).exitCode).not.toBe(0);
    });

    it('a local file that does not match the expected hash is refused before anything is sent', async () => {
      const f = await failureOf(() => root.uploadUnpacked(tgz, `${remoteDir}/never`, { sha256: '0'.repeat(64) }));
      expect(f.code).toBe('hash_mismatch');
      expect((await root.exec(['test', '-e', `${remoteDir}/never`], { allowNonZero: true })).exitCode).not.toBe(0);
    });

    it('cancelled mid-stream: cancelled, and no tar or tee is left on the host', async () => {
      const ac = new AbortController();
      const target = `${remoteDir}/cancelled-${randomBytes(3).toString('hex')}`;
      const run = failureOf(() => root.uploadUnpacked(tgz, target, { sha256: tgzHash, signal: ac.signal, onProgress: (sent) => sent > 2 * MB && ac.abort() }));
      const f = await run;
      expect(f.code).toBe('cancelled');
      await new Promise((r) => setTimeout(r, 500));
      expect(procsWith(host, target)).toEqual([]);
    });
  });

  it('downloads back what was uploaded (round trip, hash checked)', async () => {
    await root.upload(big, `${remoteDir}/rt.bin`);
    const back = join(local, 'back.bin');
    await root.download(`${remoteDir}/rt.bin`, back);
    expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(bigHash);
    const f = await failureOf(() => root.download(`${remoteDir}/missing.bin`, join(local, 'missing.bin')));
    expect(f.code).toBe('not_found');
  });

  it('openssl (tried first) and the sha256sum fallback give the same hash', async () => {
    await root.upload(big, `${remoteDir}/h.bin`);
    expect(await root.remoteSha256(`${remoteDir}/h.bin`, { tool: 'openssl' })).toBe(bigHash);
    expect(await root.remoteSha256(`${remoteDir}/h.bin`, { tool: 'sha256sum' })).toBe(bigHash);
  });

  it('a target file that does not keep what was written is hash_mismatch, and the bad file is removed', async () => {
    // A symlink to a null device takes every byte and keeps none: a real corruption on the target.
    // The device node is the test's own: lab hosts share this machine's /dev, and the upload's chmod
    // through the link would otherwise make the workstation's /dev/null 0600 for every later test.
    await root.exec(['sh', '-c', 'mknod "$1/null-dev" c 1 3 && ln -sf "$1/null-dev" "$1/sink.bin"', 'sh', remoteDir]);
    const f = await failureOf(() => root.upload(big, `${remoteDir}/sink.bin`));
    expect(f.code).toBe('hash_mismatch');
    expect(f.message).toContain(bigHash);
    expect((await root.exec(['test', '-e', `${remoteDir}/sink.bin`], { allowNonZero: true })).exitCode).not.toBe(0);
  });

  it('a local file that does not match the expected hash is hash_mismatch before anything is sent', async () => {
    const f = await failureOf(() => root.upload(big, `${remoteDir}/never.bin`, { sha256: '0'.repeat(64) }));
    expect(f.code).toBe('hash_mismatch');
    expect((await root.exec(['test', '-e', `${remoteDir}/never.bin`], { allowNonZero: true })).exitCode).not.toBe(0);
  });

  it('writing where the user may not is permission_denied', async () => {
    const { t } = labTransport(host, 'nopw-key');
    try {
      const small = join(local, 'small.bin');
      writeFileSync(small, 'x');
      const f = await failureOf(() => t.upload(small, '/root/asr-denied.bin'));
      expect(f.code).toBe('permission_denied');
    } finally {
      await t.close();
    }
  });

  it.skipIf(!noSftp)('on the host without SFTP, upload falls back to cat over exec and download too', async () => {
    const h = noSftp as HostState;
    const { t, logs } = labTransport(h, 'root-key');
    try {
      const dir = `/tmp/asr-nosftp-${randomBytes(4).toString('hex')}`;
      await t.exec(['mkdir', '-p', dir]);
      const progress: number[] = [];
      const r = await t.upload(big, `${dir}/agent.bin`, { sha256: bigHash, onProgress: (s) => progress.push(s) });
      expect(r.method).toBe('exec-cat');
      expect(progress[progress.length - 1]).toBe(20 * MB);
      expect(logs.join('\n')).toMatch(/upload via sftp-fastput failed/);
      const back = join(local, 'nosftp-back.bin');
      await t.download(`${dir}/agent.bin`, back);
      expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(bigHash);
      await t.exec(['rm', '-rf', dir]);
      console.info(`[measure] upload 20 MB via exec-cat (no SFTP): ${r.durationMs} ms = ${(20 / (r.durationMs / 1000)).toFixed(1)} MB/s`);
    } finally {
      await t.close();
    }
  });
});
