import type { Algorithms, Client } from 'ssh2';
import type { TransportLog } from '../transport.ts';

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
  /** Recipes may stream a .tar.gz installer into tar on the target (uploadUnpacked); off when an upload method was chosen. */
  unpackUploads?: boolean;
  /** Between SIGTERM and SIGKILL of a timed-out or cancelled command. */
  killGraceMs?: number;
}

export const DEFAULTS = {
  port: 22,
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 20_000,
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  killGraceMs: 2_000,
};

export type ResolvedSshOptions = SshTransportOptions & typeof DEFAULTS;

/** What the layers under the façade (exec, transfers) share: the host, its options, its log and the connection. */
export interface SshContext {
  readonly host: string;
  readonly opts: ResolvedSshOptions;
  log(line: string): void;
  /** The connected client, connecting first when needed. */
  ready(): Promise<Client>;
  /** The client of the moment, if any (a transfer watches it for a lost connection). */
  current(): Client | null;
}
