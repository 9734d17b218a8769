/**
 * How the engine reaches one host. SSH (ssh2) and PowerShell remoting (node-powershell → pwsh)
 * implement the same contract, so plan/apply, facts and checks never care which one is in use.
 * Modelled on Ansible's ConnectionBase: connect, exec, put, fetch, close.
 */
export interface Transport {
  readonly kind: 'ssh' | 'powershell';
  /** Host label used in errors and logs (inventory name). */
  readonly host: string;
  /** A sudo password is configured: `elevate` runs through `sudo -S` with it on stdin (SSH). */
  readonly sudoWithPassword?: boolean;
  connect(opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Run a program with arguments passed as data. The implementation quotes them with its shell's
   * one quoting helper; callers never build command strings from untrusted values.
   */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Copy a local file to `remotePath`, then verify its SHA-256 on the target. */
  upload(localPath: string, remotePath: string, opts?: TransferOptions): Promise<UploadResult>;
  download(remotePath: string, localPath: string, opts?: TransferOptions): Promise<void>;
  close(): Promise<void>;
}

export interface ExecOptions {
  /** Bytes written to the program's stdin, then stdin is closed: the only way secrets travel. */
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
  /** Return a non-zero exit instead of raising `command_failed` (default false: non-zero throws). */
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
  /** How the bytes went: sftp-fastput, sftp-stream, copy-item. */
  method: string;
}

/** Diagnostic lines (negotiated algorithms, auth methods offered) go to the host's log. */
export type TransportLog = (line: string) => void;
