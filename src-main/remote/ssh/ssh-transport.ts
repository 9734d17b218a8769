import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { posix as posixPath } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ssh2, { type Algorithms, type AnyAuthMethod, type Client, type ClientChannel, type ConnectConfig, type ParsedKey, type SFTPWrapper } from 'ssh2';
import { AsrFailure, fail } from '../../model/errors.ts';
import type { ExecOptions, ExecResult, TransferOptions, Transport, TransportCapabilities, TransportLog, UploadResult } from '../transport.ts';
import { classifyConnectFailure, type HostKeyVerdict } from './connect-errors.ts';
import { describeDiagnostics, newDiagnostics, recordDebugLine, recordNegotiated, type ConnectionDiagnostics, type Ssh2Negotiated } from './connection-diagnostics.ts';
import { hostKeyFingerprint, hostKeyType, normalizeFingerprint } from './host-key.ts';
import { checkedLocalFile, sha256File } from '../local-file.ts';
import { lastLines, mbps, stripUndefined, truncate } from '../text.ts';
import {
  buildRemoteCommand,
  classifySudoFailure,
  detectDiskFull,
  parseDfAvailableBytes,
  parseSha256Output,
  PreludeScanner,
  REMOTE_SHA256_SCRIPT,
  type Elevation,
} from './remote-command.ts';

export type SshAuth =
  | { password: string; /** Default: `password` when the server offers it, else `keyboard-interactive`. */ method?: 'password' | 'keyboard-interactive' }
  | { privateKey: string | Buffer; passphrase?: string }
  | { agent: string };

export type UploadMethod = 'sftp-fastput' | 'sftp-stream' | 'exec-cat';

export interface SshTransportOptions {
  /** Inventory name, used in errors and logs. */
  host: string;
  address: string;
  port?: number;
  username: string;
  auth: SshAuth;
  /** For `elevate` when the login user is not root and sudo asks for a password. */
  sudoPassword?: string;
  /** Pinned `SHA256:…` fingerprint; null means the host was never approved, and it is refused. */
  expectedHostKey: string | null;
  connectTimeoutMs?: number;
  /** Bound on banner + key exchange + authentication (ssh2 `readyTimeout`). */
  handshakeTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Missed keepalives before the connection is declared dead. */
  keepaliveCountMax?: number;
  log?: TransportLog;
  /** Per-host override, e.g. to allow a legacy algorithm an old host needs. */
  algorithms?: Algorithms;
  /** Order of upload methods to try (default: fastPut, SFTP stream, `cat` over exec). */
  uploadMethods?: readonly UploadMethod[];
  /** Between SIGTERM and SIGKILL of a timed-out or cancelled command. */
  killGraceMs?: number;
}

const DEFAULTS = { port: 22, connectTimeoutMs: 10_000, handshakeTimeoutMs: 20_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 3, killGraceMs: 2_000 };

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that ssh2 puts on `err.code`. */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;

interface RunOptions extends ExecOptions {
  /** Streamed as the program's stdin (large uploads); takes precedence over `stdin`. */
  stdinStream?: Readable;
  /** Raw stdout bytes (downloads); when set stdout is not collected as text. */
  onStdoutBytes?: (chunk: Buffer) => void;
  /** Internal calls (kill, probes) are not logged line by line. */
  quiet?: boolean;
}

export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  /** No PowerShell scripts (Linux targets run resources/scripts/linux through exec); run-step.sh detaches installers; sudo; POSIX modes. */
  readonly capabilities: TransportCapabilities = { scripts: false, detachedSteps: true, sudo: true, fileAcls: false };
  /** Linux recipes stage in the paths they name (/tmp/asr-deploy-JOB); the target's TMPDIR is not asked. */
  readonly remoteTemp = null;
  readonly host: string;
  private readonly opts: SshTransportOptions & typeof DEFAULTS;
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private sftpSession: Promise<SFTPWrapper> | null = null;
  private isRoot: boolean | null = null;
  private closed = false;
  /** Facts of the last connection attempt; exposed for `trust`/diagnostics screens. */
  diagnostics: ConnectionDiagnostics = newDiagnostics();
  get sudoWithPassword(): boolean {
    return this.opts.sudoPassword !== undefined;
  }
  /** Milliseconds from TCP connect start to authenticated session, of the last connect. */
  loginMs: number | null = null;

  constructor(options: SshTransportOptions) {
    this.host = options.host;
    this.opts = { ...DEFAULTS, ...stripUndefined(options) } as SshTransportOptions & typeof DEFAULTS;
  }

  private log(line: string): void {
    this.opts.log?.(`[ssh ${this.host}] ${line}`);
  }

  // ---------------------------------------------------------------- connect

  async connect(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.client) return;
    if (this.connecting) return this.connecting;
    this.closed = false;
    this.connecting = this.doConnect(opts.signal).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async doConnect(signal?: AbortSignal): Promise<void> {
    const o = this.opts;
    const started = Date.now();
    const diag = (this.diagnostics = newDiagnostics());
    if (signal?.aborted) fail('cancelled', `${this.host}: connect cancelled`, { host: this.host });
    const key = this.checkKey();
    const sock = await this.connectTcp(diag, signal);
    diag.phase = 'banner';

    const client = new ssh2.Client();
    let hostKey: HostKeyVerdict | undefined;
    let authTried: string | undefined;
    let authPartial = false;
    let passwordAnswered = false;
    const expected = o.expectedHostKey === null ? null : normalizeFingerprint(o.expectedHostKey);

    const authHandler = (methodsLeft: string[] | null, partial: boolean | null, next: (m: AnyAuthMethod | false) => void): void => {
      // First round: `none` only asks the server which methods it accepts (never a failed logon).
      if (methodsLeft === null) return next({ type: 'none', username: o.username });
      if (diag.authMethodsOffered === undefined) {
        diag.authMethodsOffered = [...methodsLeft];
        this.log(`server offers auth methods: ${methodsLeft.join(',') || '(none)'}`);
      }
      // One attempt per credential, never a loop: each failed password counts toward lockout (95520).
      if (authTried !== undefined) {
        authPartial = partial === true;
        return next(false);
      }
      const method = chooseAuthMethod(o.auth, methodsLeft);
      if (method === null) return next(false);
      authTried = method;
      this.log(`auth: trying ${method} as ${o.username}`);
      const a = o.auth;
      if (method === 'publickey' && 'privateKey' in a) return next({ type: 'publickey', username: o.username, key: key ?? a.privateKey });
      if (method === 'agent' && 'agent' in a) return next({ type: 'agent', username: o.username, agent: a.agent });
      if (method === 'password' && 'password' in a) return next({ type: 'password', username: o.username, password: a.password });
      if (method === 'keyboard-interactive' && 'password' in a) {
        return next({
          type: 'keyboard-interactive',
          username: o.username,
          prompt: (_name, _instructions, _lang, prompts, finish) => {
            // Answer a password prompt once; a second round (e.g. an OTP) gets empty answers
            // rather than the password again.
            finish(
              prompts.map((p) => {
                if (!passwordAnswered && /pass(word|code|phrase)?/i.test(p.prompt)) {
                  passwordAnswered = true;
                  return a.password;
                }
                return '';
              }),
            );
          },
        });
      }
      return next(false);
    };

    const config: ConnectConfig = {
      sock,
      username: o.username,
      readyTimeout: o.handshakeTimeoutMs,
      keepaliveInterval: o.keepaliveIntervalMs,
      keepaliveCountMax: o.keepaliveCountMax,
      // Only ssh2's debug output carries the server's algorithm lists; it is parsed, never logged raw.
      debug: (line: string) => {
        // ssh2 calls this for every packet; only the handshake lines matter.
        if (diag.phase !== 'ready') recordDebugLine(diag, line);
      },
      hostVerifier: (raw: Buffer): boolean => {
        const presented = hostKeyFingerprint(raw);
        const keyType = hostKeyType(raw);
        if (expected === null) hostKey = { kind: 'unknown', presented, keyType };
        else if (presented !== expected) hostKey = { kind: 'mismatch', presented, expected, keyType };
        else hostKey = { kind: 'ok', presented, keyType };
        this.log(`host key ${keyType} ${presented}: ${hostKey.kind === 'ok' ? 'matches the pinned key' : hostKey.kind}`);
        return hostKey.kind === 'ok';
      },
      authHandler: authHandler as unknown as ConnectConfig['authHandler'],
      ...(o.algorithms ? { algorithms: o.algorithms } : {}),
    };

    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown, timedOut?: 'handshake'): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined && timedOut === undefined) return resolve();
        client.removeAllListeners('ready');
        client.on('error', () => {});
        client.destroy();
        if (err instanceof AsrFailure) return reject(err);
        const failure = classifyConnectFailure({
          host: this.host,
          address: o.address,
          port: o.port,
          username: o.username,
          error: err as { message?: string; code?: string; level?: string } | undefined,
          timedOut,
          connectTimeoutMs: o.connectTimeoutMs,
          handshakeTimeoutMs: o.handshakeTimeoutMs,
          diag,
          hostKey: hostKey?.kind === 'ok' ? undefined : hostKey,
          authTried,
          authPartial,
        });
        this.logDiagnostics(diag);
        this.log(`connect failed: ${failure.data.code}: ${failure.message}`);
        reject(failure);
      };
      const onAbort = (): void => finish(new AsrFailure('cancelled', `${this.host}: connect cancelled`, { host: this.host }));
      signal?.addEventListener('abort', onAbort, { once: true });
      client.on('handshake', (n: Ssh2Negotiated) => recordNegotiated(diag, n));
      client.on('ready', () => finish());
      client.on('error', (e: Error) => finish(e));
      client.on('close', () => finish(new Error('connection closed')));
      try {
        client.connect(config);
      } catch (e) {
        finish(e);
      }
    });

    diag.phase = 'ready';
    this.loginMs = Date.now() - started;
    this.logDiagnostics(diag);
    this.log(`connected as ${o.username} via ${authTried ?? 'none'} in ${this.loginMs} ms`);
    this.client = client;
    client.on('error', (e: Error) => this.log(`connection error: ${e.message}`));
    client.on('close', () => {
      if (this.client === client) {
        this.client = null;
        this.sftpSession = null;
        if (!this.closed) this.log('connection closed by the server or the network');
      }
    });
  }

  private logDiagnostics(diag: ConnectionDiagnostics): void {
    for (const line of describeDiagnostics(diag)) if (!line.startsWith('server offers auth methods')) this.log(line);
  }

  /** Parse the key up front: a wrong passphrase is a local problem and must not cost a logon attempt. */
  private checkKey(): ParsedKey | undefined {
    const a = this.opts.auth;
    if (!('privateKey' in a)) return undefined;
    const parsed = ssh2.utils.parseKey(a.privateKey, a.passphrase);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key instanceof Error || key === undefined) {
      const encrypted = /encrypted|passphrase/i.test(key instanceof Error ? key.message : '');
      fail('auth_failed', `${this.host}: the private key for ${this.opts.username} cannot be read${encrypted ? ' (it is encrypted: passphrase missing or wrong)' : ''}`, {
        host: this.host,
        retryable: false,
        remedy: encrypted ? 'Enter the passphrase of the key again.' : 'Use a private key in OpenSSH or PEM format.',
      });
    }
    if (!key.isPrivateKey()) fail('auth_failed', `${this.host}: the key given for ${this.opts.username} is a public key`, { host: this.host, retryable: false, remedy: 'Give the private key file.' });
    return key;
  }

  /** TCP first, with its own bound: "nothing answers" and "sshd stalls" need different remedies. */
  private connectTcp(diag: ConnectionDiagnostics, signal?: AbortSignal): Promise<Socket> {
    const o = this.opts;
    return new Promise<Socket>((resolve, reject) => {
      const sock = netConnect({ host: o.address, port: o.port });
      let done = false;
      const end = (err?: AsrFailure): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.removeListener('error', onError);
        if (err) {
          sock.destroy();
          this.log(`connect failed: ${err.data.code}: ${err.message}`);
          reject(err);
        } else resolve(sock);
      };
      const base = { host: o.host, address: o.address, port: o.port, username: o.username, connectTimeoutMs: o.connectTimeoutMs, handshakeTimeoutMs: o.handshakeTimeoutMs, diag };
      const onError = (e: NodeJS.ErrnoException): void => end(classifyConnectFailure({ ...base, error: { message: e.message, code: e.code, level: 'client-socket' } }));
      const onAbort = (): void => end(new AsrFailure('cancelled', `${this.host}: connect cancelled`, { host: this.host }));
      const timer = setTimeout(() => end(classifyConnectFailure({ ...base, timedOut: 'connect' })), o.connectTimeoutMs);
      sock.once('error', onError);
      sock.once('connect', () => end());
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async ready(): Promise<Client> {
    if (!this.client) await this.connect();
    if (!this.client) fail('unreachable', `${this.host}: not connected`, { host: this.host });
    return this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.connecting) await this.connecting.catch(() => {});
    const client = this.client;
    this.client = null;
    this.sftpSession = null;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2_000);
      client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      client.end();
    });
  }

  // ---------------------------------------------------------------- exec

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.run(argv, opts);
  }

  /** PowerShell scripts need a PowerShell session (capabilities.scripts is false here). */
  async runScript<T = unknown>(_script: string, _params?: Record<string, unknown>, opts: { what?: string } = {}): Promise<T> {
    return fail('unsupported', `${this.host}: ${opts.what ?? 'a PowerShell script'} needs PowerShell remoting; this host is reached over SSH as Linux.`, {
      host: this.host,
      remedy: 'Set the host’s OS to windows (transport winrm, or ssh with the powershell subsystem).',
    });
  }

  private async elevation(elevate: boolean | undefined): Promise<Elevation> {
    if (!elevate) return 'none';
    if (this.isRoot === null) {
      if (this.opts.username === 'root') this.isRoot = true;
      else {
        const r = await this.run(['id', '-u'], { quiet: true, allowNonZero: true });
        this.isRoot = r.stdout.trim() === '0';
      }
    }
    if (this.isRoot) return 'none';
    return this.opts.sudoPassword !== undefined ? 'sudo-password' : 'sudo-nopasswd';
  }

  private async run(argv: readonly string[], opts: RunOptions): Promise<ExecResult> {
    const client = await this.ready();
    const elevation = await this.elevation(opts.elevate);
    const cmd = buildRemoteCommand(argv, { elevation, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) });
    const started = Date.now();
    if (!opts.quiet) this.log(`exec${elevation === 'none' ? '' : ` (${elevation})`}: ${truncate(argv.join(' '), 300)}`);
    if (opts.signal?.aborted) fail('cancelled', `${this.host}: cancelled before ${argv[0]} started`, { host: this.host });

    let exitCode = null as number | null;
    let exitSignal = null as string | null;
    let closed: Promise<void> = Promise.resolve();
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      try {
        client.exec(cmd.line, (err, ch) => {
          if (err) return reject(err);
          // Attach now, not after an await: open confirmation, exit status and close of a quick
          // command can arrive in one TCP segment and are emitted in the same tick.
          ch.on('exit', (code: number | null, signalName?: string) => {
            exitCode = code;
            exitSignal = signalName ?? null;
          });
          closed = new Promise<void>((done) => ch.once('close', () => done()));
          resolve(ch);
        });
      } catch (e) {
        reject(e);
      }
    }).catch((e: unknown) => fail('unreachable', `${this.host}: cannot open a session channel: ${(e as Error).message}`, { host: this.host }));

    const scanner = new PreludeScanner(cmd.nonce, cmd.sudoPrompt);
    const outDec = new StringDecoder('utf8');
    const errDec = new StringDecoder('utf8');
    let stdout = '';
    let stderr = '';
    let sudoRejected = false;
    let passwordSent = false;
    let stopping = null as 'timeout' | 'cancelled' | null;

    const feedStdin = (): void => {
      if (opts.stdinStream) {
        opts.stdinStream.on('error', () => channel.close());
        opts.stdinStream.pipe(channel);
      } else {
        if (opts.stdin !== undefined && opts.stdin.length > 0) channel.write(opts.stdin);
        channel.end();
      }
    };

    const emitStderr = (s: string): void => {
      if (!s) return;
      stderr += s;
      opts.onStderr?.(s);
    };

    channel.stderr.on('data', (chunk: Buffer) => {
      if (scanner.started) return emitStderr(errDec.write(chunk));
      // Before the start line only sudo and the wrapper speak; both write ASCII.
      const { newPrompts, rest } = scanner.push(chunk.toString('latin1'));
      for (let i = 0; i < newPrompts; i++) {
        if (!passwordSent && this.opts.sudoPassword !== undefined) {
          passwordSent = true;
          channel.write(`${this.opts.sudoPassword}\n`);
        } else {
          // Asked again: the password was wrong. End stdin instead of guessing (lockout).
          sudoRejected = true;
          channel.end();
        }
      }
      if (rest !== undefined) {
        emitStderr(errDec.write(Buffer.from(rest, 'latin1')));
        feedStdin();
      }
    });
    channel.on('data', (chunk: Buffer) => {
      if (opts.onStdoutBytes) return opts.onStdoutBytes(chunk);
      const s = outDec.write(chunk);
      if (!s) return;
      stdout += s;
      opts.onStdout?.(s);
    });

    let timer: NodeJS.Timeout | undefined;
    let killConfirmed = true;
    let giveUp: () => void = () => {};
    const abandoned = new Promise<void>((resolve) => (giveUp = resolve));
    const stop = (why: 'timeout' | 'cancelled'): void => {
      if (stopping) return;
      stopping = why;
      void this.killRemote(channel, () => scanner.started?.pgid ?? null, elevation, closed).then((gone) => {
        killConfirmed = gone;
        // The server keeps a session open while anything holds its pipes: do not wait forever.
        if (!gone) giveUp();
      });
    };
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = (): void => stop('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // An abort while the channel was being opened fired no event for this listener: act on it now.
    if (opts.signal?.aborted) onAbort();

    await Promise.race([closed, abandoned]);
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    emitStderr(errDec.end());
    const tail = outDec.end();
    if (tail) {
      stdout += tail;
      opts.onStdout?.(tail);
    }
    const durationMs = Date.now() - started;
    const prelude = scanner.flush();
    const code = exitCode ?? -1;
    if (!opts.quiet) this.log(`exit ${exitCode ?? `signal ${exitSignal ?? '?'}`} after ${durationMs} ms: ${truncate(argv[0] ?? '', 80)}`);

    const killed = killConfirmed
      ? 'the remote process group was killed'
      : `killing the remote process group${scanner.started ? ` ${scanner.started.pgid}` : ''} could not be confirmed; check the host for leftovers`;
    if (stopping === 'timeout') {
      fail('timeout', `${this.host}: ${argv[0]} did not finish within ${opts.timeoutMs} ms; ${killed}`, {
        host: this.host,
        remedy: 'Raise the step timeout if the host is just slow, or look at what the command waits for.',
        details: { argv0: argv[0], pgid: scanner.started?.pgid, durationMs, killConfirmed },
      });
    }
    if (stopping === 'cancelled') fail('cancelled', `${this.host}: ${argv[0]} cancelled; ${killed}`, { host: this.host, details: { argv0: argv[0], pgid: scanner.started?.pgid, durationMs, killConfirmed } });

    if (!scanner.started) {
      if (scanner.noCwd) fail('not_found', `${this.host}: working directory ${opts.cwd ?? ''} does not exist or is not accessible`, { host: this.host });
      if (elevation !== 'none') this.raiseSudoFailure(prelude, scanner.promptCount, sudoRejected);
      if (exitCode === null) fail('unreachable', `${this.host}: connection lost while starting ${argv[0]}`, { host: this.host });
      fail('command_failed', `${this.host}: could not start ${argv[0]}: ${truncate(prelude.trim(), 500)}`, { host: this.host, exitCode: code });
    }
    if (exitCode === null && exitSignal === null) {
      fail('unreachable', `${this.host}: connection lost while ${argv[0]} was running`, { host: this.host, details: { durationMs } });
    }

    if (code !== 0) {
      const full = detectDiskFull(stderr, stdout);
      if (full) {
        fail('disk_full', `${this.host}: ${argv[0]} failed: no space left on device${full.path ? ` (${full.path})` : ''}`, {
          host: this.host,
          exitCode: code,
          remedy: `Free space on the file system${full.path ? ` holding ${full.path}` : ''} (df -h), then run the step again.`,
          details: { path: full.path },
        });
      }
      if (!(opts.allowNonZero ?? false)) {
        fail('command_failed', `${this.host}: ${argv[0]} exited with ${exitSignal ? `signal ${exitSignal}` : code}${stderr.trim() ? `: ${truncate(lastLines(stderr, 5), 800)}` : ''}`, {
          host: this.host,
          exitCode: code,
          details: { argv0: argv[0], stderrTail: truncate(lastLines(stderr, 20), 4000) },
        });
      }
    }
    return { exitCode: code, stdout, stderr, durationMs };
  }

  private raiseSudoFailure(prelude: string, prompts: number, rejected: boolean): never {
    const user = this.opts.username;
    const problem = rejected ? 'wrong_password' : classifySudoFailure(prelude, prompts);
    const base = { host: this.host, retryable: false, asrErrorId: 95517, details: { sudo: problem } };
    switch (problem) {
      case 'wrong_password':
        return fail('permission_denied', `${this.host}: sudo rejected the password given for ${user}`, {
          ...base,
          remedy: `Correct the sudo password of ${user} (usually the account's own password). Not retried: failed sudo attempts count toward lockout.`,
        });
      case 'password_required':
        return fail('permission_denied', `${this.host}: sudo needs a password for ${user} and none is configured`, {
          ...base,
          remedy: `Give a sudo password for ${user}, allow NOPASSWD in sudoers, or connect as root.`,
        });
      case 'not_allowed':
        return fail('permission_denied', `${this.host}: ${user} may not run commands as root through sudo`, {
          ...base,
          remedy: `Add ${user} to sudoers (e.g. the sudo or wheel group), or use root. ASR push install needs root on Linux.`,
        });
      case 'needs_tty':
        return fail('permission_denied', `${this.host}: sudo on this host requires a terminal (requiretty)`, {
          ...base,
          remedy: `Add "Defaults:${user} !requiretty" to sudoers, or use root.`,
        });
      case 'no_sudo':
        return fail('permission_denied', `${this.host}: sudo is not installed and ${user} is not root`, { ...base, remedy: 'Install sudo or connect as root.' });
      default:
        return fail('permission_denied', `${this.host}: elevation through sudo failed: ${truncate(prelude.trim(), 300) || 'no output'}`, {
          ...base,
          remedy: `Check sudo for ${user} on the host (sudo -l).`,
        });
    }
  }

  /**
   * Kill the command's process group from a second channel: TERM, then KILL after a grace period,
   * then drop the channel. Killing from outside works where a signal request over the channel
   * would reach only the login shell (and OpenSSH before 7.9 ignores those).
   */
  private async killRemote(channel: ClientChannel, pgidOf: () => number | null, elevation: Elevation, closed: Promise<void>): Promise<boolean> {
    const grace = this.opts.killGraceMs;
    // Not started yet (sudo still deciding): end stdin so sudo gives up; a start line that still
    // arrives is handled by the KILL round below.
    if (pgidOf() === null) channel.end();
    const send = async (sig: 'TERM' | 'KILL'): Promise<void> => {
      const pgid = pgidOf();
      if (pgid === null || pgid <= 1) return;
      this.log(`killing remote process group ${pgid} with SIG${sig}`);
      await this.run(['/bin/sh', '-c', 'kill -s "$1" -- "-$2" 2>&1 || kill -s "$1" "$2" 2>&1; true', 'asr-kill', sig, String(pgid)], {
        quiet: true,
        allowNonZero: true,
        elevate: elevation !== 'none',
        timeoutMs: 10_000,
      }).catch((e: unknown) => this.log(`kill ${sig} failed: ${(e as Error).message}`));
    };
    const waitClosed = (ms: number): Promise<boolean> =>
      Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    await send('TERM');
    if (await waitClosed(grace)) return true;
    await send('KILL');
    if (await waitClosed(grace)) return true;
    this.log('the command\'s channel is still open after SIGKILL; dropping it');
    channel.close();
    return false;
  }

  // ---------------------------------------------------------------- transfers

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      this.sftpSession = this.ready().then(
        (client) =>
          new Promise<SFTPWrapper>((resolve, reject) => {
            client.sftp((err, s) => {
              if (err) return reject(err);
              s.on('close', () => {
                if (this.sftpSession && this.sftpSessionValue === s) this.sftpSession = null;
              });
              this.sftpSessionValue = s;
              resolve(s);
            });
          }),
      );
      this.sftpSession.catch(() => {
        this.sftpSession = null;
      });
    }
    return this.sftpSession;
  }
  private sftpSessionValue: SFTPWrapper | null = null;

  /** SHA-256 (hex) of a file on the target; `tool: 'openssl'` forces the fallback used on old hosts. */
  async remoteSha256(remotePath: string, opts: { tool?: 'auto' | 'openssl'; elevate?: boolean } = {}): Promise<string> {
    const r = await this.run(['/bin/sh', '-c', REMOTE_SHA256_SCRIPT, 'asr-sha256', remotePath, opts.tool === 'openssl' ? 'openssl' : 'auto'], {
      quiet: true,
      allowNonZero: true,
      elevate: opts.elevate ?? false,
    });
    const hash = parseSha256Output(r.stdout);
    if (r.exitCode === 3) fail('not_found', `${this.host}: ${remotePath} does not exist or is not readable`, { host: this.host });
    if (r.exitCode === 4) fail('unsupported', `${this.host}: no SHA-256 tool (sha256sum, openssl, shasum) on the host`, { host: this.host, remedy: 'Install coreutils or openssl on the host.' });
    if (!hash) fail('command_failed', `${this.host}: could not hash ${remotePath}: ${truncate(r.stderr.trim(), 300)}`, { host: this.host, exitCode: r.exitCode });
    return hash;
  }

  async upload(localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<UploadResult> {
    const started = Date.now();
    const { size, sha256: localHash } = await checkedLocalFile(this.host, localPath, opts.sha256);
    await this.ready();
    await this.checkFreeSpace(remotePath, size);

    const methods = this.opts.uploadMethods ?? ['sftp-fastput', 'sftp-stream', 'exec-cat'];
    let used: UploadMethod | null = null;
    let lastError: unknown;
    for (const method of methods) {
      try {
        await this.withDeadline(this.transferWith(method, localPath, remotePath, size, opts), opts, `upload of ${posixPath.basename(remotePath)}`);
        used = method;
        break;
      } catch (e) {
        lastError = e;
        const failure = await this.classifyWriteFailure(e, remotePath, size);
        if (failure) {
          await this.removeRemote(remotePath);
          throw failure;
        }
        this.log(`upload via ${method} failed (${(e as Error).message}); trying the next method`);
      }
    }
    if (used === null) {
      await this.removeRemote(remotePath);
      throw lastError instanceof AsrFailure ? lastError : new AsrFailure('command_failed', `${this.host}: upload to ${remotePath} failed with every method: ${(lastError as Error)?.message}`, { host: this.host });
    }

    if (opts.mode !== undefined) await this.run(['chmod', '--', (opts.mode & 0o7777).toString(8), remotePath], { quiet: true });
    const remoteHash = await this.remoteSha256(remotePath);
    if (remoteHash !== localHash) {
      await this.removeRemote(remotePath);
      fail('hash_mismatch', `${this.host}: ${remotePath} has SHA-256 ${remoteHash} after upload, expected ${localHash}; the file was removed`, {
        host: this.host,
        remedy: 'The copy was corrupted on the way or on the target disk. Run the step again; if it repeats, check the target file system and the network path.',
        details: { remotePath, actual: remoteHash, expected: localHash, method: used },
      });
    }
    const durationMs = Date.now() - started;
    this.log(`uploaded ${size} bytes to ${remotePath} via ${used} in ${durationMs} ms (${mbps(size, durationMs)} MB/s), sha256 ${localHash}`);
    return { bytes: size, sha256: localHash, durationMs, method: used };
  }

  private async transferWith(method: UploadMethod, localPath: string, remotePath: string, size: number, opts: TransferOptions): Promise<void> {
    const progress = opts.onProgress;
    if (method === 'exec-cat') {
      // umask keeps the file private until an explicit mode is applied.
      await this.run(['/bin/sh', '-c', 'umask 077; cat > "$1"', 'asr-put', remotePath], { stdinStream: countingReader(localPath, size, progress), quiet: true });
      return;
    }
    const sftp = await this.sftp();
    const mode = opts.mode ?? 0o600;
    const transfer =
      method === 'sftp-fastput'
        ? new Promise<void>((resolve, reject) => {
            sftp.fastPut(localPath, remotePath, { mode, ...(progress ? { step: (done: number, _chunk: number, total: number) => progress(done, total) } : {}) }, (err) =>
              err ? reject(err) : resolve(),
            );
          })
        : pipeline(countingReader(localPath, size, progress), sftp.createWriteStream(remotePath, { mode }));
    // ssh2's fastPut never calls back when the connection drops under it: settle on the close instead.
    await this.orConnectionLost(transfer, sftp, `the upload of ${posixPath.basename(remotePath)}`);
  }

  /** `work`, or `unreachable` (retryable) as soon as the SFTP session or the connection closes. */
  private async orConnectionLost<T>(work: Promise<T>, sftp: SFTPWrapper, what: string): Promise<T> {
    const client = this.client;
    let onClose = (): void => undefined;
    const lost = new Promise<never>((_, reject) => {
      onClose = () => reject(new AsrFailure('unreachable', `${this.host}: the connection was lost during ${what}`, { host: this.host, remedy: 'Check that sshd is running on the host and the network path is up; the step is retried.' }));
    });
    sftp.once('close', onClose);
    client?.once('close', onClose);
    try {
      return await Promise.race([work, lost]);
    } finally {
      sftp.removeListener('close', onClose);
      client?.removeListener('close', onClose);
      work.catch(() => undefined);
    }
  }

  /** Errors that no other method would fix: stop and say why. null means "try the next method". */
  private async classifyWriteFailure(e: unknown, remotePath: string, size: number): Promise<AsrFailure | null> {
    if (e instanceof AsrFailure) {
      if (e.data.code === 'command_failed') return (await this.diskFullAt(remotePath, size)) ?? (/Permission denied/i.test(e.message) ? this.permissionDenied(remotePath) : e);
      return e;
    }
    const code = (e as { code?: unknown }).code;
    if (code === SFTP_PERMISSION_DENIED || /EACCES|permission denied/i.test((e as Error).message)) return this.permissionDenied(remotePath);
    if (code === SFTP_NO_SUCH_FILE) {
      return new AsrFailure('not_found', `${this.host}: the directory ${posixPath.dirname(remotePath)} does not exist`, { host: this.host, remedy: 'Create the staging directory first.' });
    }
    if (code === SFTP_FAILURE || /ENOSPC|No space/i.test((e as Error).message)) return this.diskFullAt(remotePath, size);
    return null;
  }

  private permissionDenied(remotePath: string): AsrFailure {
    return new AsrFailure('permission_denied', `${this.host}: ${this.opts.username} may not write ${remotePath}`, {
      host: this.host,
      retryable: false,
      remedy: `Stage the file in a directory ${this.opts.username} can write (e.g. its home or /tmp), or connect as root.`,
    });
  }

  /** SFTP reports ENOSPC as a bare "Failure"; ask df whether the file system is full. */
  private async diskFullAt(remotePath: string, size: number): Promise<AsrFailure | null> {
    const avail = await this.availableBytes(posixPath.dirname(remotePath));
    if (avail === null || avail >= Math.min(size, 1024 * 1024)) return null;
    return this.diskFull(remotePath, size, avail);
  }

  private diskFull(remotePath: string, size: number, avail: number): AsrFailure {
    const dir = posixPath.dirname(remotePath);
    return new AsrFailure('disk_full', `${this.host}: not enough space in ${dir} for ${remotePath} (${size} bytes needed, ${avail} available)`, {
      host: this.host,
      remedy: `Free at least ${Math.ceil(size / 1024 / 1024)} MB in ${dir} on the host (df -h ${dir}), or stage the file on another file system.`,
      details: { path: dir, needed: size, available: avail },
    });
  }

  private async availableBytes(dir: string): Promise<number | null> {
    const r = await this.run(['df', '-P', '-k', '--', dir], { quiet: true, allowNonZero: true }).catch(() => null);
    return r && r.exitCode === 0 ? parseDfAvailableBytes(r.stdout) : null;
  }

  private async checkFreeSpace(remotePath: string, size: number): Promise<void> {
    const avail = await this.availableBytes(posixPath.dirname(remotePath));
    // A file being replaced frees its own space; only refuse when even that cannot help.
    if (avail !== null && avail < size) {
      const existing = await this.run(['/bin/sh', '-c', 'if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi', 'asr-size', remotePath], { quiet: true, allowNonZero: true }).catch(() => null);
      const old = Number(existing?.stdout.trim() ?? 0) || 0;
      if (avail + old < size) throw this.diskFull(remotePath, size, avail);
    }
  }

  private async removeRemote(remotePath: string): Promise<void> {
    await this.run(['rm', '-f', '--', remotePath], { quiet: true, allowNonZero: true }).catch(() => {});
  }

  async download(remotePath: string, localPath: string, opts: TransferOptions = {}): Promise<void> {
    const started = Date.now();
    await this.ready();
    const partial = `${localPath}.part`;
    let method = 'sftp-fastget';
    try {
      await this.withDeadline(
        (async () => {
          try {
            const sftp = await this.sftp();
            const fetch = new Promise<void>((resolve, reject) => {
              sftp.fastGet(remotePath, partial, opts.onProgress ? { step: (done: number, _c: number, total: number) => opts.onProgress?.(done, total) } : {}, (err) =>
                err ? reject(err) : resolve(),
              );
            });
            await this.orConnectionLost(fetch, sftp, `the download of ${posixPath.basename(remotePath)}`);
          } catch (e) {
            if (e instanceof AsrFailure && e.data.code === 'unreachable') throw e;
            const code = (e as { code?: unknown }).code;
            if (code === SFTP_NO_SUCH_FILE) fail('not_found', `${this.host}: ${remotePath} does not exist`, { host: this.host });
            if (code === SFTP_PERMISSION_DENIED) fail('permission_denied', `${this.host}: ${this.opts.username} may not read ${remotePath}`, { host: this.host, retryable: false });
            method = 'exec-cat';
            this.log(`download via SFTP failed (${(e as Error).message}); using cat over exec`);
            const out = createWriteStream(partial);
            let got = 0;
            try {
              await this.run(['/bin/sh', '-c', 'exec cat < "$1"', 'asr-get', remotePath], {
                quiet: true,
                onStdoutBytes: (chunk) => {
                  out.write(chunk);
                  got += chunk.length;
                  opts.onProgress?.(got, got);
                },
              });
            } finally {
              await new Promise<void>((r) => out.end(() => r()));
            }
          }
        })(),
        opts,
        `download of ${posixPath.basename(remotePath)}`,
      );
      const [localHash, remoteHash] = await Promise.all([sha256File(partial), this.remoteSha256(remotePath)]);
      const expected = opts.sha256?.toLowerCase() ?? remoteHash;
      if (localHash !== remoteHash || localHash !== expected) {
        fail('hash_mismatch', `${this.host}: downloaded ${remotePath} has SHA-256 ${localHash}, expected ${expected}`, {
          host: this.host,
          details: { remotePath, actual: localHash, remote: remoteHash, expected },
        });
      }
      await rename(partial, localPath);
      const size = (await stat(localPath)).size;
      this.log(`downloaded ${size} bytes from ${remotePath} via ${method} in ${Date.now() - started} ms`);
    } catch (e) {
      await rm(partial, { force: true });
      if (e instanceof AsrFailure) throw e;
      throw new AsrFailure('command_failed', `${this.host}: download of ${remotePath} failed: ${(e as Error).message}`, { host: this.host });
    }
  }

  /** Bound a transfer by `timeoutMs` and `signal`: the SFTP session is torn down to stop it. */
  private async withDeadline<T>(work: Promise<T>, opts: TransferOptions, what: string): Promise<T> {
    if (opts.timeoutMs === undefined && !opts.signal) return work;
    if (opts.signal?.aborted) fail('cancelled', `${this.host}: ${what} cancelled`, { host: this.host });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopper = new Promise<never>((_, reject) => {
      const stop = (f: AsrFailure): void => {
        this.sftpSessionValue?.end();
        this.sftpSession = null;
        reject(f);
      };
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => stop(new AsrFailure('timeout', `${this.host}: ${what} did not finish within ${opts.timeoutMs} ms`, { host: this.host })), opts.timeoutMs);
      }
      if (opts.signal) {
        onAbort = () => stop(new AsrFailure('cancelled', `${this.host}: ${what} cancelled`, { host: this.host }));
        opts.signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([work, stopper]);
    } finally {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      work.catch(() => {});
    }
  }
}

/** Which single method this credential gets; null when the server offers none it can use. */
export function chooseAuthMethod(auth: SshAuth, offered: readonly string[]): 'publickey' | 'agent' | 'password' | 'keyboard-interactive' | null {
  if ('privateKey' in auth) return offered.includes('publickey') ? 'publickey' : null;
  if ('agent' in auth) return offered.includes('publickey') ? 'agent' : null;
  const order: Array<'password' | 'keyboard-interactive'> = auth.method === 'keyboard-interactive' ? ['keyboard-interactive', 'password'] : ['password', 'keyboard-interactive'];
  return order.find((m) => offered.includes(m)) ?? null;
}

/** The file as a stream that reports progress as it is consumed (a 'data' listener would start it flowing early). */
function countingReader(path: string, size: number, progress?: (sent: number, total: number) => void): Readable {
  const source = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!progress) return source;
  let sent = 0;
  return source.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        progress(sent, size);
        cb(null, chunk);
      },
    }),
  );
}





