import type { Client } from 'ssh2';
import { fail } from '../../model/errors.ts';
import type { ExecOptions, ExecResult, TransferOptions, Transport, TransportCapabilities, UploadResult } from '../transport.ts';
import { stripUndefined } from '../text.ts';
import { openSshConnection, logDiagnostics } from './connect.ts';
import { newDiagnostics, type ConnectionDiagnostics } from './connection-diagnostics.ts';
import { SshExec } from './exec.ts';
import { SudoPrivilege } from './privilege.ts';
import { SftpTransfers } from './sftp-transfer.ts';
import { DEFAULTS, type ResolvedSshOptions, type SshContext, type SshTransportOptions } from './ssh-options.ts';

export { chooseAuthMethod } from './connect.ts';
export type { SshAuth, SshTransportOptions, UploadMethod } from './ssh-options.ts';

/**
 * The Transport over SSH (ssh2), a façade over its layers: connect.ts (TCP, host key pin, one
 * authentication attempt), exec.ts (one command per channel, kill by process group), privilege.ts
 * (sudo above the connection, as Ansible keeps `become`), sftp-transfer.ts (verified transfers).
 * It owns the connection: connects lazily, once at a time, and forgets it when it closes.
 */
export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  /** No PowerShell scripts (Linux targets run resources/scripts/linux through exec); run-step.sh detaches installers; sudo; POSIX modes. */
  readonly capabilities: TransportCapabilities;
  /** Linux recipes stage in the paths they name (/tmp/asr-deploy-JOB); the target's TMPDIR is not asked. */
  readonly remoteTemp = null;
  readonly host: string;
  private readonly opts: ResolvedSshOptions;
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private readonly privilege: SudoPrivilege;
  private readonly runner: SshExec;
  private readonly transfers: SftpTransfers;
  /** Facts of the last connection attempt; exposed for `trust`/diagnostics screens. */
  diagnostics: ConnectionDiagnostics = newDiagnostics();
  /** Milliseconds from TCP connect start to authenticated session, of the last connect. */
  loginMs: number | null = null;

  constructor(options: SshTransportOptions) {
    this.host = options.host;
    this.opts = { ...DEFAULTS, ...stripUndefined(options) } as ResolvedSshOptions;
    this.capabilities = { scripts: false, detachedSteps: true, sudo: true, fileAcls: false, unpackUpload: this.opts.unpackUploads !== false };
    const ctx: SshContext = { host: this.host, opts: this.opts, log: (l) => this.log(l), ready: () => this.ready(), current: () => this.client };
    this.privilege = new SudoPrivilege(this.host, this.opts.username, this.opts.sudoPassword);
    this.runner = new SshExec(ctx, this.privilege);
    this.transfers = new SftpTransfers(ctx, this.runner.run);
  }

  get sudoWithPassword(): boolean {
    return this.privilege.withPassword;
  }

  private log(line: string): void {
    this.opts.log?.(`[ssh ${this.host}] ${line}`);
  }

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
    const started = Date.now();
    const diag = (this.diagnostics = newDiagnostics());
    const { client, authTried } = await openSshConnection(this.host, this.opts, diag, (l) => this.log(l), signal);
    this.loginMs = Date.now() - started;
    logDiagnostics(diag, (l) => this.log(l));
    this.log(`connected as ${this.opts.username} via ${authTried ?? 'none'} in ${this.loginMs} ms`);
    this.client = client;
    client.on('error', (e: Error) => this.log(`connection error: ${e.message}`));
    client.on('close', () => {
      if (this.client === client) {
        this.client = null;
        this.transfers.reset();
        if (!this.closed) this.log('connection closed by the server or the network');
      }
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
    this.transfers.reset();
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

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.runner.run(argv, opts);
  }

  /** PowerShell scripts need a PowerShell session (capabilities.scripts is false here). */
  async runScript<T = unknown>(_script: string, _params?: Record<string, unknown>, opts: { what?: string } = {}): Promise<T> {
    return fail('unsupported', `${this.host}: ${opts.what ?? 'a PowerShell script'} needs PowerShell remoting; this host is reached over SSH as Linux.`, {
      host: this.host,
      remedy: 'Set the host’s OS to windows (transport winrm, or ssh with the powershell subsystem).',
    });
  }

  upload(localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<UploadResult> {
    return this.transfers.upload(localPath, remotePath, opts);
  }

  uploadUnpacked(localTarGz: string, remoteDir: string, opts: TransferOptions = {}): Promise<UploadResult> {
    return this.transfers.uploadUnpacked(localTarGz, remoteDir, opts);
  }

  download(remotePath: string, localPath: string, opts: TransferOptions = {}): Promise<void> {
    return this.transfers.download(remotePath, localPath, opts);
  }

  /** SHA-256 (hex) of a file on the target (openssl first, REMOTE_SHA256_SCRIPT); `tool` forces one tool (tests). */
  remoteSha256(remotePath: string, opts: { tool?: 'auto' | 'openssl' | 'sha256sum'; elevate?: boolean } = {}): Promise<string> {
    return this.transfers.remoteSha256(remotePath, opts);
  }
}
