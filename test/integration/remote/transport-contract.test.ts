import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '../../../src-main/remote/transport.ts';
import { failureOf } from '../../helpers/failure.ts';
import { getLabPwshHost } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { labTransport } from './ssh-lab-helpers.ts';
import { labPowerShellTransport } from '../powershell/pwsh-lab-helpers.ts';

/**
 * The Transport contract (src-main/remote/transport.ts), the same cases against both
 * implementations and the same lab host: SSH (ssh2) and PowerShell remoting (node-powershell →
 * pwsh → SSH with the powershell subsystem). The host is the lab's pwsh host, a Linux namespace,
 * so the programs run are POSIX ones on both.
 */

const { lab, pwshHost, why } = getLabPwshHost();

const transports: { name: string; make: (state: LabState, host: HostState) => Transport }[] = [
  { name: 'SSH (ssh2)', make: (_state, host) => labTransport(host, 'root-key').t },
  {
    name: 'PowerShell remoting over SSH (node-powershell → pwsh)',
    make: (state, host) => labPowerShellTransport(state, host),
  },
];

/** Returns its parameters as data and the length of the secret (never the secret itself). */
const ECHO_SCRIPT = `# contract-echo.ps1: the contract test's script
param([string]$Name, [string[]]$Items, [int]$Count, [string]$Secret)
ConvertTo-Json -Compress -InputObject @{ name = $Name; items = @($Items); count = $Count; secretLength = $Secret.Length }
`;

describe.each(transports)('Transport contract: $name', ({ make }) => {
  describe.skipIf(!pwshHost)(`on the lab's pwsh host (${why})`, () => {
    const state = lab as LabState;
    const host = pwshHost as HostState;
    let t: Transport;
    let dir: string;
    const remote = `/root/asr-contract-${randomBytes(4).toString('hex')}`;
    beforeAll(async () => {
      t = make(state, host);
      await t.connect();
      dir = mkdtempSync(join(tmpdir(), 'asr-contract-'));
      await t.exec(['mkdir', '-p', remote]);
    });
    afterAll(async () => {
      await t?.exec(['rm', '-rf', '--', remote]).catch(() => undefined);
      await t?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('exec passes argv as data and returns the exit code, stdout and stderr', async () => {
      const args = ['', 'a b', 'x"y', "it's", '‘curly’', '$(id)', '`whoami`', '; rm -rf /', 'é😀', '-Command'];
      const r = await t.exec(['printf', '%s\\n', ...args]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.split('\n').slice(0, args.length)).toEqual(args);
      const both = await t.exec(['sh', '-c', 'echo out; echo err >&2']);
      expect(both).toMatchObject({ exitCode: 0, stdout: 'out\n', stderr: 'err\n' });
    });

    it('a non-zero exit raises command_failed with the exit code, unless allowNonZero: true', async () => {
      const e = await failureOf(t.exec(['sh', '-c', 'echo nope >&2; exit 42']));
      expect(e.code).toBe('command_failed');
      expect(e.exitCode).toBe(42);
      expect(e.message).toContain('nope');
      const r = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 7'], { allowNonZero: true });
      expect(r).toMatchObject({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
    });

    it('a program that is not on the host is not_found with the same remedy', async () => {
      const e = await failureOf(t.exec(['asr-no-such-program', '--version']));
      expect(e.code).toBe('not_found');
      expect(e.remedy).toBe('Check the path or program name on the host.');
      expect(e.message).toContain('asr-no-such-program');
      // Any other non-zero exit stays command_failed.
      expect((await failureOf(t.exec(['sh', '-c', 'exit 126']))).code).toBe('command_failed');
    });

    // Text lines: PowerShell's native-command pipeline ends every line it passes with a newline.
    it('exec feeds stdin, and applies cwd and env', async () => {
      const r = await t.exec(['sh', '-c', 'cat; printf "|%s|%s\\n" "$(pwd)" "$ASR_CONTRACT"'], {
        stdin: "line one\n'quoted' $x\n",
        cwd: remote,
        env: { ASR_CONTRACT: 'a b;$c' },
      });
      expect(r.stdout).toBe(`line one\n'quoted' $x\n|${remote}|a b;$c\n`);
    });

    it('exec is bounded by timeoutMs and a signal, and the transport works afterwards', async () => {
      expect((await failureOf(t.exec(['sleep', '30'], { timeoutMs: 1_500 }))).code).toBe('timeout');
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 1_000);
      expect((await failureOf(t.exec(['sleep', '30'], { signal: ac.signal }))).code).toBe('cancelled');
      expect((await t.exec(['echo', 'again'])).stdout).toBe('again\n');
    }, 180_000);

    it('upload verifies the SHA-256 on the target; a local file with another hash than expected is refused', async () => {
      const local = join(dir, 'payload.bin');
      const data = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(local, data);
      const sha = createHash('sha256').update(data).digest('hex');
      const up = await t.upload(local, `${remote}/payload.bin`, { sha256: sha });
      expect(up).toMatchObject({ bytes: data.length, sha256: sha });
      expect((await t.exec(['sha256sum', `${remote}/payload.bin`])).stdout.split(' ')[0]).toBe(sha);
      const refused = await failureOf(t.upload(local, `${remote}/refused.bin`, { sha256: '0'.repeat(64) }));
      expect(refused.code).toBe('hash_mismatch');
      expect((await t.exec(['test', '-e', `${remote}/refused.bin`], { allowNonZero: true })).exitCode).toBe(1);
    });

    it('download verifies against the target and leaves no partial file behind', async () => {
      await t.exec(['sh', '-c', 'head -c 1000000 /dev/urandom > "$1"', 'mk', `${remote}/back.bin`]);
      const want = (await t.exec(['sha256sum', `${remote}/back.bin`])).stdout.split(' ')[0];
      const local = join(dir, 'back.bin');
      await t.download(`${remote}/back.bin`, local);
      expect(createHash('sha256').update(readFileSync(local)).digest('hex')).toBe(want);
      const missing = join(dir, 'missing.bin');
      await expect(t.download(`${remote}/no-such-file.bin`, missing)).rejects.toThrow();
      expect(existsSync(missing) || existsSync(`${missing}.part`)).toBe(false);
    });

    it('runScript runs a script with parameters as data when capabilities.scripts, else is unsupported', async () => {
      const run = t.runScript<{ name: string; items: string[]; count: number; secretLength: number }>(
        ECHO_SCRIPT,
        { Name: "it's $(x)", Items: ['a', 'b c'], Count: 3 },
        { secrets: { Secret: 's3cret' }, what: 'contract echo' },
      );
      if (t.capabilities.scripts) expect(await run).toEqual({ name: "it's $(x)", items: ['a', 'b c'], count: 3, secretLength: 6 });
      else expect((await failureOf(run)).code).toBe('unsupported');
    });
  });
});
