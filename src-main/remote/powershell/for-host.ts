import { fail } from '../../model/errors.ts';
import type { Host } from '../../model/host.ts';
import type { CredentialSecret } from '../../store/credentials.ts';
import type { Store } from '../../store/store.ts';
import type { TransportLog } from '../transport.ts';
import { PowerShellTransport } from './powershell-transport.ts';
import { parseWinrmSettings, winrmSettingsKey, type WinrmSettings } from '../../model/winrm.ts';

/**
 * The PowerShell transport for an inventory host (called from deploy/connect.ts `transportFor`):
 * - transport `winrm`: WinRM HTTPS 5986 with the credential's password; the certificate pinned in
 *   the trust store (`trust approve HOST:5986`) when there is one, else validated by the workstation;
 *   authentication and HTTP/HTTPS only from the operator's `hosts winrm` setting (model/winrm.ts:
 *   Negotiate over HTTPS unless chosen), never from a host's evidence or an imported file;
 * - a Windows host with transport `ssh`: PowerShell remoting over SSH (Windows OpenSSH with the
 *   powershell subsystem), key credential, the pinned host key.
 */
export function powerShellTransportFor(store: Store, host: Host, secret: CredentialSecret, opts: { log?: TransportLog; connectTimeoutMs?: number; handshakeTimeoutMs?: number } = {}): PowerShellTransport {
  const common = {
    host: host.name,
    address: host.address,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.connectTimeoutMs || opts.handshakeTimeoutMs ? { openTimeoutMs: (opts.connectTimeoutMs ?? 10_000) + (opts.handshakeTimeoutMs ?? 20_000) } : {}),
  };
  if (host.transport === 'ssh') {
    if (secret.kind !== 'key' || !secret.privateKey) fail('validation', `${host.name}: PowerShell remoting over SSH needs a key credential.`, { host: host.name, remedy: 'Assign a key credential, or reach the host over WinRM.' });
    const port = host.port ?? 22;
    const pin = store.trust.get(host.address, port, 'ssh') ?? (host.name !== host.address ? store.trust.get(host.name, port, 'ssh') : undefined);
    if (!pin) fail('host_key_unknown', `${host.name}: no pinned SSH host key.`, { host: host.name, remedy: `asr-deploy trust scan ${host.name} then trust approve ${host.name}` });
    return new PowerShellTransport({ ...common, connection: { kind: 'ssh', port, user: secret.user, privateKey: secret.privateKey, hostKeyFingerprint: pin.fingerprint } });
  }
  if (secret.kind !== 'password' || !secret.password) fail('validation', `${host.name}: WinRM needs a user name and password credential.`, { host: host.name, remedy: 'asr-deploy credentials add NAME --user DOMAIN\\\\user --password-stdin' });
  const port = host.port ?? 5986;
  const pin = store.trust.get(host.address, port, 'tls') ?? (host.name !== host.address ? store.trust.get(host.name, port, 'tls') : undefined);
  const winrm = parseWinrmSettings(store.settings.get<Partial<WinrmSettings>>(winrmSettingsKey(host.id)));
  return new PowerShellTransport({
    ...common,
    // Over HTTP no certificate is presented, so no pin applies.
    connection: { kind: 'winrm', port, useSsl: winrm.useSsl, auth: winrm.auth, user: secret.user, password: secret.password, certificatePin: winrm.useSsl ? (pin?.fingerprint ?? null) : null },
  });
}
