import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodePowershell from 'node-powershell';
import { AsrFailure, fail } from '../../model/errors.ts';
import { normalizeFingerprint as normalizeSshFingerprint } from '../ssh/host-key.ts';
import { scanSshHostKey } from '../ssh/scan.ts';
import type { TlsCertificateInfo } from '../tls-scan.ts';
import { PinnedTlsRelay } from './pin-relay.ts';
import type { ExecOptions, ExecResult, ScriptOptions, TransferOptions, Transport, TransportCapabilities, TransportLog, UploadResult } from '../transport.ts';
import { classifyPsFailure } from './errors.ts';
import { frameInvocation, newNonce, parseFramed, PREAMBLE, secretReadLine, type PsErrorRecord } from './frame.ts';
import { isAlive, killProcessTree, processTree } from './process-tree.ts';
import { psArray, psHashtable, psQuote, psValue, type PsValue } from './quote-ps.ts';
import {
  EXEC,
  FILE_HASH,
  FINISH_UPLOAD,
  PREALLOCATE_UPLOAD,
  PREPARE_UPLOAD,
  REAP_PROCESS_TREE,
  REMOVE_PARTIAL,
  SESSION_INFO,
  WRITE_AT,
  WRITE_CHUNK,
} from './remote-scripts.ts';
import { planUploadSpans, spanChunkHashes, writerCount, type UploadSpan } from './chunk-plan.ts';
import { sessionOpenScript, winrmReapScript, type PsAuth, type PsEndpoint } from './session-script.ts';
import { checkedLocalFile, verifyDownloaded } from '../transfer-verify.ts';
import { lastLines, mbps, stripUndefined, truncate } from '../text.ts';

const { PowerShell } = nodePowershell;
type Shell = InstanceType<typeof PowerShell>;

export type PsConnection =
  | {
      kind: 'winrm';
      /** 5986 by default. */
      port?: number;
      /** HTTPS (default true). Plain HTTP 5985 only with Negotiate/Kerberos message encryption. */
      useSsl?: boolean;
      auth?: PsAuth;
      user: string;
      password: string;
      /**
       * `null`/absent: the certificate must be trusted by the workstation (CA chain + name).
       * A pin (SHA-256 of the DER, from `trust approve`): read over TLS first, compared, expiry
       * checked, then the session opens with the CA/CN checks relaxed.
       */
      certificatePin?: string | null;
    }
  | {
      kind: 'ssh';
      port?: number;
      user: string;
      /** A private key file the local ssh client may read (0600), or the key text (written to a private temp file for the session). */
      keyFilePath?: string;
      privateKey?: string;
      /** known_hosts with the host's key (the lab's), or build one from `hostKey`. */
      knownHostsPath?: string;
      /** `<type> <base64>` of the pinned host key, written to a private known_hosts for the session. */
      hostKey?: string;
      /** `SHA256:…` pin from the trust store: the key is read first (ssh2 scan), compared, then written as known_hosts. */
      hostKeyFingerprint?: string;
    };

export interface PowerShellTransportOptions {
  /** Inventory name, used in errors and logs. */
  host: string;
  address: string;
  connection: PsConnection;
  /** Local PowerShell: `powershell.exe` on Windows, `pwsh` elsewhere, or ASR_DEPLOY_PWSH. */
  pwshPath?: string;
  openTimeoutMs?: number;
  /** Default wall-clock bound of a call without its own timeoutMs. */
  defaultTimeoutMs?: number;
  /** WinRM operation timeout (server side); the wall clock is ours. */
  operationTimeoutMs?: number;
  /** Bytes per chunk when uploading in chunks over SSH (WinRM: from MaxEnvelopeSizekb). */
  sshChunkBytes?: number;
  /**
   * Push method. `copy-item` (default over SSH): Copy-Item -ToSession. `parallel`: chunks written at their offsets into a preallocated
   * file by `uploadSessions` sessions at once, each in its own local PowerShell process (one
   * process serialises its calls and spends its time base64/CLIXML-encoding chunks); `chunked`:
   * the same writes through this one session (default over WinRM, untested here). On the lab
   * (2 cores) `parallel` was not faster: pwsh's per-chunk serialisation is CPU-bound, so more
   * processes only share the same cores (bench/windows-copy.ts).
   */
  uploadMethod?: 'copy-item' | 'chunked' | 'parallel';
  /** Sessions writing at once in the `parallel` method (1-8, default 4); this transport's own session is one of them. */
  uploadSessions?: number;
  log?: TransportLog;
  /** For tests: extra environment of the local process. */
  env?: Record<string, string>;
  /**
   * For tests only (no production caller sets it): the per-chunk SHA-256 list one attempt (1 or
   * 2) of a `parallel` span is sent with, given the workstation's. A changed hash makes the host's
   * check refuse that span; it can make the host refuse a chunk, never accept one.
   */
  spanHashesForTest?: (span: UploadSpan, hashes: readonly string[], attempt: 1 | 2) => readonly string[];
}

export interface RemoteSessionInfo {
  pid: number;
  started: string;
  ps: string;
  windows: boolean;
  maxEnvelopeKb: number | null;
  computer: string;
  user: string;
  temp: string;
}

interface CallSpec {
  body: string;
  secrets?: { variable: string; value: string }[];
  timeoutMs?: number;
  signal?: AbortSignal;
  phase: 'open' | 'exec' | 'upload' | 'download' | 'script';
  what: string;
}

const DEFAULTS = { openTimeoutMs: 30_000, defaultTimeoutMs: 10 * 60_000, operationTimeoutMs: 180_000, sshChunkBytes: 4 * 1024 * 1024, uploadSessions: 4 };

/** The local PowerShell to drive: ASR_DEPLOY_PWSH, else powershell.exe on Windows, pwsh elsewhere. */
export function defaultPwshPath(): string {
  return process.env.ASR_DEPLOY_PWSH || (process.platform === 'win32' ? 'powershell.exe' : 'pwsh');
}

/**
 * The Transport over PowerShell remoting: node-powershell drives one local PowerShell process per
 * host job, which holds one PSSession to the host (WinRM HTTPS, or SSH with the `powershell`
 * subsystem). Every call is one framed script; answers are JSON between markers; secrets travel
 * only through the process's stdin, outside node-powershell's invoke() and history.
 */
export class PowerShellTransport implements Transport {
  readonly kind = 'powershell' as const;
  /** Scripts run in the session; run-step.ps1 detaches installers; the session is already elevated (no sudo); staging folders get ACLs. */
  readonly capabilities: TransportCapabilities = { scripts: true, detachedSteps: true, sudo: false, fileAcls: true };
  readonly host: string;
  private readonly o: PowerShellTransportOptions & typeof DEFAULTS;
  private shell: Shell | null = null;
  private shellPid: number | null = null;
  private connecting: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private tempDir: string | null = null;
  private sessionName = `asr-deploy-${randomBytes(4).toString('hex')}`;
  /** The remote process of the session, recorded at connect so a lost session can be reaped. */
  remote: RemoteSessionInfo | null = null;
  /** Milliseconds to spawn the local process and open the session, of the last connect. */
  openMs: number | null = null;
  certificate: TlsCertificateInfo | null = null;
  private relay: PinnedTlsRelay | null = null;
  private stderrTail = '';

  constructor(options: PowerShellTransportOptions) {
    this.host = options.host;
    this.o = { ...DEFAULTS, ...stripUndefined(options) } as PowerShellTransportOptions & typeof DEFAULTS;
  }

  private log(line: string): void {
    this.o.log?.(`[pwsh ${this.host}] ${line}`);
  }

  get remoteTemp(): string | null {
    return this.remote?.temp ?? null;
  }

  /** PID of the local PowerShell (for tests and diagnostics). */
  get localPid(): number | null {
    return this.shellPid;
  }

  /** node-powershell's invocation history (tests assert that no secret is in it). */
  get history(): readonly { command: string }[] {
    return this.shell?.history ?? [];
  }

  // ---------------------------------------------------------------- connect

  async connect(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.shell) return;
    if (this.connecting) return this.connecting;
    this.connecting = this.doConnect(opts.signal).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private endpoint(): PsEndpoint {
    const c = this.o.connection;
    if (c.kind === 'ssh') {
      return {
        kind: 'ssh',
        address: this.o.address,
        port: c.port ?? 22,
        user: c.user,
        keyFilePath: c.keyFilePath ?? '',
        knownHostsPath: c.knownHostsPath ?? '',
        openTimeoutMs: this.o.openTimeoutMs,
      };
    }
    if (c.certificatePin && !this.relay) fail('internal', `${this.host}: the pinned mode has no relay`);
    return {
      kind: 'winrm',
      // Pinned: PowerShell talks to our relay, which verifies the pin on each real connection.
      address: this.relay ? this.relay.address : this.o.address,
      port: this.relay ? this.relay.port : (c.port ?? 5986),
      useSsl: this.relay ? true : (c.useSsl ?? true),
      auth: c.auth ?? 'Negotiate',
      certificate: this.relay ? 'relay' : 'validate',
      user: c.user,
      operationTimeoutMs: this.o.operationTimeoutMs,
      openTimeoutMs: this.o.openTimeoutMs,
      idleTimeoutMs: 120_000,
    };
  }

  /**
   * Pinned mode: the PSSession goes through a relay on 127.0.0.1 that checks the pin on every real
   * connection to the host before it moves a byte (pin-relay.ts). One verified handshake first
   * names the certificate and fails fast; it is not what protects the credential.
   */
  private async startPinRelay(signal?: AbortSignal): Promise<void> {
    const c = this.o.connection;
    if (c.kind !== 'winrm' || !c.certificatePin) return;
    const port = c.port ?? 5986;
    if (c.useSsl === false) fail('validation', `${this.host}: a pinned certificate needs HTTPS (5986).`, { host: this.host });
    if (c.auth === 'Kerberos') {
      fail(
        'validation',
        `${this.host}: Kerberos cannot be used with a pinned certificate: the ticket is for the name PowerShell connects to, and in the pinned mode that is the local relay.`,
        {
          host: this.host,
          remedy:
            'Use Negotiate with the pin, or give the host a certificate from a CA the workstation trusts, revoke the pin (`asr-deploy trust revoke HOST:5986`) and use Kerberos with full CA and name validation.',
        },
      );
    }
    const relay = await PinnedTlsRelay.start({
      host: this.host,
      address: this.o.address,
      port,
      pin: c.certificatePin,
      connectTimeoutMs: Math.min(this.o.openTimeoutMs, 15_000),
      log: (l) => this.log(l),
    });
    this.relay = relay;
    const cert = await relay.verify(signal);
    this.certificate = cert;
    this.log(
      `certificate ${cert.subject}, SHA-256 ${cert.fingerprint} (pinned), valid to ${cert.notAfter}; the session goes through the pin relay on ${relay.address}:${relay.port}`,
    );
    if (cert.expiresSoon) this.log(`warning: the certificate expires on ${cert.notAfter}`);
  }

  private async prepareSshFiles(): Promise<void> {
    const c = this.o.connection;
    if (c.kind !== 'ssh') return;
    if (!c.keyFilePath && !c.privateKey)
      fail('validation', `${this.host}: PowerShell remoting over SSH needs a key (no password prompts in batch mode).`, {
        host: this.host,
        remedy: 'Use a key credential for this host.',
      });
    if (!c.knownHostsPath && !c.hostKey && c.hostKeyFingerprint) {
      const scan = await scanSshHostKey(this.o.address, c.port ?? 22, { timeoutMs: this.o.openTimeoutMs, host: this.host });
      if (normalizeSshFingerprint(scan.fingerprint) !== normalizeSshFingerprint(c.hostKeyFingerprint)) {
        fail('host_key_mismatch', `${this.host} presented host key ${scan.fingerprint}, but ${c.hostKeyFingerprint} is pinned`, {
          host: this.host,
          retryable: false,
          remedy: `Confirm the new key with the host's owner, then asr-deploy trust approve ${this.host} --replace (a bare approve does not replace a pin).`,
        });
      }
      c.hostKey = `${scan.keyType} ${scan.publicKey}`;
    }
    if (!c.knownHostsPath && !c.hostKey)
      fail('host_key_unknown', `${this.host}: no pinned SSH host key for PowerShell remoting over SSH.`, {
        host: this.host,
        remedy: `asr-deploy trust scan ${this.host} and trust approve ${this.host}`,
      });
    if (c.privateKey || c.hostKey) {
      this.tempDir = await mkdtemp(join(tmpdir(), 'asr-pwsh-'));
      if (c.privateKey) {
        if (
          /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(c.privateKey) ||
          /aes\d+-ctr|bcrypt/.test(
            Buffer.from(c.privateKey.replace(/-----[^-]+-----|\s/g, ''), 'base64')
              .subarray(0, 64)
              .toString('latin1'),
          )
        ) {
          fail('unsupported', `${this.host}: the key is protected by a passphrase, which the ssh client of PowerShell remoting cannot ask for in batch mode.`, {
            host: this.host,
            remedy: 'Use an unencrypted key for PowerShell remoting over SSH, or WinRM.',
          });
        }
        const keyFile = join(this.tempDir, 'key');
        await writeFile(keyFile, c.privateKey.endsWith('\n') ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
        c.keyFilePath = keyFile;
      }
      if (c.hostKey) {
        const kh = join(this.tempDir, 'known_hosts');
        const port = c.port ?? 22;
        const name = port === 22 ? this.o.address : `[${this.o.address}]:${port}`;
        if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/=]+$/.test(c.hostKey)) fail('validation', `${this.host}: the pinned host key is not "<type> <base64>".`);
        await writeFile(kh, `${name} ${c.hostKey}\n`, { mode: 0o600 });
        c.knownHostsPath = kh;
      }
    }
  }

  private async doConnect(signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    if (signal?.aborted) fail('cancelled', `${this.host}: connect cancelled`, { host: this.host });
    try {
      await this.startPinRelay(signal);
    } catch (e) {
      await this.teardown('kill');
      throw e;
    }
    await this.prepareSshFiles();
    const ep = this.endpoint();
    const pwsh = this.o.pwshPath ?? defaultPwshPath();
    let shell: Shell;
    try {
      shell = new PowerShell({
        executable: pwsh,
        executableOptions: { '-NoProfile': true, '-NonInteractive': true, ...(process.platform === 'win32' ? { '-ExecutionPolicy': 'Bypass' } : {}) },
        throwOnInvocationError: false,
        spawnOptions: {
          env: { ...process.env, TERM: 'dumb', NO_COLOR: '1', POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off', ...this.o.env },
          windowsHide: true,
        },
      });
    } catch (e) {
      return fail('unsupported', `Cannot start the local PowerShell (${pwsh}): ${(e as Error).message}`, {
        remedy: 'Install PowerShell 7 (pwsh) or set ASR_DEPLOY_PWSH to its path.',
      });
    }
    // The exit promise rejects when the process is killed; nobody may be awaiting it then.
    (shell as unknown as { exitPromise: Promise<void> }).exitPromise.catch(() => undefined);
    const child = (shell as unknown as { process: { pid?: number; once: (e: string, f: (err: Error) => void) => void } }).process;
    const spawnError = new Promise<never>((_, reject) => child.once('error', (err: Error) => reject(err)));
    spawnError.catch(() => undefined);
    this.shell = shell;
    this.shellPid = child.pid ?? null;
    // The ssh client of SSH remoting writes its reasons (Permission denied, host key) straight to
    // the process's stderr, often after node-powershell's delimiter: keep a tail for classification.
    this.stderrTail = '';
    // (pwsh forwards the ssh client's stderr to its own stdout.)
    const keep = (chunk: Buffer | string) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-8192);
    };
    shell.streams.stderr.on('data', keep);
    shell.streams.stdout.on('data', keep);
    try {
      // Straight to the process, not through the call queue: a queued call may be the one waiting for this connect.
      const pre = await Promise.race([
        this.invokeFramed<{ ps: string; pid: number }>({
          body: PREAMBLE,
          phase: 'open',
          what: 'start the local PowerShell',
          timeoutMs: 60_000,
          ...(signal ? { signal } : {}),
        }),
        spawnError,
      ]);
      this.log(`local PowerShell ${pre.ps} (pid ${pre.pid})`);
      const secret = this.o.connection.kind === 'winrm' ? [{ variable: '__asrSecret', value: this.o.connection.password }] : [];
      const info = await this.invokeFramed<RemoteSessionInfo>({
        body: `${sessionOpenScript(ep, this.sessionName)}\nInvoke-Command -Session $global:__asrSession -ScriptBlock ([ScriptBlock]::Create(${psQuote(SESSION_INFO)}))`,
        secrets: secret,
        phase: 'open',
        what: 'open the session',
        timeoutMs: this.o.openTimeoutMs + 15_000,
        ...(signal ? { signal } : {}),
      });
      this.remote = info;
      this.openMs = Date.now() - started;
      // The ssh client read the temporary key copy while connecting: it goes now, not at close.
      await this.removeKeyCopy();
      this.log(
        `session ${this.sessionName} open in ${this.openMs} ms: ${ep.kind === 'ssh' ? 'SSH' : `WinRM ${ep.useSsl ? 'HTTPS' : 'HTTP'} ${ep.auth}${ep.certificate === 'relay' ? ' (pinned certificate, checked by the relay on each connection)' : ''}`} as ${info.user}@${info.computer}, PowerShell ${info.ps}, remote pid ${info.pid}${info.maxEnvelopeKb ? `, MaxEnvelopeSizekb ${info.maxEnvelopeKb}` : ''}`,
      );
    } catch (e) {
      await this.teardown('kill');
      if (e instanceof AsrFailure) throw e;
      return fail('unsupported', `Cannot start the local PowerShell (${pwsh}): ${(e as Error).message}`, {
        remedy: 'Install PowerShell 7 (pwsh) or set ASR_DEPLOY_PWSH to its path.',
      });
    }
  }

  /** The private key written for the ssh client of SSH remoting (privateKey given as text), removed right after use. */
  private async removeKeyCopy(): Promise<void> {
    const c = this.o.connection;
    if (c.kind === 'ssh' && this.tempDir && c.privateKey && c.keyFilePath?.startsWith(this.tempDir)) {
      await rm(c.keyFilePath, { force: true });
      c.keyFilePath = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.connecting) await this.connecting.catch(() => undefined);
    if (this.shell) {
      // Orderly: remove the session (ends the remote process), then end the local process.
      await this.call(
        {
          body: 'if ($global:__asrSession) { Remove-PSSession -Session $global:__asrSession -ErrorAction SilentlyContinue; $global:__asrSession = $null }',
          phase: 'exec',
          what: 'close the session',
          timeoutMs: 15_000,
        },
        true,
      ).catch(() => undefined);
    }
    await this.teardown('dispose');
  }

  private async teardown(how: 'dispose' | 'kill'): Promise<void> {
    const shell = this.shell;
    const pid = this.shellPid;
    this.shell = null;
    this.shellPid = null;
    if (shell && pid) {
      if (how === 'kill') killProcessTree(pid);
      else {
        const tree = processTree(pid);
        await Promise.race([shell.dispose().catch(() => undefined), sleep(5_000)]);
        // dispose() sends SIGTERM to the top process only; whatever is left of the tree goes now.
        const left = tree.filter(isAlive);
        if (left.length) for (const p of left) killProcessTree(p);
      }
    }
    if (this.relay) {
      await this.relay.close();
      this.relay = null;
    }
    if (this.tempDir) {
      await rm(this.tempDir, { recursive: true, force: true }).catch(() => undefined);
      this.tempDir = null;
    }
  }

  // ---------------------------------------------------------------- the one call path

  /**
   * Runs one framed script in the local process; serialised (one call at a time per process).
   * On timeout or cancel the local process tree is killed and the remote session's process tree
   * is reaped from a fresh session, then `timeout`/`cancelled` is raised.
   */
  private call<T>(spec: CallSpec, internal = false): Promise<T> {
    const run = async (): Promise<T> => {
      if (!this.shell) {
        if (internal) fail('unreachable', `${this.host}: not connected`, { host: this.host });
        // The call's signal bounds the reconnect too: a cancel during a session open (seconds) is acted on at once.
        await this.connect(spec.signal ? { signal: spec.signal } : {});
      }
      return this.invokeFramed<T>(spec);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async invokeFramed<T>(spec: CallSpec): Promise<T> {
    const shell = this.shell!;
    const nonce = newNonce();
    const timeoutMs = spec.timeoutMs ?? this.o.defaultTimeoutMs;
    if (spec.signal?.aborted) fail('cancelled', `${this.host}: ${spec.what} cancelled`, { host: this.host });
    // Secrets: straight onto the process's stdin, each a read statement followed by its base64 line.
    for (const s of spec.secrets ?? []) {
      shell.streams.stdin.write(`${secretReadLine(s.variable)}\n${Buffer.from(s.value, 'utf8').toString('base64')}\n`);
    }
    const cleanup = (spec.secrets ?? []).map((s) => `$global:${s.variable} = $null`).join('; ');
    const body = cleanup ? `try {\n${spec.body}\n} finally { ${cleanup} }` : spec.body;
    this.stderrTail = '';
    const invocation = shell.invoke(frameInvocation(body, nonce));
    invocation.catch(() => undefined);

    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopper = new Promise<'timeout' | 'cancelled'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      if (spec.signal) {
        onAbort = () => resolve('cancelled');
        spec.signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    let outcome: Awaited<typeof invocation> | 'timeout' | 'cancelled';
    try {
      outcome = await Promise.race([invocation, stopper]);
    } catch (e) {
      // The local process died under the call.
      await this.teardown('kill');
      return fail('unreachable', `${this.host}: the local PowerShell ended during "${spec.what}": ${(e as Error).message}`, { host: this.host });
    } finally {
      clearTimeout(timer);
      if (onAbort) spec.signal?.removeEventListener('abort', onAbort);
    }
    if (outcome === 'timeout' || outcome === 'cancelled') {
      this.log(
        `${spec.what}: ${outcome === 'timeout' ? `no answer within ${timeoutMs} ms` : 'cancelled'}; killing the local PowerShell (pid ${this.shellPid}) and its children`,
      );
      await this.teardown('kill');
      if (spec.phase !== 'open') await this.reapRemote();
      return fail(
        outcome,
        outcome === 'timeout' ? `${this.host}: ${spec.what} did not finish within ${timeoutMs} ms` : `${this.host}: ${spec.what} cancelled`,
        {
          host: this.host,
          ...(outcome === 'timeout' ? { remedy: 'The command was stopped on the host. Raise the step timeout if it needs longer.' } : {}),
        },
      );
    }
    const stdout = outcome.stdout?.toString('utf8') ?? outcome.raw ?? '';
    const stderr = outcome.stderr?.toString('utf8') ?? '';
    let answer;
    try {
      answer = parseFramed<T>(stdout, nonce);
    } catch (e) {
      fail('command_failed', `${this.host}: ${spec.what}: the answer is not JSON (${(e as Error).message})`, { host: this.host });
    }
    if (!answer) {
      fail('command_failed', `${this.host}: ${spec.what}: no answer from the local PowerShell: ${truncate((stderr || stdout).trim(), 300)}`, {
        host: this.host,
      });
    }
    if (!answer.ok) {
      if (spec.phase === 'open' && this.o.connection.kind === 'ssh') await sleep(300); // late ssh stderr
      throw this.classify(
        spec.phase,
        answer.error ?? null,
        `${stderr}\n${this.stderrTail.replace(/@@ASR-BEGIN:[0-9a-f]+@@[\s\S]*?@@ASR-END:[0-9a-f]+@@/g, '')}`,
      );
    }
    return answer.value as T;
  }

  private classify(phase: CallSpec['phase'], error: PsErrorRecord | null, stderr: string): AsrFailure {
    const c = this.o.connection;
    // The relay refused a connection PowerShell opened: that, not PowerShell's broken-pipe text, is the cause.
    const refused = this.relay?.failure;
    if (refused && (refused.data.code === 'tls_pin_mismatch' || refused.data.code === 'certificate_expired' || phase === 'open')) {
      this.log(`${phase} failed: ${refused.data.code}: ${refused.message}`);
      return refused;
    }
    const f = classifyPsFailure({
      host: this.host,
      address: this.o.address,
      port: c.port ?? (c.kind === 'ssh' ? 22 : 5986),
      user: c.user,
      kind: c.kind,
      phase,
      error,
      stderr: scrubAnsi(stderr),
      ...(c.kind === 'winrm' ? { auth: c.auth ?? 'Negotiate' } : {}),
    });
    this.log(`${phase} failed: ${f.data.code}: ${f.message}`);
    return f;
  }

  /**
   * After a kill: a fresh local process and session stop the old session's remote process tree
   * (by PID + start time) and, over WinRM, remove the session by name. Best effort, bounded.
   */
  private async reapRemote(): Promise<void> {
    const old = this.remote;
    if (!old) return;
    const reaper = new PowerShellTransport({ ...this.o, connection: { ...this.o.connection }, log: (l) => this.log(`reaper: ${l}`) });
    try {
      await reaper.connect();
      const r = await reaper.call<{ killed: number[]; reason: string }>({
        body: remoteInvoke(REAP_PROCESS_TREE, [old.pid, old.started]),
        phase: 'exec',
        what: 'reap the lost session',
        timeoutMs: 30_000,
      });
      this.log(`remote session process ${old.pid}: ${r.reason}${r.killed?.length ? ` (stopped ${r.killed.length} process(es))` : ''}`);
      const ep = reaper.endpoint();
      if (ep.kind === 'winrm') {
        await reaper.call({
          body: winrmReapScript(ep, this.sessionName),
          secrets: [{ variable: '__asrSecret', value: (this.o.connection as { password: string }).password }],
          phase: 'exec',
          what: 'remove the lost session',
          timeoutMs: 30_000,
        });
      }
    } catch (e) {
      this.log(`could not reap the remote session: ${(e as Error).message}`);
    } finally {
      await reaper.close().catch(() => undefined);
      this.remote = null;
    }
  }

  // ---------------------------------------------------------------- exec and scripts

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (!argv.length) fail('validation', 'cannot run an empty command line');
    const env = opts.env ?? {};
    for (const k of Object.keys(env)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail('validation', `"${k}" is not a valid environment variable name`);
    // The native-command pipeline ends the text it passes with a newline: one of the caller's goes, so "text\n" arrives as sent.
    const stdinText = opts.stdin === undefined ? undefined : (Buffer.isBuffer(opts.stdin) ? opts.stdin.toString('utf8') : opts.stdin).replace(/\r?\n$/, '');
    const secrets = stdinText !== undefined ? [{ variable: '__asrStdin', value: stdinText }] : [];
    const [exe, ...args] = argv;
    const envLiteral = Object.keys(env).length ? psHashtable(env) : '$null';
    const body = `Invoke-Command -Session $global:__asrSession -ScriptBlock ([ScriptBlock]::Create(${psQuote(EXEC)})) -ArgumentList ${psQuote(exe!)}, ${psArray(args)}, ${secrets.length ? '$global:__asrStdin' : '$null'}, ${psQuote(opts.cwd ?? '')}, ${envLiteral}`;
    const started = Date.now();
    const r = await this.call<{ exitCode: number; stdout: string; stderr: string }>({
      body,
      secrets,
      phase: 'exec',
      what: `run ${basename(exe!)}`,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const res: ExecResult = { exitCode: r.exitCode, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs: Date.now() - started };
    if (res.stdout) opts.onStdout?.(res.stdout);
    if (res.stderr) opts.onStderr?.(res.stderr);
    this.log(`exec ${basename(exe!)} (${args.length} args): exit ${res.exitCode} in ${res.durationMs} ms`);
    if (res.exitCode !== 0 && !opts.allowNonZero) {
      fail('command_failed', `${this.host}: ${basename(exe!)} exited with ${res.exitCode}: ${truncate(lastLines(res.stderr || res.stdout, 3, ' / '), 300)}`, {
        host: this.host,
        exitCode: res.exitCode,
      });
    }
    return res;
  }

  /**
   * Runs a script (resources/scripts/windows/*.ps1) in the session with named parameters as data;
   * returns what the script returns (our scripts return one JSON text, parsed here).
   */
  async runScript<T = unknown>(script: string, params: Record<string, PsValue> = {}, opts: ScriptOptions = {}): Promise<T> {
    const secretEntries = Object.entries(opts.secrets ?? {});
    const secrets = secretEntries.map(([, value], i) => ({ variable: `__asrParam${String.fromCharCode(65 + i)}`, value }));
    let table = psHashtable(params);
    if (secretEntries.length) {
      const extra = secretEntries.map(([name], i) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('validation', `"${name}" is not a valid PowerShell parameter name`);
        return `${name}=$global:${secrets[i]!.variable}`;
      });
      table = `@{${[table.slice(2, -1), ...extra].filter(Boolean).join(';')}}`;
    }
    const body = `$__p = ${table}\nInvoke-Command -Session $global:__asrSession -ScriptBlock { param($__t, $__a) & ([ScriptBlock]::Create($__t)) @__a } -ArgumentList ${psQuote(script)}, $__p`;
    const out = await this.call<unknown>({
      body,
      secrets,
      phase: 'script',
      what: opts.what ?? 'run a script',
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return parseScriptOutput<T>(out, this.host, opts.what ?? 'script');
  }

  // ---------------------------------------------------------------- transfers

  /** Bytes per chunk: from the endpoint's MaxEnvelopeSizekb over WinRM (base64 and XML overhead off), else sshChunkBytes. */
  chunkBytes(): number {
    const kb = this.remote?.maxEnvelopeKb;
    if (this.o.connection.kind === 'winrm' || kb) return chunkBytesForEnvelope(kb ?? 500);
    return this.o.sshChunkBytes;
  }

  async upload(localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<UploadResult> {
    const started = Date.now();
    const { size, sha256: localHash } = await checkedLocalFile(this.host, localPath, opts.sha256);
    await this.connect(opts.signal ? { signal: opts.signal } : {});
    const partial = `${remotePath}.partial`;
    const deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : undefined;
    const left = () => (deadline === undefined ? undefined : Math.max(1, deadline - Date.now()));
    const common = (what: string) => ({
      phase: 'upload' as const,
      what,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(left() !== undefined ? { timeoutMs: left()! } : {}),
    });
    await this.call({ ...common(`prepare the upload of ${basename(remotePath)}`), body: remoteInvoke(PREPARE_UPLOAD, [remotePath, size, partial]) });
    const method = this.o.uploadMethod ?? (this.o.connection.kind === 'winrm' ? 'chunked' : 'copy-item');
    let sessions = 1;
    try {
      if (method === 'copy-item') {
        await this.call({
          ...common(`copy ${basename(remotePath)}`),
          body: `Copy-Item -LiteralPath ${psQuote(localPath)} -Destination ${psQuote(partial)} -ToSession $global:__asrSession -Force`,
        });
        opts.onProgress?.(size, size);
      } else if (method === 'parallel') {
        sessions = await this.parallelWrite(localPath, partial, size, opts, common);
      } else {
        const chunk = this.chunkBytes();
        // Several chunks per call: progress and the deadline are checked between calls.
        const perCall = Math.max(chunk, Math.min(64 * 1024 * 1024, chunk * 32));
        let offset = 0;
        if (size === 0) await this.call({ ...common('create the file'), body: `${remoteInvoke(WRITE_CHUNK, [partial])}, ([byte[]]@()), ([long]0)` });
        while (offset < size) {
          const n = Math.min(perCall, size - offset);
          await this.call({ ...common(`copy ${basename(remotePath)}`), body: chunkLoop(localPath, partial, offset, n, chunk) });
          offset += n;
          opts.onProgress?.(offset, size);
        }
      }
    } catch (e) {
      // No partial file is left behind (a cancelled or failed copy); bounded, and not bound to the caller's signal.
      await this.call({ body: remoteInvoke(REMOVE_PARTIAL, [partial]), phase: 'exec', what: `remove ${basename(partial)}`, timeoutMs: 60_000 }).catch(
        (r: Error) => this.log(`could not remove ${partial}: ${r.message}`),
      );
      throw e;
    }
    const fin = await this.call<{ sha256: string; bytes: number }>({
      ...common(`verify ${basename(remotePath)}`),
      body: remoteInvoke(FINISH_UPLOAD, [partial, remotePath, localHash]),
    });
    const durationMs = Date.now() - started;
    this.log(
      `uploaded ${size} bytes to ${remotePath} via ${method}${method === 'parallel' ? ` (${sessions} sessions)` : ''} in ${durationMs} ms (${mbps(size, durationMs)} MB/s), sha256 ${fin.sha256} verified on the host`,
    );
    return { bytes: size, sha256: fin.sha256, durationMs, method };
  }

  /**
   * The `parallel` method: the partial file is preallocated, then spans of chunks go out from one
   * queue to `uploadSessions` writers (this session and clones, each its own local PowerShell and
   * PSSession), each chunk checked on the host against the workstation's SHA-256 before it is
   * written. A span that fails is retried once (on a fresh session if its process was lost);
   * a second failure, a cancel or the deadline stops every writer. Clones are closed on every path.
   * Returns how many sessions wrote.
   */
  private async parallelWrite(
    localPath: string,
    partial: string,
    size: number,
    opts: TransferOptions,
    common: (what: string) => { phase: 'upload'; what: string; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<number> {
    const chunk = this.chunkBytes();
    const spans = planUploadSpans(size, chunk, 4);
    const n = writerCount(this.o.uploadSessions, spans.length);
    await this.call({ ...common(`preallocate ${basename(partial)}`), body: remoteInvoke(PREALLOCATE_UPLOAD, [partial, size]) });
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const clones: PowerShellTransport[] = [];
    let next = 0;
    let done = 0;
    let firstError: unknown = null;
    const writeSpan = async (w: PowerShellTransport, span: UploadSpan, attempt: 1 | 2) => {
      const own = await spanChunkHashes(localPath, span);
      const hashes = this.o.spanHashesForTest?.(span, own, attempt) ?? own;
      await w.call({
        ...common(`copy ${basename(partial)} at ${span.offset}`),
        signal: stop.signal,
        body: spanLoop(localPath, partial, span, hashes, chunk),
      });
    };
    const worker = async (w: PowerShellTransport) => {
      while (!stop.signal.aborted && next < spans.length) {
        const span = spans[next++]!;
        try {
          await writeSpan(w, span, 1);
        } catch (e) {
          const code = e instanceof AsrFailure ? e.data.code : 'internal';
          if (stop.signal.aborted || code === 'cancelled' || code === 'timeout' || code === 'validation' || code === 'disk_full') throw e;
          this.log(`the chunks at ${span.offset} (${span.length} bytes) failed (${code}: ${(e as Error).message}); retrying once`);
          try {
            await writeSpan(w, span, 2);
          } catch (again) {
            if (again instanceof AsrFailure && (again.data.code === 'cancelled' || again.data.code === 'timeout')) throw again;
            fail(
              again instanceof AsrFailure ? again.data.code : 'command_failed',
              `${this.host}: the chunks at offset ${span.offset} of ${basename(partial)} failed twice: ${(again as Error).message}`,
              {
                host: this.host,
                // Only what an admin can do from the CLI: `parallel` is no CLI option (--upload-method is SSH's sftp|exec-cat).
                remedy:
                  'Run the step again: `asr-deploy jobs resume JOB --retry-failed`. If it fails again, let the host pull the installer instead: serve the folder with `asr-deploy sources serve DIR` (pin the fingerprint it prints) and plan with `--source https://ADDRESS:8443/`.',
              },
            );
          }
        }
        done += span.length;
        opts.onProgress?.(done, size);
      }
    };
    const run = async (w: PowerShellTransport) => {
      try {
        await worker(w);
      } catch (e) {
        firstError ??= e;
        stop.abort();
      }
    };
    try {
      const opening = Array.from({ length: n - 1 }, async () => {
        const c = new PowerShellTransport({
          ...this.o,
          connection: { ...this.o.connection },
          uploadMethod: 'chunked',
          log: (l) => this.log(`writer: ${l}`),
        });
        clones.push(c);
        await c.connect({ signal: stop.signal });
        return c;
      });
      // This session starts writing at once; the others join as they open. A clone that cannot open is not fatal.
      await Promise.all([
        run(this),
        ...opening.map((p) =>
          p.then(
            (c) => run(c),
            (e: Error) => {
              if (!stop.signal.aborted) this.log(`a writer session did not open (${e.message}); the others carry on`);
            },
          ),
        ),
      ]);
      if (firstError) throw firstError;
      if (opts.signal?.aborted) fail('cancelled', `${this.host}: copy of ${basename(partial)} cancelled`, { host: this.host });
      if (done !== size) fail('internal', `${this.host}: ${done} of ${size} bytes written`, { host: this.host });
      return 1 + clones.filter((c) => c.remote !== null).length;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await Promise.allSettled(clones.map((c) => c.close()));
    }
  }

  async remoteSha256(remotePath: string): Promise<string> {
    const r = await this.call<{ sha256: string }>({ body: remoteInvoke(FILE_HASH, [remotePath]), phase: 'exec', what: `hash ${basename(remotePath)}` });
    return r.sha256;
  }

  async download(remotePath: string, localPath: string, opts: TransferOptions = {}): Promise<void> {
    await this.connect(opts.signal ? { signal: opts.signal } : {});
    const partial = `${localPath}.part`;
    try {
      await this.call({
        body: `Copy-Item -LiteralPath ${psQuote(remotePath)} -Destination ${psQuote(partial)} -FromSession $global:__asrSession -Force`,
        phase: 'download',
        what: `download ${basename(remotePath)}`,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      await verifyDownloaded(this.host, remotePath, partial, localPath, this.remoteSha256(remotePath), opts.sha256);
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
  }
}

/** Invoke a transport script block in the session with positional string arguments (quoted data). */
function remoteInvoke(script: string, args: readonly PsValue[]): string {
  return `Invoke-Command -Session $global:__asrSession -ScriptBlock ([ScriptBlock]::Create(${psQuote(script)})) -ArgumentList ${args.length ? args.map(psValue).join(', ') : '@()'}`;
}

/** The local loop that sends `count` bytes from `offset` in chunks of `chunk` bytes. */
function chunkLoop(localPath: string, partial: string, offset: number, count: number, chunk: number): string {
  return [
    `$__sb = [ScriptBlock]::Create(${psQuote(WRITE_CHUNK)})`,
    `$__fs = [IO.File]::OpenRead(${psQuote(localPath)})`,
    `try {`,
    `  $__fs.Position = [long]${offset}; $__end = [long]${offset + count}; $__pos = [long]${offset}`,
    `  $__buf = New-Object byte[] ${chunk}`,
    `  while ($__pos -lt $__end) {`,
    `    $__want = [int][Math]::Min([long]$__buf.Length, $__end - $__pos)`,
    `    $__n = $__fs.Read($__buf, 0, $__want); if ($__n -le 0) { throw 'the local file ended early' }`,
    `    if ($__n -eq $__buf.Length) { $__b = $__buf } else { $__b = New-Object byte[] $__n; [Array]::Copy($__buf, $__b, $__n) }`,
    `    Invoke-Command -Session $global:__asrSession -ScriptBlock $__sb -ArgumentList ${psQuote(partial)}, $__b, $__pos`,
    `    $__pos += $__n`,
    `  }`,
    `} finally { $__fs.Dispose() }`,
    `$__pos`,
  ].join('\n');
}

/** The local loop of one span: each chunk read, sent with its SHA-256, checked and written at its offset by WRITE_AT. */
function spanLoop(localPath: string, partial: string, span: UploadSpan, hashes: readonly string[], chunk: number): string {
  return [
    `$__sb = [ScriptBlock]::Create(${psQuote(WRITE_AT)})`,
    `$__h = ${psArray(hashes)}`,
    `$__fs = [IO.File]::Open(${psQuote(localPath)}, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::Read)`,
    `try {`,
    `  $__pos = [long]${span.offset}; $__fs.Position = $__pos`,
    `  $__buf = New-Object byte[] ${chunk}`,
    `  for ($__i = 0; $__i -lt $__h.Count; $__i++) {`,
    `    $__want = [int]@(${span.chunks.join(',')})[$__i]`,
    `    if ($__want -ne $__buf.Length) { $__buf = New-Object byte[] $__want }`,
    `    $__got = 0; while ($__got -lt $__want) { $__n = $__fs.Read($__buf, $__got, $__want - $__got); if ($__n -le 0) { throw 'the local file ended early' }; $__got += $__n }`,
    `    Invoke-Command -Session $global:__asrSession -ScriptBlock $__sb -ArgumentList ${psQuote(partial)}, $__buf, $__pos, $__h[$__i]`,
    `    $__pos += $__want`,
    `  }`,
    `} finally { $__fs.Dispose() }`,
    `$__pos`,
  ].join('\n');
}

/**
 * A WinRM envelope carries the chunk as base64 (4/3) inside SOAP/PSRP XML: leave room for both.
 * MaxEnvelopeSizekb is 500 by default (150 on 2008 R2 era hosts).
 */
export function chunkBytesForEnvelope(maxEnvelopeKb: number): number {
  const envelope = Math.max(150, maxEnvelopeKb) * 1024;
  const payload = Math.floor(((envelope - 16 * 1024) * 3) / 4);
  return Math.max(32 * 1024, Math.floor(payload / 4096) * 4096);
}

/** Our scripts return one JSON text; a script that returns an object is taken as is. */
export function parseScriptOutput<T>(out: unknown, host: string, what: string): T {
  const text = Array.isArray(out) ? out.filter((x) => typeof x === 'string').at(-1) : out;
  if (typeof text !== 'string') return out as T;
  const start = text.indexOf('{') >= 0 && (text.indexOf('[') < 0 || text.indexOf('{') < text.indexOf('[')) ? text.indexOf('{') : text.indexOf('[');
  try {
    return JSON.parse(start > 0 ? text.slice(start) : text) as T;
  } catch (e) {
    return fail('command_failed', `${host}: ${what} printed no JSON document (${(e as Error).message}): ${truncate(text, 200)}`, { host });
  }
}

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function scrubAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
