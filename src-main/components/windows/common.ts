import { posix, win32 } from 'node:path';
import { AsrFailure, fail } from '../../model/errors.ts';
import type { PsValue } from '../../remote/powershell/quote-ps.ts';
import type { Transport } from '../../remote/transport.ts';
import type { Catalog, CommandLines, ComponentId } from '../catalog.ts';
import type { InstalledState, RecipeTarget, StepContext, StepOutcome } from '../recipe.ts';
import { renderArgv } from '../recipe.ts';
import { remoteScript } from '../scripts.ts';
import { judgeExit } from '../exit-codes.ts';
import { stageFile } from '../staging.ts';

/**
 * Windows recipes need PowerShell scripts with parameters as data and secrets through the stdin
 * channel (Transport.runScript, capabilities.scripts). Tests give the replaying fake.
 */
export function scriptTransport(t: Transport): Transport {
  if (!t.capabilities.scripts) {
    fail('unsupported', `${t.host}: Windows components are installed over PowerShell remoting, not ${t.kind}.`, {
      host: t.host,
      remedy: 'Set the host’s OS to windows (transport winrm, or ssh with the powershell subsystem).',
    });
  }
  return t;
}

/** Runs resources/scripts/windows/<name> with named parameters (data, never spliced into text). */
export function runPs<T>(
  t: Transport,
  name: string,
  params: Record<string, PsValue>,
  opts: { timeoutMs?: number; signal?: AbortSignal | undefined; secrets?: Record<string, string> } = {},
): Promise<T> {
  return scriptTransport(t).runScript<T>(remoteScript('windows', name), params, {
    what: name,
    timeoutMs: opts.timeoutMs ?? 120_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
  });
}

/** The staging folder as shown in plans; on the host it is the folder prepare-staging.ps1 reports. */
export const displayStagingDir = (jobId: string): string => `%ProgramData%\\asr-deploy\\${jobId}`;

/** Room for the installer, its extracted copy and the logs. */
const stagingBytesNeeded = (installerBytes: number): number => installerBytes * 3 + 64 * 1024 * 1024;

/** The stage step: private folder (Administrators + SYSTEM), free-space check, upload verified by SHA-256. */
export async function stageInstaller(ctx: StepContext, target: RecipeTarget): Promise<StepOutcome> {
  const host = target.host.name;
  ctx.pendingCleanup?.('staging', displayStagingDir(ctx.jobId));
  const prep = await runPs<{ dir: string; freeBytes: number | null }>(ctx.transport, 'prepare-staging.ps1', { Job: ctx.jobId }, { signal: ctx.signal });
  const need = stagingBytesNeeded(target.installer.size);
  if (typeof prep.freeBytes === 'number' && prep.freeBytes < need) {
    fail(
      'disk_full',
      `${host} has ${Math.floor(prep.freeBytes / 1048576)} MiB free for ${prep.dir}; staging ${target.installer.file} needs ${Math.ceil(need / 1048576)} MiB.`,
      {
        host,
        remedy: 'Free space on the system drive (ProgramData) and retry; ASR also needs at least 100 MB free (error 95524).',
        asrErrorId: 95524,
      },
    );
  }
  const remote = stagedPath(prep.dir, target.installer.file);
  const up = await stageFile(ctx, target, remote);
  const signature = await verifyAuthenticode(ctx, host, remote);
  return { detail: { dir: prep.dir, ...up, signature } };
}

/**
 * The staged file in the folder prepare-staging.ps1 reported, joined with that folder's own separator:
 * `C:\\ProgramData\\…` on Windows; a `/`-only folder (pwsh on a non-Windows host, as in the lab) would
 * otherwise get backslashes, which .NET there takes as part of a file name.
 */
export const stagedPath = (dir: string, file: string): string => (dir.includes('/') && !dir.includes('\\') ? posix.join(dir, file) : win32.join(dir, file));

/** What Get-AuthenticodeSignature said about a staged package (resources/scripts/windows/verify-signature.ps1). */
export interface AuthenticodeAnswer {
  status: string;
  statusMessage?: string | null;
  subject: string | null;
  thumbprint?: string | null;
}

/** The relative distinguished names of an X.500 subject (`CN=Microsoft Corporation, O=…`), quoted values kept whole. */
export function subjectParts(subject: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const m of subject.matchAll(/\s*([A-Za-z.0-9]+)=("(?:[^"]|"")*"|[^,]*)\s*(?:,|$)/g)) {
    const key = m[1]!.toUpperCase();
    if (!parts.has(key)) parts.set(key, m[2]!.replace(/^"|"$/g, '').replace(/""/g, '"').trim());
  }
  return parts;
}

/** Microsoft's code-signing subject: CN and O "Microsoft Corporation" (the packages of every ASR component are signed so). */
export const isMicrosoftSigner = (subject: string | null): boolean => {
  if (!subject) return false;
  const p = subjectParts(subject);
  return p.get('CN') === 'Microsoft Corporation' && p.get('O') === 'Microsoft Corporation';
};

/**
 * On the target, before the package runs as SYSTEM: its Authenticode signature must be Valid
 * (Get-AuthenticodeSignature: the signature and its chain verify there) and Microsoft's. The SHA-256
 * says the bytes are the ones pinned; the signature says Microsoft made them.
 */
export async function verifyAuthenticode(ctx: StepContext, host: string, remote: string): Promise<{ status: string; subject: string | null }> {
  const sig = await runPs<AuthenticodeAnswer>(ctx.transport, 'verify-signature.ps1', { Path: remote }, { timeoutMs: 120_000, signal: ctx.signal });
  const file = win32.basename(remote);
  if (sig.status !== 'Valid' || !isMicrosoftSigner(sig.subject)) {
    await removeFiles(ctx.transport, [remote]).catch(() => undefined);
    const why =
      sig.status !== 'Valid'
        ? `its Authenticode signature is ${sig.status}${sig.statusMessage ? ` (${sig.statusMessage})` : ''}`
        : `it is signed by ${sig.subject ?? 'nobody'}, not Microsoft Corporation`;
    fail('signature_invalid', `${file} on ${host}: ${why}; it was removed and not run.`, {
      host,
      remedy:
        'Download the package again from Microsoft (download.microsoft.com) and check it: right-click → Properties → Digital Signatures should show Microsoft Corporation; then pin the new file (`asr-deploy sources trust FILE`) and plan again.',
      details: { file, status: sig.status, subject: sig.subject },
    });
  }
  ctx.log(`[stage] ${file}: Authenticode ${sig.status}, signer ${sig.subject}`);
  return { status: sig.status, subject: sig.subject };
}

/** The staging folder recorded by this job's stage step (also after a resume). */
export function stagingDir(ctx: StepContext, host: string): string {
  const dir = ctx.previous('stage')?.dir;
  if (typeof dir !== 'string' || !dir)
    fail('validation', `${host}: the stage step has not recorded its folder.`, { host, remedy: 'Resume the job; the stage step runs again.' });
  return dir;
}

/** A secret as a file only Administrators and SYSTEM can read; the value travels on the secrets channel. */
export async function writeSecretFile(ctx: StepContext, path: string, secret: string): Promise<void> {
  ctx.pendingCleanup?.('secret', path);
  await runPs(ctx.transport, 'write-secret-file.ps1', { Path: path }, { signal: ctx.signal, secrets: { Secret: secret } });
}

export async function removeFiles(t: Transport, paths: string[], dir = ''): Promise<{ removed: string[]; left: string[] }> {
  return runPs(t, 'remove-files.ps1', { Paths: paths, Dir: dir }, { timeoutMs: 60_000 });
}

interface RunStepAnswer {
  state: 'done' | 'lost' | 'running' | 'killed';
  exitCode?: number;
  how?: 'started' | 'attached' | 'recorded';
  output?: string;
}

export interface InstallerRun {
  /** The program, absolute or relative to cwd (the documented form: `setupdr.exe /i` in the extracted folder). */
  argv: string[];
  cwd: string;
  /** Arguments the wrapper reads from a secret file (a proxy password), by index into argv. */
  secretArgs?: { index: number; file: string }[];
  restart?: boolean;
}

/**
 * Runs a documented command line as a resumable step (resources/scripts/windows/run-step.ps1): a
 * recorded result is read, a running installer re-attached, never started twice. On timeout or
 * cancel the detached installer is stopped.
 */
export async function runInstallerStep(
  ctx: StepContext,
  dir: string,
  name: string,
  run: InstallerRun,
): Promise<{ code: number | null; lost: boolean; output: string; how: string | null }> {
  const waitSeconds = Math.max(30, Math.floor(ctx.stepTimeoutMs / 1000) - 15);
  const [exe, ...args] = run.argv;
  const params: Record<string, PsValue> = {
    Dir: dir,
    Name: name,
    Mode: 'run',
    Exe: exe!,
    ArgList: args,
    Cwd: run.cwd,
    SecretArgFiles: (run.secretArgs ?? []).map((s) => `${s.index - 1}=${s.file}`),
    WaitSeconds: waitSeconds,
  };
  if (run.restart) params.Restart = true;
  let r: RunStepAnswer;
  try {
    r = await runPs<RunStepAnswer>(ctx.transport, 'run-step.ps1', params, { timeoutMs: ctx.stepTimeoutMs + 60_000, signal: ctx.signal });
  } catch (e) {
    if (e instanceof AsrFailure && (e.data.code === 'timeout' || e.data.code === 'cancelled')) await killStep(ctx.transport, dir, name);
    throw e;
  }
  if (r.state === 'running') {
    await killStep(ctx.transport, dir, name);
    fail('timeout', `The ${name} step did not finish within ${Math.round(ctx.stepTimeoutMs / 60_000)} min; the installer was stopped.`, {
      remedy: 'Raise --step-timeout if the host is slow, then resume the job.',
    });
  }
  if (r.output) ctx.log(`[${name}] ${r.output.trimEnd()}`);
  if (r.how === 'recorded' || r.how === 'attached') ctx.log(`[${name}] result of the earlier run (${r.how}), not started again`);
  return { code: r.state === 'done' ? (r.exitCode ?? null) : null, lost: r.state === 'lost', output: r.output ?? '', how: r.how ?? null };
}

export async function killStep(t: Transport, dir: string, name: string): Promise<void> {
  await runPs(t, 'run-step.ps1', { Dir: dir, Name: name, Mode: 'kill' }, { timeoutMs: 60_000 }).catch(() => undefined);
}

/** After 1618 (another installation in progress) the recorded result is dropped so the retry starts afresh. */
export async function forgetStep(t: Transport, dir: string, name: string): Promise<void> {
  const s = (ext: string) => win32.join(dir, 'steps', `${name}.${ext}`);
  await removeFiles(t, [s('exit.json'), s('pid.json'), s('spec.json'), s('out.txt'), s('err.txt')]).catch(() => undefined);
}

/** Turns an installer exit code into the step's outcome, or a named failure. */
export async function outcomeOf(
  ctx: StepContext,
  catalog: Catalog,
  component: ComponentId,
  what: string,
  dir: string,
  stepName: string,
  code: number,
  output: string,
  host: string,
): Promise<StepOutcome> {
  const v = judgeExit(catalog, component, code);
  if (v === 'ok') return { detail: { exitCode: code } };
  if (v === 'reboot')
    return { warning: `${what} exit code ${code}: a restart of ${host} is required to finish`, detail: { exitCode: code, rebootRequired: true } };
  if (v === 'warn') return { warning: `${what} exit code ${code}: installed with warnings`, detail: { exitCode: code } };
  if (v === 'retry') {
    await forgetStep(ctx.transport, dir, stepName);
    fail('install_in_progress', `Another installation is in progress on ${host} (${what} exit ${code}).`, {
      host,
      exitCode: code,
      remedy: 'It is retried later; wait for the other installation (Windows Installer) to finish.',
    });
  }
  const tail = output.trim().split(/\r?\n/).slice(-3).join(' / ').slice(0, 300);
  return fail('install_failed', `${what} failed on ${host} with exit code ${code}${tail ? `: ${tail}` : ''}`, {
    host,
    exitCode: code,
    remedy: 'See the setup logs in the host log (asr-deploy jobs logs JOB --host HOST).',
  });
}

/** Detection through component-detect.ps1 with the catalog's data for the component's newest generation. */
export async function detectComponent(
  t: Transport,
  catalog: Catalog,
  component: ComponentId,
  signal?: AbortSignal,
): Promise<InstalledState & { vmm?: { service: string; state: string; binDir: string | null } | null; services?: Record<string, string> }> {
  const cl = catalog.commandLines(component, catalog.latest(component).version, 'windows');
  const d = cl.detect;
  if (!d) fail('unsupported', `The catalog has no Windows detection data for ${component}.`);
  const r = await runPs<InstalledState & { vmm?: { service: string; state: string; binDir: string | null } | null; services?: Record<string, string> }>(
    t,
    'component-detect.ps1',
    {
      RegistryKeys: d.registryKeys,
      ProductCode: d.productCode ?? '',
      InstallDirKey: d.installDirValue?.key ?? '',
      InstallDirValue: d.installDirValue?.value ?? '',
      DefaultInstallDir: cl.installDir,
      VersionFiles: d.versionFiles,
      ConfiguredKey: d.configured?.key ?? '',
      ConfiguredValue: d.configured?.value ?? '',
      ConfiguredEquals: d.configured?.equals ?? '',
      Services: d.services,
      VmmService: cl.vmm?.service ?? '',
    },
    { timeoutMs: 60_000, signal },
  );
  return r;
}

/** Values for the documented argv; a secret value shows as [redacted]. */
export interface LineValues {
  [key: string]: string | number | null | undefined;
}

export const REDACTED = '[redacted]';

/**
 * A documented line with the catalog's optional switches that apply (proxy, proxy credentials,
 * VMM server), rendered. `secretIndexes` are the positions whose value is a secret.
 */
export function renderLine(
  cl: CommandLines,
  line: 'install' | 'upgrade' | 'configure',
  values: LineValues,
  apply: { proxy: boolean; proxyAuth: boolean; vmmServer: boolean },
): { argv: string[]; secretKeys: { index: number; key: string }[] } {
  const base = line === 'configure' ? cl.configure : cl[line];
  if (!base) fail('unsupported', `The catalog has no ${line} command line here.`);
  const template = [...base, ...(cl.extras ?? []).filter((x) => x.line === line && apply[x.when]).flatMap((x) => x.args)];
  const secretKeys = template.flatMap((part, index) => (part === '{proxyPassword}' ? [{ index, key: 'proxyPassword' }] : []));
  return { argv: renderArgv(template, values), secretKeys };
}

/** One documented command line as a Windows step runs it. */
export interface WinLine {
  step: 'extract' | 'install' | 'upgrade' | 'configure';
  argv: string[];
  cwd: string;
  /** Secret files written (ACL: Administrators + SYSTEM) just before the line runs and removed right after, even on failure. */
  secretFiles: { path: string; value: string }[];
  /** argv positions read from a secret file by the wrapper (proxy passwords). */
  secretArgs: { index: number; file: string }[];
}

/** The shown form of a line: secret argument values as [redacted]. */
export function shownLine(l: Pick<WinLine, 'argv' | 'secretArgs'>): string[] {
  return l.argv.map((a, i) => (l.secretArgs.some((s) => s.index === i) ? REDACTED : a));
}

/**
 * Runs one line as a resumable step: secret files first, then the installer through run-step.ps1,
 * the secret files removed in every case. A step whose earlier run was lost (the wrapper died with
 * no result) is started again only when detection says the work is not done.
 */
export async function runLine(
  ctx: StepContext,
  catalog: Catalog,
  component: ComponentId,
  what: string,
  dir: string,
  line: WinLine,
  host: string,
  isDone: () => Promise<boolean>,
): Promise<StepOutcome> {
  try {
    for (const f of line.secretFiles) await writeSecretFile(ctx, f.path, f.value);
    let r = await runInstallerStep(ctx, dir, line.step, { argv: line.argv, cwd: line.cwd, secretArgs: line.secretArgs });
    if (r.lost) {
      if (await isDone()) {
        ctx.log(`[${line.step}] the earlier run ended without a recorded exit code; detection shows it done`);
        return { detail: { exitCode: null, resumed: 'detected' } };
      }
      ctx.log(`[${line.step}] the earlier run ended without a recorded exit code and the work is not done: starting it again`);
      r = await runInstallerStep(ctx, dir, line.step, { argv: line.argv, cwd: line.cwd, secretArgs: line.secretArgs, restart: true });
    }
    if (r.code === null) fail('install_failed', `${what} on ${host} ended without an exit code.`, { host, remedy: 'See the setup logs in the host log.' });
    const out = await outcomeOf(ctx, catalog, component, what, dir, line.step, r.code, r.output, host);
    return { ...out, detail: { ...out.detail, how: r.how } };
  } finally {
    if (line.secretFiles.length) {
      const gone = await removeFiles(
        ctx.transport,
        line.secretFiles.map((f) => f.path),
      ).catch((e: Error) => ({ removed: [], left: [`(${e.message})`] }));
      if (gone.left.length) ctx.log(`[${line.step}] could not remove ${gone.left.join(', ')} yet; cleanup removes the staging folder`);
    }
  }
}

/** fetchLogs for Windows: the catalog's log paths, tails. */
export async function fetchWindowsLogs(t: Transport, catalog: Catalog, component: ComponentId): Promise<string> {
  const paths = catalog.component(component).logs.windows ?? [];
  const r = await runPs<{ logs: { path: string; text: string }[] | { path: string; text: string } | null }>(
    t,
    'fetch-logs.ps1',
    { Paths: paths, TailLines: 200 },
    { timeoutMs: 60_000 },
  );
  const logs = Array.isArray(r.logs) ? r.logs : r.logs ? [r.logs] : [];
  return logs.map((l) => `== ${l.path}\n${l.text}`).join('\n');
}

/** Cleanup for Windows: the job's staging folder (installer, extracted files, any secret file left). */
export async function cleanupStaging(ctx: StepContext): Promise<void> {
  await runPs(ctx.transport, 'remove-files.ps1', { Paths: [], Job: ctx.jobId }, { timeoutMs: 60_000 });
}
