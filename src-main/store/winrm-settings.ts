import type { Host } from '../model/host.ts';
import { nowIso } from './db.ts';
import type { SettingsRepository } from './settings.ts';

/** WinRM authentication mechanisms; Negotiate is the default (Kerberos, else NTLM). */
export const WINRM_AUTH = ['Negotiate', 'Kerberos', 'CredSSP', 'Basic'] as const;
export type WinrmAuth = (typeof WINRM_AUTH)[number];

/**
 * How PowerShell remoting reaches one Windows host when it is not the secure default (Negotiate
 * over HTTPS 5986). Written only by the operator's `hosts winrm` command (journalled), never by an
 * import, `hosts add`, discovery evidence or the wizard's host rows.
 */
export interface WinrmSettings {
  auth: WinrmAuth;
  useSsl: boolean;
  setAt: string;
}

const key = (hostId: string) => `winrm/${hostId}`;

export function winrmSettings(settings: SettingsRepository, host: Pick<Host, 'id'>): WinrmSettings {
  const s = settings.get<Partial<WinrmSettings>>(key(host.id));
  return {
    auth: WINRM_AUTH.includes(s?.auth as WinrmAuth) ? (s!.auth as WinrmAuth) : 'Negotiate',
    useSsl: s?.useSsl !== false,
    setAt: s?.setAt ?? '',
  };
}

export function setWinrmSettings(settings: SettingsRepository, host: Pick<Host, 'id'>, value: Omit<WinrmSettings, 'setAt'>): WinrmSettings {
  const v = { ...value, setAt: nowIso() };
  if (v.auth === 'Negotiate' && v.useSsl) settings.delete(key(host.id));
  else settings.set(key(host.id), v);
  return v;
}

/** What an operator is told when choosing a setting weaker than Negotiate over HTTPS. */
export function winrmWarnings(s: Pick<WinrmSettings, 'auth' | 'useSsl'>): string[] {
  const w: string[] = [];
  if (!s.useSsl) w.push('WinRM over HTTP (5985): no certificate authenticates the host and no pin applies; only Negotiate/Kerberos message encryption protects the session.');
  if (s.auth === 'Basic') w.push('Basic authentication sends the password itself to the host on every connection (inside TLS); prefer Negotiate.');
  if (s.auth === 'CredSSP') w.push('CredSSP delegates the full credential to the host, which can then use it against other machines; use it only where a second hop is needed.');
  return w;
}
