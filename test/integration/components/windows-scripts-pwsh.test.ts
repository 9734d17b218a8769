import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPs } from '../../../src-main/components/windows/common.ts';
import { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { getLabPwshHost } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { labPowerShellTransport } from '../powershell/pwsh-lab-helpers.ts';

// Windows itself cannot run here: the scripts' portable parts (files, ACL fallback to 0600, the
// detached step wrapper and its exit-code capture) run on the lab's Linux pwsh host over SSH remoting.
// Exit codes above 255 (3010, 1618) cannot exist on Linux; they are covered by the replayed transcripts.
const { lab, pwshHost, why } = getLabPwshHost();

describe.skipIf(!pwshHost)(`Windows recipe scripts on the lab's pwsh host (${why})`, () => {
  const state = lab as LabState;
  const host = pwshHost as HostState;
  let t: PowerShellTransport;
  const job = `j-it-${Date.now()}`;
  let dir: string;
  beforeAll(async () => {
    t = labPowerShellTransport(state, host);
    await t.connect();
    dir = (await runPs<{ dir: string }>(t, 'prepare-staging.ps1', { Job: job })).dir;
  });
  afterAll(async () => {
    await runPs(t, 'remove-files.ps1', { Paths: [], Job: job }).catch(() => undefined);
    await t?.close();
  });

  it('prepares a private staging folder', async () => {
    const r = await t.exec(['stat', '-c', '%a', dir]);
    expect(r.stdout.trim()).toBe('700');
  });

  it('writes a secret file from the secrets channel only (0600 here), and removes it', async () => {
    const secret = `<ASRVaultCreds>s3cr3t-${Math.random().toString(36).slice(2)}</ASRVaultCreds>\nline2 'quoted' $(not-run)`;
    const path = `${dir}/vault.VaultCredentials`;
    const w = await runPs<{ path: string; bytes: number; acl: string[] }>(t, 'write-secret-file.ps1', { Path: path }, { secrets: { Secret: secret } });
    expect(w).toMatchObject({ path, bytes: Buffer.byteLength(secret), acl: ['mode:600'] });
    // (exec returns output by lines; base64 shows the file's exact bytes)
    expect(Buffer.from((await t.exec(['base64', '-w0', path])).stdout.trim(), 'base64').toString('utf8')).toBe(secret);
    expect(JSON.stringify(t.history)).not.toContain('s3cr3t');
    const rm = await runPs<{ removed: string[] }>(t, 'remove-files.ps1', { Paths: [path] });
    expect(rm.removed).toEqual([path]);
    expect((await t.exec(['test', '-e', path], { allowNonZero: true })).exitCode).toBe(1);
  });

  it('runs a stand-in installer detached, captures its exit code, and returns the recorded result instead of running it twice', async () => {
    await t.exec([
      'sh',
      '-c',
      `printf '#!/bin/sh\\necho "run $*" >> "$(dirname "$0")/count"\\nsleep 2\\nexit 98\\n' > "$1/setup.sh" && chmod +x "$1/setup.sh"`,
      'mk',
      dir,
    ]);
    const params = { Dir: dir, Name: 'install', Mode: 'run', Exe: 'setup.sh', ArgList: ['/q', 'a b', 'x"y'], Cwd: dir, WaitSeconds: 60 };
    const first = await runPs<{ state: string; exitCode: number; how: string; output: string }>(t, 'run-step.ps1', params, { timeoutMs: 90_000 });
    expect(first).toMatchObject({ state: 'done', exitCode: 98, how: 'started' });
    const again = await runPs<{ state: string; exitCode: number; how: string }>(t, 'run-step.ps1', params, { timeoutMs: 90_000 });
    expect(again).toMatchObject({ state: 'done', exitCode: 98, how: 'recorded' });
    expect((await t.exec(['cat', `${dir}/count`])).stdout).toBe('run /q a b x"y\n');
  });

  it('re-attaches to a step still running when called again, and kill stops it', async () => {
    await t.exec(['sh', '-c', `printf '#!/bin/sh\\nsleep 30\\nexit 0\\n' > "$1/slow.sh" && chmod +x "$1/slow.sh"`, 'mk', dir]);
    const started = await runPs<{ state: string; how: string }>(
      t,
      'run-step.ps1',
      { Dir: dir, Name: 'configure', Exe: 'slow.sh', Cwd: dir, WaitSeconds: 3 },
      { timeoutMs: 60_000 },
    );
    expect(started).toMatchObject({ state: 'running', how: 'started' });
    const attached = await runPs<{ state: string; how: string }>(
      t,
      'run-step.ps1',
      { Dir: dir, Name: 'configure', Exe: 'slow.sh', Cwd: dir, WaitSeconds: 2 },
      { timeoutMs: 60_000 },
    );
    expect(attached).toMatchObject({ state: 'running', how: 'attached' });
    const killed = await runPs<{ killed: number[] }>(t, 'run-step.ps1', { Dir: dir, Name: 'configure', Mode: 'kill' }, { timeoutMs: 60_000 });
    expect(killed.killed.length).toBeGreaterThan(0);
    const lost = await runPs<{ state: string }>(
      t,
      'run-step.ps1',
      { Dir: dir, Name: 'configure', Exe: 'slow.sh', Cwd: dir, WaitSeconds: 5 },
      { timeoutMs: 60_000 },
    );
    expect(lost.state).toBe('lost');
  });
});
