// Windows copy benchmark (`npm run bench -- windows-copy [--mb 100]`): one file to the lab's pwsh
// host (PowerShell remoting over SSH), by each way the PowerShell transport can stage it, side by
// side with SFTP to the same host in the same run: Copy-Item -ToSession, chunked writes
// (Invoke-Command per chunk), and pull (the host fetches from `sources serve` with
// fetch-installer.ps1, the pinned certificate, SHA-256 checked there). MB/s each, and the ratio
// to SFTP. Reuses ASR_LAB_STATE when set, else brings a lab up and down.
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startRepositoryServer } from '../src-main/components/repository-server.ts';
import { remoteScript } from '../src-main/components/scripts.ts';
import { PowerShellTransport } from '../src-main/remote/powershell/powershell-transport.ts';
import { SshTransport } from '../src-main/remote/ssh/ssh-transport.ts';
import { labDown, labUp, readLabState, type LabState } from '../test/lab/lab.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, sessions: { type: 'string', default: '2,4' } } });
const mb = Number(values.mb);
const sessionCounts = values.sessions.split(',').map(Number);

/**
 * CPU seconds (user + system) of every pwsh process on the machine, the lab host's included: the
 * workstation's local pwsh processes and the remote session's, read from /proc; a delta around a copy.
 */
function pwshCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!/\((pwsh|\.pwsh-wrapped|dotnet)\)/.test(stat.slice(0, stat.lastIndexOf(')') + 1))) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}
const work = mkdtempSync(join(tmpdir(), 'asr-bench-wincopy-'));
const file = join(work, 'payload.bin');
const bytes = randomBytes(mb * 1024 * 1024);
writeFileSync(file, bytes);
const sha256 = createHash('sha256').update(bytes).digest('hex');

const loadEnd = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const load0 = loadEnd();
const reuse = process.env.ASR_LAB_STATE;
const lab: LabState = reuse ? readLabState(reuse) : await labUp({ hosts: 6, vcsim: false, proxy: false, pwsh: true });
try {
  const host = lab.hosts.find((h) => lab.pwsh?.hosts.includes(h.name) && h.powershell);
  if (!host || !lab.pwsh) throw new Error(`no lab host with the powershell subsystem: ${lab.unavailable.pwsh ?? 'none'}`);
  const ps = (method?: 'copy-item' | 'chunked' | 'parallel', sessions?: number) =>
    new PowerShellTransport({
      host: host.name,
      address: host.address,
      pwshPath: lab.pwsh!.path,
      connection: { kind: 'ssh', user: 'root', keyFilePath: lab.users.root.keyPath, knownHostsPath: lab.knownHostsPath },
      openTimeoutMs: 30_000,
      ...(method ? { uploadMethod: method } : {}),
      ...(sessions ? { uploadSessions: sessions } : {}),
    });
  const rows: { method: string; s: number; note: string }[] = [];
  const time = async (method: string, f: () => Promise<string | void>) => {
    const t0 = process.hrtime.bigint();
    try {
      const note = (await f()) ?? '';
      rows.push({ method, s: Number(process.hrtime.bigint() - t0) / 1e9, note });
      process.stderr.write(`${method}: ${rows.at(-1)!.s.toFixed(2)} s ${note} (load ${loadEnd()})\n`);
    } catch (e) {
      rows.push({ method, s: Number.NaN, note: `failed: ${(e as Error).message.slice(0, 120)}` });
    }
  };

  const ssh = new SshTransport({
    host: host.name,
    address: host.address,
    username: 'root',
    auth: { privateKey: readFileSync(lab.users.root.keyPath) },
    expectedHostKey: host.hostKeyFingerprint,
  });
  await ssh.connect();
  await time('sftp (SSH transport)', async () => (await ssh.upload(file, '/tmp/bench-wincopy-sftp.bin', { sha256 })).method);
  await ssh.exec(['rm', '-f', '/tmp/bench-wincopy-sftp.bin']);
  await ssh.close();

  const cases: { method: 'copy-item' | 'chunked' | 'parallel'; sessions?: number }[] = [
    { method: 'copy-item' },
    { method: 'chunked' },
    ...sessionCounts.map((n) => ({ method: 'parallel' as const, sessions: n })),
  ];
  for (const { method, sessions } of cases) {
    const t = ps(method, sessions);
    const name = `${method}${sessions ? `-${sessions}` : ''}`;
    await t.connect(); // this session's open is not part of the copy; the parallel method's other sessions open inside it
    const cpu0 = pwshCpuSeconds();
    await time(`${method === 'parallel' ? `parallel chunked writes, ${sessions} sessions` : method} (PowerShell transport)`, async () => {
      const r = await t.upload(file, `/tmp/bench-wincopy-${name}.bin`, { sha256, timeoutMs: 30 * 60_000 });
      return `${r.method}, ${t.chunkBytes() / 1024} KiB chunks; workstation pwsh CPU ${(pwshCpuSeconds() - cpu0).toFixed(1)} s`;
    });
    await t.exec(['rm', '-f', `/tmp/bench-wincopy-${name}.bin`]).catch(() => undefined);
    await t.close();
  }

  const repo = await startRepositoryServer({ dir: work, host: lab.bridgeAddress, port: 0 });
  try {
    const t = ps();
    await t.connect();
    // The first call compiles the pinned-certificate helper (Add-Type): done once per session, outside the timing.
    await t.runScript(remoteScript('windows', 'fetch-installer.ps1'), { Mode: 'probe', Url: repo.url, Pin: repo.fingerprint }, { timeoutMs: 120_000 });
    await time('pull from sources serve (PowerShell transport)', async () => {
      const r = await t.runScript<{ ok: boolean; error?: string; sha256?: string; tool?: string }>(
        remoteScript('windows', 'fetch-installer.ps1'),
        { Mode: 'fetch', Url: `${repo.url}payload.bin`, Destination: '/tmp/bench-wincopy-pull.bin', Sha256: sha256, Pin: repo.fingerprint },
        { timeoutMs: 30 * 60_000 },
      );
      if (!r.ok) throw new Error(`${r.error}`);
      return `${r.tool}, pinned certificate, SHA-256 checked on the host`;
    });
    await t.exec(['rm', '-f', '/tmp/bench-wincopy-pull.bin']).catch(() => undefined);
    await t.close();
  } finally {
    await repo.close();
  }

  const sftp = rows[0]!;
  const mbps = (s: number) => (Number.isFinite(s) ? (mb / s).toFixed(1) : '-');
  process.stdout.write(
    `\nload average at the start ${load0}, at the end ${loadEnd()}\nCopy of ${mb} MB to the lab's pwsh host ${host.name} (PowerShell remoting over SSH, pwsh ${lab.pwsh.path}); SFTP to the same host as the reference:\n\n| method | s | MB/s | vs SFTP | note |\n|---|---|---|---|---|\n` +
      rows
        .map(
          (r) =>
            `| ${r.method} | ${Number.isFinite(r.s) ? r.s.toFixed(2) : '-'} | ${mbps(r.s)} | ${Number.isFinite(r.s) && Number.isFinite(sftp.s) ? `${((sftp.s / r.s) * 100).toFixed(0)}%` : '-'} | ${r.note} |`,
        )
        .join('\n') +
      '\n',
  );
} finally {
  if (!reuse) await labDown(lab);
}
