import type { PsValue } from './powershell/quote-ps.ts';

/**
 * How the engine reaches one host. SSH (ssh2) and PowerShell remoting (node-powershell → pwsh)
 * implement the same contract, so plan/apply, facts and checks never care which one is in use.
 * Modelled on Ansible's ConnectionBase: connect, exec, put, fetch, close, plus capability flags a
 * caller reads instead of asking which class it holds.
 * test/integration/remote/transport-contract.test.ts runs the same cases against both.
 */
export interface Transport {
  readonly kind: 'ssh' | 'powershell';
  /** Host label used in errors and logs (inventory name). */
  readonly host: string;
  /** What this transport can do; callers branch on these, never on the class. */
  readonly capabilities: TransportCapabilities;
  /** A sudo password is configured: `elevate` runs through `sudo -S` with it on stdin (SSH). */
  readonly sudoWithPassword?: boolean;
  /** The target's temporary folder once connected (the PowerShell session's TEMP); null when not known. */
  readonly remoteTemp: string | null;
  connect(opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Run a program with arguments passed as data. The implementation quotes them with its shell's
   * one quoting helper; callers never build command strings from untrusted values.
   * A non-zero exit raises `command_failed` (with `exitCode`) unless `allowNonZero: true` is
   * given, on both transports. A program that is not on the host raises `not_found` (SSH: the
   * shell's exit 127, unless allowNonZero; PowerShell: before anything runs, whatever allowNonZero).
   */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Run one of our PowerShell scripts (resources/scripts/windows/*.ps1) with named parameters as
   * data and secrets through the stdin channel; returns the JSON document the script prints.
   * Only when `capabilities.scripts`; otherwise it raises `unsupported`.
   */
  runScript<T = unknown>(script: string, params?: Record<string, PsValue>, opts?: ScriptOptions): Promise<T>;
  /** Copy a local file to `remotePath`, then verify its SHA-256 on the target. */
  upload(localPath: string, remotePath: string, opts?: TransferOptions): Promise<UploadResult>;
  /**
   * Stream a local .tar.gz into `remoteDir` (made fresh), unpacked on the target and hashed from the
   * same bytes there, the tarball never written (SSH only; absent where the transport cannot).
   */
  uploadUnpacked?(localTarGz: string, remoteDir: string, opts?: TransferOptions): Promise<UploadResult>;
  /** Copy `remotePath` to `localPath` (through `localPath.part`), verified against the target's SHA-256. */
  download(remotePath: string, localPath: string, opts?: TransferOptions): Promise<void>;
  close(): Promise<void>;
}

/** Capability flags (Ansible's `has_pipelining` style): fixed per transport kind. */
export interface TransportCapabilities {
  /** `runScript`: PowerShell scripts with parameters as data (PowerShell remoting only). */
  readonly scripts: boolean;
  /** An installer step can run detached from the session and outlive it (run-step.sh / run-step.ps1), so `jobs resume` re-attaches. */
  readonly detachedSteps: boolean;
  /** `exec({ elevate: true })` elevates through sudo (-S with the credential's sudo password when one is set). */
  readonly sudo: boolean;
  /** Staged files get Windows ACLs (prepare-staging.ps1, write-secret-file.ps1) rather than POSIX modes (`TransferOptions.mode`). */
  readonly fileAcls: boolean;
  /** A .tar.gz installer can be streamed and unpacked on the target (`uploadUnpacked`), not staged as a file first. */
  readonly unpackUpload?: boolean;
}

export interface ScriptOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Named secrets: reach the script as parameters through the stdin channel, never in any script text. */
  secrets?: Record<string, string>;
  /** What the call is, for errors and logs. */
  what?: string;
}

export interface ExecOptions {
  /**
   * Written to the program's stdin, then stdin is closed: the only way secrets travel. Over
   * PowerShell stdin and stdout are text lines (its native-command pipeline ends the last one
   * with a newline); newline-terminated text gives the same result on both transports.
   */
  stdin?: string | Buffer;
  /** Wall-clock bound in ms; on expiry the remote command is killed and `timeout` is raised. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Run with elevation (sudo -S on Linux when not root); the sudo password is fed on stdin. */
  elevate?: boolean;
  /** Working directory on the target. */
  cwd?: string;
  /** Extra environment (names are validated; values quoted). */
  env?: Record<string, string>;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Return a non-zero exit instead of raising `command_failed` (default false: non-zero throws, on both transports). */
  allowNonZero?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface TransferOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Expected SHA-256 (hex); when given the target's hash must equal it. */
  sha256?: string;
  mode?: number;
}

export interface UploadResult {
  bytes: number;
  sha256: string;
  durationMs: number;
  /** How the bytes went: sftp-fastput, sftp-stream, exec-cat, tar-stream, copy-item, … */
  method: string;
}

/** Diagnostic lines (negotiated algorithms, auth methods offered) go to the host's log. */
export type TransportLog = (line: string) => void;
