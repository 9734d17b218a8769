import { posix } from 'node:path';
import { fail, toAsrError } from '../model/errors.ts';
import type { Transport } from '../remote/transport.ts';
import type { RecipeTarget, StagingPlan, StepContext } from './recipe.ts';
import { remoteScript, shScript } from './scripts.ts';

/** What the plan-time probe from the host says about a repository. */
export interface RepositoryProbe {
  ok: boolean;
  tool?: string;
  error?: string;
  message?: string;
}

export const isUncPath = (s: string): boolean => /^\\\\[^\\/]+\\[^\\/]+/.test(s);

/** Probes, FROM the host, that it has a fetch tool and reaches and trusts the repository (nothing is written). */
export async function probeRepository(t: Transport, url: string, pin: StagingPlan['pin'], signal?: AbortSignal): Promise<RepositoryProbe> {
  try {
    if (t.capabilities.scripts) {
      return await t.runScript<RepositoryProbe>(
        remoteScript('windows', 'fetch-installer.ps1'),
        { Mode: 'probe', Url: url, Pin: pin?.fingerprint ?? '' },
        { timeoutMs: 90_000, what: 'repository probe', ...(signal ? { signal } : {}) },
      );
    }
    if (isUncPath(url)) return { ok: false, error: 'unsupported', message: 'a UNC share is for Windows targets' };
    const r = await t.exec(shScript('fetch-installer.sh', 'probe', url, pin ? `sha256//${pin.spkiSha256}` : '', ''), {
      timeoutMs: 60_000,
      allowNonZero: true,
      ...(signal ? { signal } : {}),
    });
    return parseLine(r.stdout) ?? { ok: false, error: 'probe_failed', message: r.stderr.trim().slice(0, 200) || `exit ${r.exitCode}` };
  } catch (e) {
    const err = toAsrError(e, t.host);
    if (err.code === 'cancelled') throw e;
    return { ok: false, error: err.code, message: err.message };
  }
}

function parseLine(stdout: string): (RepositoryProbe & { sha256?: string; bytes?: number; exit?: number }) | null {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (!line) return null;
  try {
    return JSON.parse(line) as RepositoryProbe;
  } catch {
    return null;
  }
}

export interface StagedFile {
  remote: string;
  bytes: number;
  sha256: string;
  /** pull-curl, pull-wget, pull-Invoke-WebRequest, pull-Copy-Item, or the transport's upload method. */
  method: string;
  ms: number;
  url?: string;
  /** Set when a pull was planned but the host pushed (why). */
  fellBack?: string;
}

/**
 * Puts the installer at `remote` on the target, verified by SHA-256 there: a pull from the
 * repository when the plan says so (falling back to a push when the host cannot reach it at apply
 * time), else a push of the workstation's copy. A hash mismatch on a pull is `hash_mismatch`
 * (not retried, the file is removed, nothing runs).
 */
export async function stageFile(ctx: StepContext, target: RecipeTarget, remote: string): Promise<StagedFile> {
  const host = target.host.name;
  const staging = target.staging;
  let fellBack: string | undefined;
  if (staging?.mode === 'pull' && staging.url) {
    try {
      return await pullOnTarget(ctx, target, staging, remote);
    } catch (e) {
      const err = toAsrError(e, host);
      if (err.code !== 'unreachable' || !target.localCopy) throw e;
      fellBack = `the host could not fetch from the repository (${err.message}); pushed instead`;
      ctx.log(`[stage] ${fellBack}`);
    }
  }
  const local = target.localCopy ? await target.localCopy() : target.installer.path;
  const up = await ctx.transport.upload(local, remote, {
    sha256: target.installer.sha256,
    signal: ctx.signal,
    timeoutMs: Math.max(ctx.stepTimeoutMs, 60_000),
    onProgress: (sent, total) => ctx.progress('stage', sent, total),
  });
  return { remote, bytes: up.bytes, sha256: up.sha256, method: up.method, ms: up.durationMs, ...(fellBack ? { fellBack } : {}) };
}

/**
 * A pushed .tar.gz streamed into `dir` and unpacked there as it arrives, hashed on the target from the
 * same bytes (Transport.uploadUnpacked): no tarball on the target's disk and no separate extract
 * pass. null when it does not apply (a pull, another file type, a transport or upload method without
 * it); the caller stages the file instead.
 */
export async function stageUnpacked(ctx: StepContext, target: RecipeTarget, dir: string): Promise<(StagedFile & { unpacked: true }) | null> {
  const t = ctx.transport;
  if (target.staging?.mode === 'pull' || !t.capabilities.unpackUpload || !t.uploadUnpacked || !/\.(tar\.gz|tgz)$/i.test(target.installer.file)) return null;
  const local = target.localCopy ? await target.localCopy() : target.installer.path;
  const up = await t.uploadUnpacked(local, dir, {
    sha256: target.installer.sha256,
    signal: ctx.signal,
    timeoutMs: Math.max(ctx.stepTimeoutMs, 60_000),
    onProgress: (sent, total) => ctx.progress('stage', sent, total),
  });
  return { remote: dir, bytes: up.bytes, sha256: up.sha256, method: up.method, ms: up.durationMs, unpacked: true };
}

async function pullOnTarget(ctx: StepContext, target: RecipeTarget, staging: StagingPlan, remote: string): Promise<StagedFile> {
  const host = target.host.name;
  const url = staging.url!;
  const want = target.installer.sha256;
  const started = Date.now();
  ctx.progress('stage', 0, target.installer.size);
  let r: RepositoryProbe & { sha256?: string; bytes?: number; exit?: number };
  if (ctx.transport.capabilities.scripts) {
    r = await ctx.transport.runScript(
      remoteScript('windows', 'fetch-installer.ps1'),
      { Mode: 'fetch', Url: url, Destination: remote, Sha256: want, Pin: staging.pin?.fingerprint ?? '' },
      { timeoutMs: Math.max(ctx.stepTimeoutMs, 60_000), signal: ctx.signal, what: 'pull the installer' },
    );
  } else {
    let ca = '';
    if (staging.pin) {
      // wget has no key pinning: it trusts the pinned certificate itself as its only CA.
      ca = posix.join(posix.dirname(remote), 'repository-ca.pem');
      await ctx.transport.exec(shScript('write-secret.sh', ca), { stdin: staging.pin.pem, timeoutMs: 60_000, signal: ctx.signal });
    }
    const x = await ctx.transport.exec(shScript('fetch-installer.sh', 'fetch', url, remote, want, staging.pin ? `sha256//${staging.pin.spkiSha256}` : '', ca), {
      timeoutMs: Math.max(ctx.stepTimeoutMs, 60_000),
      signal: ctx.signal,
      allowNonZero: true,
    });
    r = parseLine(x.stdout) ?? { ok: false, error: 'fetch_failed', message: x.stderr.trim().slice(0, 300) || `exit ${x.exitCode}` };
  }
  if (!r.ok) {
    if (r.error === 'hash_mismatch') {
      fail(
        'hash_mismatch',
        `${host} fetched ${target.installer.file} from ${url}: its SHA-256 is ${r.sha256}, not the trusted ${want}; the file was removed and nothing ran.`,
        {
          host,
          remedy:
            'The repository serves another file under this name: replace it with Microsoft’s download (or, if this is the file you mean, pin it with `asr-deploy sources trust` and plan again).',
          details: { url, actual: r.sha256, expected: want },
        },
      );
    }
    if (r.error === 'unreachable')
      fail('unreachable', `${host} cannot fetch ${url}: ${r.message ?? 'no answer'}`, {
        host,
        retryable: false,
        remedy: 'Check that the repository runs and the host reaches it (firewall, proxy, pinned certificate).',
      });
    if (r.error === 'no_tool')
      fail('unsupported', `${host} has neither curl nor wget to fetch ${url}.`, {
        host,
        remedy: 'Install curl on the host, or plan with a source folder (push).',
      });
    fail('command_failed', `${host} could not fetch ${url}: ${r.message ?? r.error ?? 'unknown error'}`, { host });
  }
  const bytes = r.bytes ?? target.installer.size;
  ctx.progress('stage', bytes, bytes);
  return { remote, bytes, sha256: r.sha256 ?? want, method: `pull-${r.tool ?? 'unknown'}`, ms: Date.now() - started, url };
}
