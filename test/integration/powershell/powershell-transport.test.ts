import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { isAlive, processTree } from '../../../src-main/remote/powershell/process-tree.ts';
import { getLabPwshHost } from '../../lab/inject.ts';
import { hostProcs } from '../../lab/lab.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { failureOf } from '../../helpers/failure.ts';
import { allCmdlines } from '../../helpers/procs.ts';
import { labPowerShellTransport } from './pwsh-lab-helpers.ts';

const { lab, pwshHost, why } = getLabPwshHost();

function transport(state: LabState, host: HostState, extra: Partial<ConstructorParameters<typeof PowerShellTransport>[0]> = {}) {
  const logs: string[] = [];
  const t = labPowerShellTransport(state, host, { log: (l) => logs.push(l), ...extra });
  return { t, logs };
}

describe.skipIf(!pwshHost)(`PowerShell transport over SSH remoting, node-powershell → pwsh → lab host (${why})`, () => {
  const state = lab as LabState;
  const host = pwshHost as HostState;
  let t: PowerShellTransport;
  let logs: string[];
  let dir: string;
  beforeAll(async () => {
    ({ t, logs } = transport(state, host));
    const started = Date.now();
    await t.connect();
    console.log(`[measure] PowerShell session open over SSH: ${Date.now() - started} ms (transport says ${t.openMs} ms)`);
    dir = mkdtempSync(join(tmpdir(), 'asr-ps-it-'));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a program with hostile arguments passed as data and returns its exit code and streams', async () => {
    const args = ['', 'a b', 'x"y', "it's", '‘curly’ ‚low‛', '$(id)', '`whoami`', '; rm -rf /', 'é😀', '@args', '-Command'];
    const r = await t.exec(['printf', '%s\\n', ...args]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').slice(0, args.length)).toEqual(args);
    const f = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 7'], { allowNonZero: true });
    expect(f).toMatchObject({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('a non-zero exit is command_failed with the exit code when asked', async () => {
    const e = await failureOf(t.exec(['sh', '-c', 'echo nope >&2; exit 42'], { allowNonZero: false }));
    expect(e.code).toBe('command_failed');
    expect(e.exitCode).toBe(42);
    expect(e.message).toContain('nope');
    expect((await failureOf(t.exec(['printf', '--%']))).code).toBe('validation');
    const nf = await failureOf(t.exec(['no-such-program-asr']));
    expect(nf.code).toBe('not_found');
  });

  it('copies a file with Copy-Item -ToSession and in chunks, the target verifying SHA-256; download back', async () => {
    const size = 24 * 1024 * 1024 + 12345;
    const local = join(dir, 'payload.bin');
    const data = randomBytes(size);
    writeFileSync(local, data);
    const sha = createHash('sha256').update(data).digest('hex');
    for (const method of ['copy-item', 'chunked'] as const) {
      const { t: u } = transport(state, host, { uploadMethod: method, sshChunkBytes: 1024 * 1024 });
      try {
        const progress: number[] = [];
        const r = await u.upload(local, `/root/asr-ps-${method}.bin`, { sha256: sha, onProgress: (s) => progress.push(s) });
        console.log(
          `[measure] upload ${method}: ${(size / 1048576).toFixed(1)} MiB in ${r.durationMs} ms = ${(size / 1048576 / (r.durationMs / 1000)).toFixed(1)} MB/s`,
        );
        expect(r).toMatchObject({ bytes: size, sha256: sha, method });
        expect(progress.at(-1)).toBe(size);
        const check = await u.exec(['sha256sum', `/root/asr-ps-${method}.bin`]);
        expect(check.stdout.split(' ')[0]).toBe(sha);
        const back = join(dir, `back-${method}.bin`);
        await u.download(`/root/asr-ps-${method}.bin`, back);
        expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(sha);
        await u.exec(['rm', '-f', `/root/asr-ps-${method}.bin`]);
      } finally {
        await u.close();
      }
    }
  }, 240_000); // 2 × 24 MiB up and down through pwsh: ~40 s alone, over 60 s while the whole suite runs

  it('refuses a local file whose hash is not the expected one, and reports a missing target directory', async () => {
    const local = join(dir, 'small.bin');
    writeFileSync(local, 'hello');
    expect((await failureOf(t.upload(local, '/root/x.bin', { sha256: '0'.repeat(64) }))).code).toBe('hash_mismatch');
    expect((await failureOf(t.upload(local, '/no/such/dir/x.bin'))).code).toBe('not_found');
  });

  it('a wall-clock timeout kills the local process tree and the remote command', async () => {
    const { t: u, logs: ulogs } = transport(state, host);
    await u.connect();
    const root = u.localPid!;
    await u.exec(['true']);
    const marker = `sleep ${3000 + Math.floor(Math.random() * 900)}`;
    // The call is in flight: the local tree is pwsh → dotnet → ssh.
    const pending = u.exec(['sh', '-c', marker], { timeoutMs: 2_500 });
    await new Promise((r) => setTimeout(r, 1_500));
    const tree = processTree(root);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    expect(hostProcs(host).some((p) => p.cmdline.includes(marker))).toBe(true);
    const started = Date.now();
    const e = await failureOf(pending);
    expect(e.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(tree.filter(isAlive)).toEqual([]);
    for (let i = 0; i < 50 && hostProcs(host).some((p) => p.cmdline.includes(marker)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(hostProcs(host).some((p) => p.cmdline.includes(marker))).toBe(false);
    expect(ulogs.join('\n')).toMatch(/killing the local PowerShell/);
    // The transport reconnects for the next call.
    expect((await u.exec(['echo', 'again'])).stdout).toBe('again\n');
    await u.close();
    expect(processTree(u.localPid ?? root).filter((p) => p !== root && isAlive(p))).toEqual([]);
  });

  it('a secret on stdin / as a script parameter is in no process command line, no node-powershell history, no log', async () => {
    const secret = `S3cr3t-${randomBytes(6).toString('hex')}-'"$(x)`;
    const b64 = Buffer.from(secret, 'utf8').toString('base64');
    let seen = false;
    let polls = 0;
    const poll = setInterval(() => {
      polls++;
      if (allCmdlines().some((c) => c.includes(secret) || c.includes(b64) || c.includes('S3cr3t-'))) seen = true;
    }, 20);
    try {
      // The secret reaches the program on stdin; the program is slow so the poll sees it running.
      const r = await t.exec(['sh', '-c', 'sleep 1; wc -c'], { stdin: secret });
      expect(Number(r.stdout.trim())).toBe(Buffer.byteLength(secret) + 1);
      const s = await t.runScript<{ len: number; tail: boolean }>(
        'param($Secret, $Tail) Start-Sleep -Milliseconds 800; ConvertTo-Json -Compress @{ len = $Secret.Length; tail = $Secret.EndsWith($Tail) }',
        { Tail: `'"$(x)` },
        { secrets: { Secret: secret } },
      );
      expect(s).toEqual({ len: secret.length, tail: true });
    } finally {
      clearInterval(poll);
    }
    expect(polls).toBeGreaterThan(20);
    expect(seen).toBe(false);
    const history = t.history.map((h) => h.command).join('\n');
    expect(history).not.toContain(secret);
    expect(history).not.toContain(b64);
    expect(logs.join('\n')).not.toContain('S3cr3t');
  });

  it('classifies a refused login (auth_failed, not retryable), an unknown host key and an unreachable address', async () => {
    const wrongUser = transport(state, host, {
      connection: { kind: 'ssh', user: 'asrlab-nopw', keyFilePath: state.users.root.keyPath, knownHostsPath: state.knownHostsPath },
    }).t;
    const e1 = await failureOf(wrongUser.connect());
    expect(e1).toMatchObject({ code: 'auth_failed', retryable: false });
    const emptyKh = join(dir, 'empty_known_hosts');
    writeFileSync(emptyKh, '');
    const e2 = await failureOf(
      transport(state, host, { connection: { kind: 'ssh', user: 'root', keyFilePath: state.users.root.keyPath, knownHostsPath: emptyKh } }).t.connect(),
    );
    expect(e2.code).toBe('host_key_unknown');
    const noSubsystem = state.hosts.find((h) => !h.powershell)!;
    const e3 = await failureOf(transport(state, noSubsystem).t.connect());
    expect(e3.code).toBe('unsupported');
    const unused = state.subnet.replace(/\.0\/24$/, '.99');
    const e4 = await failureOf(transport(state, { ...host, address: unused }, { openTimeoutMs: 3_000 }).t.connect());
    expect(['unreachable', 'timeout']).toContain(e4.code);
    expect(e4.retryable).toBe(true);
  });

  it('a WinRM credential goes through stdin into a PSCredential (no WinRM server here: the open fails after it)', async () => {
    const secret = `WinRM-Pw-${randomBytes(6).toString('hex')}`;
    let seen = false;
    const poll = setInterval(() => {
      if (allCmdlines().some((c) => c.includes(secret))) seen = true;
    }, 10);
    const w = new PowerShellTransport({
      host: 'winrm-test',
      address: '127.0.0.1',
      pwshPath: state.pwsh!.path,
      connection: { kind: 'winrm', user: 'CORP\\svc', password: secret, port: 1 },
      openTimeoutMs: 5_000,
    });
    const e = await failureOf(w.connect());
    clearInterval(poll);
    expect(seen).toBe(false);
    expect(JSON.stringify(e)).not.toContain(secret);
    expect(w.history.map((h) => h.command).join('\n')).not.toContain(secret);
    // pwsh on Linux has no WinRM client library: the failure is classified, not a crash.
    expect(e.code).toMatch(/unreachable|command_failed|unsupported|timeout/);
  });
});

describe.skipIf(!pwshHost)(`PowerShell over SSH with the key as text: its temporary copy goes right after use (issue 12 item 8; ${why})`, () => {
  it('the key file written for the ssh client is gone once the session is open, and the session still works', async () => {
    const state = lab as LabState;
    const host = pwshHost as HostState;
    const t = labPowerShellTransport(state, host, {
      connection: { kind: 'ssh', user: 'root', privateKey: readFileSync(state.users.root.keyPath, 'utf8'), knownHostsPath: state.knownHostsPath },
    });
    try {
      await t.connect();
      const dir = (t as unknown as { tempDir: string | null }).tempDir!;
      expect(dir).toBeTruthy();
      expect(existsSync(join(dir, 'key'))).toBe(false);
      expect((await t.exec(['printf', 'still-open'])).stdout.trim()).toBe('still-open');
    } finally {
      await t.close();
    }
  });
});
