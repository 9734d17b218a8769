import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import type { RecipeTarget, StepContext } from '../../../src-main/components/recipe.ts';
import { recipeFor } from '../../../src-main/components/recipes.ts';
import { startRepositoryServer, type RepositoryServer } from '../../../src-main/components/repository-server.ts';
import { runPs } from '../../../src-main/components/windows/common.ts';
import { toAsrError } from '../../../src-main/model/errors.ts';
import type { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import type { Transport } from '../../../src-main/remote/transport.ts';
import { labPowerShellTransport } from '../powershell/pwsh-lab-helpers.ts';
import { getLabPwshHost } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';

// The Provider recipe's real stage step (prepare-staging.ps1, stageFile → fetch-installer.ps1 from
// `sources serve`, SHA-256 on the host) over PowerShell remoting to the lab's Linux pwsh host.
// The deploy runner cannot drive a Windows recipe here: its next steps run setup .exe files, and
// Linux pwsh has no Get-AuthenticodeSignature, so verify-signature.ps1 alone is answered by a
// Windows stand-in (the one Windows-only cmdlet); every other call is the real transport.
const { lab, pwshHost, why } = getLabPwshHost();

describe.skipIf(!pwshHost)(`Windows pull staging through the Provider recipe's stage step (${why})`, () => {
  const state = lab as LabState;
  const host = pwshHost as HostState;
  const dir = mkdtempSync(join(tmpdir(), 'asr-it-winpull-'));
  const tamperedDir = mkdtempSync(join(tmpdir(), 'asr-it-winpull-bad-'));
  const file = 'AzureSiteRecoveryProvider.exe';
  const payload = randomBytes(3 * 1024 * 1024);
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const served: string[] = [];
  let repo: RepositoryServer;
  let bad: RepositoryServer;
  let real: PowerShellTransport;
  const signatureChecks: string[] = [];
  const jobs: string[] = [];

  /** The real transport, with Get-AuthenticodeSignature (absent on Linux) answered as a Microsoft-signed package. */
  const withSignature = (t: Transport): Transport =>
    new Proxy(t, {
      get(target, prop, receiver) {
        if (prop === 'runScript')
          return (script: string, params?: Record<string, unknown>, opts?: unknown) => {
            if (script.includes('Get-AuthenticodeSignature')) {
              signatureChecks.push(String(params?.Path));
              return Promise.resolve({ status: 'Valid', subject: 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US' });
            }
            return target.runScript(script, params as never, opts as never);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });

  const stageStep = async (url: string, pin: string) => {
    const jobId = `j-it-winpull-${Date.now()}-${jobs.length}`;
    jobs.push(jobId);
    const target = {
      host: { name: host.name, address: host.address, os: 'windows', tags: [], evidence: {} },
      action: 'install',
      version: '5.1.8095.0',
      installer: {
        file,
        path: url,
        url,
        component: 'provider',
        platform: 'windows',
        osId: null,
        version: '5.1.8095.0',
        sha256,
        size: payload.length,
        hashStatus: 'pinned',
      },
      csAddress: null,
      csPort: null,
      passphrase: null,
      staging: { mode: 'pull', url, pin: { spkiSha256: '', fingerprint: pin, pem: '' }, reason: 'test' },
    } as unknown as RecipeTarget;
    const lines: string[] = [];
    const ctx: StepContext = {
      transport: withSignature(real),
      jobId,
      signal: new AbortController().signal,
      stepTimeoutMs: 120_000,
      log: (l) => lines.push(l),
      progress: () => undefined,
      previous: () => null,
    };
    const steps = recipeFor('provider', 'windows')!.steps(loadCatalog(), target);
    expect(steps[0]!.name).toBe('stage');
    return { run: () => steps[0]!.run(ctx), lines, jobId };
  };

  beforeAll(async () => {
    writeFileSync(join(dir, file), payload);
    writeFileSync(join(tamperedDir, file), Buffer.concat([payload.subarray(0, 1024), Buffer.from('tampered')]));
    repo = await startRepositoryServer({ dir, host: state.bridgeAddress, port: 0, log: (l) => served.push(l) });
    bad = await startRepositoryServer({ dir: tamperedDir, host: state.bridgeAddress, port: 0, log: (l) => served.push(l) });
    real = labPowerShellTransport(state, host, { openTimeoutMs: 30_000 });
    await real.connect();
  }, 120_000);
  afterAll(async () => {
    for (const job of jobs) await runPs(real, 'remove-files.ps1', { Paths: [], Job: job }).catch(() => undefined);
    await real?.close();
    await repo?.close();
    await bad?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(tamperedDir, { recursive: true, force: true });
  });

  it('pulls the installer from `sources serve` (pinned certificate), the host checks its SHA-256, and only then is the signature read', async () => {
    const { run } = await stageStep(`${repo.url}${file}`, repo.fingerprint);
    const out = await run();
    const detail = out!.detail as { dir: string; remote: string; method: string; sha256: string; bytes: number; url: string; fellBack?: string };
    expect(detail).toMatchObject({ sha256, bytes: payload.length, url: `${repo.url}${file}` });
    expect(detail.method).toMatch(/^pull-/);
    expect(detail.fellBack).toBeUndefined();
    // The bytes on the host are the pinned ones, and the host fetched them itself.
    const onHost = await real.exec(['sha256sum', detail.remote]);
    expect(onHost.stdout.split(' ')[0]).toBe(sha256);
    expect(served.filter((l) => l.includes(` ${host.address} `) && l.includes(`GET /${file} 200 ${payload.length} bytes`))).toHaveLength(1);
    expect(signatureChecks).toEqual([detail.remote]);
  }, 180_000);

  it('refuses a tampered file with hash_mismatch on the host: removed, never pushed, no signature read, nothing runs', async () => {
    signatureChecks.length = 0;
    const { run, jobId } = await stageStep(`${bad.url}${file}`, bad.fingerprint);
    const err = await run().then(
      () => null,
      (e: unknown) => toAsrError(e, host.name),
    );
    expect(err).toMatchObject({ code: 'hash_mismatch', details: { expected: sha256 } });
    expect(err!.message).toMatch(/the file was removed and nothing ran/);
    expect(signatureChecks).toEqual([]);
    // The job's staging folder (prepare-staging.ps1 answers with it again) holds no installer.
    const staged = (await runPs<{ dir: string }>(real, 'prepare-staging.ps1', { Job: jobId })).dir;
    expect((await real.exec(['ls', '-A', staged])).stdout).not.toContain(file);
  }, 180_000);
});
