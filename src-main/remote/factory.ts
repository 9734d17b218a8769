import { fail } from '../model/errors.ts';
import type { Host } from '../model/host.ts';
import { parseWinrmSettings, type WinrmSettings } from '../model/winrm.ts';
import { PowerShellTransport } from './powershell/powershell-transport.ts';
import { SshTransport } from './ssh/ssh-transport.ts';
import type { Transport, TransportLog } from './transport.ts';

/** A credential as plain data (the store's CredentialSecret has this shape); remote/ never reads the store. */
export interface TransportCredential {
  user: string;
  kind: 'password' | 'key';
  password?: string;
  privateKey?: string;
  passphrase?: string;
  sudoPassword?: string;
}

/** Everything the factory needs, read by the caller (deploy/connect.ts) from the inventory, the secret store and the trust store. */
export interface TransportTarget {
  host: Pick<Host, 'name' | 'address' | 'os' | 'transport' | 'port'>;
  credential: TransportCredential;
  /** The pinned fingerprint for `pinNeeded(host)` (SSH host key `SHA256:…`, or the certificate's SHA-256), null when none is pinned. */
  pin: string | null;
  /** The operator's `hosts winrm` setting (model/winrm.ts); absent means Negotiate over HTTPS. */
  winrm?: Partial<WinrmSettings>;
}

export interface TransportOptions {
  log?: TransportLog;
  /** Over SSH: `tar-stream` (default: recipes may stream a .tar.gz into tar; other files as `sftp`), `sftp` (fastPut, then an SFTP stream, then cat over exec) or `exec-cat` first; the last two stage a tarball as a file. */
  uploadMethod?: 'sftp' | 'exec-cat' | 'tar-stream';
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
}

/** How a host is reached: SSH for Linux; PowerShell remoting for Windows, over WinRM or over SSH (the powershell subsystem). */
export function transportKind(host: Pick<Host, 'os' | 'transport'>): 'ssh' | 'powershell-ssh' | 'winrm' {
  if (host.transport === 'winrm' || host.os === 'windows') return host.transport === 'ssh' ? 'powershell-ssh' : 'winrm';
  return 'ssh';
}

/** Which pin the connection is checked against: the SSH host key on the SSH port, or the WinRM certificate on 5986. */
export function pinNeeded(host: Pick<Host, 'os' | 'transport' | 'port'>): { kind: 'ssh' | 'tls'; port: number } {
  return transportKind(host) === 'winrm' ? { kind: 'tls', port: host.port ?? 5986 } : { kind: 'ssh', port: host.port ?? 22 };
}

/**
 * The one transport factory. No pin: SSH refuses the host at connect (strict bulk runs), PowerShell
 * over SSH refuses it here, WinRM leaves the certificate to the workstation's CA and name checks.
 * WinRM authentication and HTTP/HTTPS come only from the operator's setting, never from a host's
 * evidence or an imported file.
 */
export function createTransport(target: TransportTarget, opts: TransportOptions = {}): Transport {
  const { host, credential: secret, pin } = target;
  const kind = transportKind(host);
  if (kind === 'ssh') {
    return new SshTransport({
      host: host.name,
      address: host.address,
      port: host.port ?? 22,
      username: secret.user,
      auth:
        secret.kind === 'key'
          ? { privateKey: secret.privateKey!, ...(secret.passphrase ? { passphrase: secret.passphrase } : {}) }
          : { password: secret.password! },
      ...(secret.sudoPassword ? { sudoPassword: secret.sudoPassword } : {}),
      expectedHostKey: pin,
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      ...(opts.handshakeTimeoutMs ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {}),
      ...(opts.uploadMethod === 'exec-cat' ? { uploadMethods: ['exec-cat', 'sftp-fastput', 'sftp-stream'] as const } : {}),
      // An explicit file upload method stages the tarball as a file; tar-stream (the default) may unpack from the stream.
      ...(opts.uploadMethod === 'sftp' || opts.uploadMethod === 'exec-cat' ? { unpackUploads: false } : {}),
    });
  }
  const common = {
    host: host.name,
    address: host.address,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.connectTimeoutMs || opts.handshakeTimeoutMs ? { openTimeoutMs: (opts.connectTimeoutMs ?? 10_000) + (opts.handshakeTimeoutMs ?? 20_000) } : {}),
  };
  if (kind === 'powershell-ssh') {
    if (secret.kind !== 'key' || !secret.privateKey)
      fail('validation', `${host.name}: PowerShell remoting over SSH needs a key credential.`, {
        host: host.name,
        remedy: 'Assign a key credential, or reach the host over WinRM.',
      });
    if (!pin)
      fail('host_key_unknown', `${host.name}: no pinned SSH host key.`, {
        host: host.name,
        remedy: `asr-deploy trust scan ${host.name} then trust approve ${host.name}`,
      });
    return new PowerShellTransport({
      ...common,
      connection: { kind: 'ssh', port: host.port ?? 22, user: secret.user, privateKey: secret.privateKey, hostKeyFingerprint: pin },
    });
  }
  if (secret.kind !== 'password' || !secret.password)
    fail('validation', `${host.name}: WinRM needs a user name and password credential.`, {
      host: host.name,
      remedy: 'asr-deploy credentials add NAME --user DOMAIN\\\\user --password-stdin',
    });
  const winrm = parseWinrmSettings(target.winrm);
  return new PowerShellTransport({
    ...common,
    // Over HTTP no certificate is presented, so no pin applies.
    connection: {
      kind: 'winrm',
      port: host.port ?? 5986,
      useSsl: winrm.useSsl,
      auth: winrm.auth,
      user: secret.user,
      password: secret.password,
      certificatePin: winrm.useSsl ? pin : null,
    },
  });
}
