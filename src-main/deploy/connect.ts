import { fail } from '../model/errors.ts';
import type { Host } from '../model/host.ts';
import { powerShellTransportFor } from '../remote/powershell/for-host.ts';
import { SshTransport } from '../remote/ssh/ssh-transport.ts';
import type { Transport, TransportLog } from '../remote/transport.ts';
import type { CredentialSecret } from '../store/credentials.ts';
import type { Store } from '../store/store.ts';

export interface ConnectOptions {
  log?: TransportLog;
  /** Upload order: `sftp` (fastPut, then an SFTP stream, then cat over exec) or `exec-cat` first. */
  uploadMethod?: 'sftp' | 'exec-cat';
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
}

/** The secrets a host's connection uses, so its log can redact them. */
export function hostSecrets(store: Store, host: Host): CredentialSecret | null {
  if (!host.credential) return null;
  return store.credentials.secret(host.credential);
}

/**
 * Builds the transport for an inventory host: its credential from the secret store and its
 * pinned host key from the trust store. No pin means the host is refused (strict bulk runs).
 */
export function transportFor(store: Store, host: Host, secret: CredentialSecret | null, opts: ConnectOptions = {}): Transport {
  if (!host.credential || !secret) {
    fail('validation', `No credential is assigned to ${host.name}.`, { host: host.name, remedy: `asr-deploy hosts add ${host.address} --credential NAME` });
  }
  if (host.transport === 'winrm' || host.os === 'windows') return powerShellTransportFor(store, host, secret, opts);
  const port = host.port ?? 22;
  const pin = store.trust.get(host.address, port, 'ssh') ?? (host.name !== host.address ? store.trust.get(host.name, port, 'ssh') : undefined);
  return new SshTransport({
    host: host.name,
    address: host.address,
    port,
    username: secret.user,
    auth: secret.kind === 'key' ? { privateKey: secret.privateKey!, ...(secret.passphrase ? { passphrase: secret.passphrase } : {}) } : { password: secret.password! },
    ...(secret.sudoPassword ? { sudoPassword: secret.sudoPassword } : {}),
    expectedHostKey: pin?.fingerprint ?? null,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.handshakeTimeoutMs ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {}),
    ...(opts.uploadMethod === 'exec-cat' ? { uploadMethods: ['exec-cat', 'sftp-fastput', 'sftp-stream'] as const } : {}),
  });
}
