import { fail } from '../model/errors.ts';
import type { Host } from '../model/host.ts';
import { winrmSettingsKey, type WinrmSettings } from '../model/winrm.ts';
import { createTransport, pinNeeded, type TransportOptions } from '../remote/factory.ts';
import type { Transport } from '../remote/transport.ts';
import type { CredentialSecret } from '../store/credentials.ts';
import type { Store } from '../store/store.ts';

export type ConnectOptions = TransportOptions;

/** The secrets a host's connection uses, so its log can redact them. */
export function hostSecrets(store: Store, host: Host): CredentialSecret | null {
  if (!host.credential) return null;
  return store.credentials.secret(host.credential);
}

/**
 * Builds the transport for an inventory host: this is where the store is read (the credential
 * from the secret store, the pin from the trust store, the operator's WinRM setting) and handed
 * to remote/factory.ts as plain data. No pin means the host is refused (strict bulk runs).
 */
export function transportFor(store: Store, host: Host, secret: CredentialSecret | null, opts: ConnectOptions = {}): Transport {
  if (!host.credential || !secret) {
    fail('validation', `No credential is assigned to ${host.name}.`, { host: host.name, remedy: `asr-deploy hosts add ${host.address} --credential NAME` });
  }
  const need = pinNeeded(host);
  const pin = store.trust.pinFor(host, need.port, need.kind)?.fingerprint ?? null;
  const winrm = need.kind === 'tls' ? store.settings.get<Partial<WinrmSettings>>(winrmSettingsKey(host.id)) : undefined;
  return createTransport({ host, credential: secret, pin, ...(winrm ? { winrm } : {}) }, opts);
}
