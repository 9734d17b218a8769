// Windows copy benchmark (`npm run bench -- windows-copy [--mb 100]`): one file to the lab's pwsh
// host (PowerShell remoting over SSH), by each way the PowerShell transport can stage it, side by
// side with SFTP to the same host in the same run: Copy-Item -ToSession, chunked writes
// (Invoke-Command per chunk), and pull (the host fetches from `sources serve` with
// fetch-installer.ps1, the pinned certificate, SHA-256 checked there). MB/s each, and the ratio
// to SFTP. Reuses ASR_LAB_STATE when set, else brings a lab up and down.
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startRepositoryServer } from '../src-main/components/repository-server.ts';
import { remoteScript } from '../src-main/components/scripts.ts';
import { PowerShellTransport } from '../src-main/remote/powershell/powershell-transport.ts';
import { SshTransport } from '../src-main/remote/ssh/ssh-transport.ts';
import { labDown, labUp, readLabState, type LabState } from '../test/lab/lab.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' } } });
const mb = Number(values.mb);
const work = mkdtempSync(join(tmpdir(), 'asr-bench-wincopy-'));
const file = join(work, 'payload.bin');
const bytes = randomBytes(mb * 1024 * 1024);
writeFileSync(file, bytes);
const sha256 = createHash('sha256').update(bytes).digest('hex');

const reuse = process.env.ASR_LAB_STATE;
const lab: LabState = reuse ? readLabState(reuse) : await labUp({ hosts: 6, vcsim: false, proxy: false, pwsh: true });
try {
  const host = lab.hosts.find((h) => lab.pwsh?.hosts.includes(h.name) && h.powershell);
  if (!host || !lab.pwsh) throw new Error(`no lab host with the powershell subsystem: ${lab.unavailable.pwsh ?? 'none'}`);
  const ps = (method?: 'copy-item' | 'chunked') =>
    new PowerShellTransport({
      host: host.name,
      address: host.address,
      pwshPath: lab.pwsh!.path,
      connection: { kind: 'ssh', user: 'root', keyFilePath: lab.users.root.keyPath, knownHostsPath: lab.knownHostsPath },
      openTimeoutMs: 30_000,
      ...(method ? { uploadMethod: method } : {}),
    });
  const rows: { method: string; s: number; note: string }[] = [];
  const time = async (method: string, f: () => Promise<string | void>) => {
    const t0 = process.hrtime.bigint();
    try {
      const note = (await f()) ?? '';
      rows.push({ method, s: Number(process.hrtime.bigint() - t0) / 1e9, note });
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

  for (const method of ['copy-item', 'chunked'] as const) {
    const t = ps(method);
    await t.connect(); // session open is not part of the copy
    await time(
      `${method} (PowerShell transport)`,
      async () =>
        `${(await t.upload(file, `/tmp/bench-wincopy-${method}.bin`, { sha256, timeoutMs: 30 * 60_000 })).method}, ${t.chunkBytes() / 1024} KiB chunks`,
    );
    await t.exec(['rm', '-f', `/tmp/bench-wincopy-${method}.bin`]).catch(() => undefined);
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
    `\nCopy of ${mb} MB to the lab's pwsh host ${host.name} (PowerShell remoting over SSH, pwsh ${lab.pwsh.path}); SFTP to the same host as the reference:\n\n| method | s | MB/s | vs SFTP | note |\n|---|---|---|---|---|\n` +
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
