/** WinRM authentication mechanisms; Negotiate is the default (Kerberos, else NTLM). */
export const WINRM_AUTH = ['Negotiate', 'Kerberos', 'CredSSP', 'Basic'] as const;
export type WinrmAuth = (typeof WINRM_AUTH)[number];

/**
 * How PowerShell remoting reaches one Windows host when it is not the secure default (Negotiate
 * over HTTPS 5986). Written only by the operator's `hosts winrm` command (journalled), never by an
 * import, `hosts add`, discovery evidence or the wizard's host rows. Kept in `settings` under
 * `winrmSettingsKey(host id)`.
 */
export interface WinrmSettings {
  auth: WinrmAuth;
  useSsl: boolean;
  setAt: string;
}

export const winrmSettingsKey = (hostId: string): string => `winrm/${hostId}`;

/** A stored value (or nothing) as settings; anything unknown falls back to the secure default. */
export function parseWinrmSettings(s: Partial<WinrmSettings> | undefined): WinrmSettings {
  return {
    auth: WINRM_AUTH.includes(s?.auth as WinrmAuth) ? (s!.auth as WinrmAuth) : 'Negotiate',
    useSsl: s?.useSsl !== false,
    setAt: s?.setAt ?? '',
  };
}

/** What an operator is told when choosing a setting weaker than Negotiate over HTTPS. */
export function winrmWarnings(s: Pick<WinrmSettings, 'auth' | 'useSsl'>): string[] {
  const w: string[] = [];
  if (!s.useSsl)
    w.push(
      'WinRM over HTTP (5985): no certificate authenticates the host and no pin applies; only Negotiate/Kerberos message encryption protects the session.',
    );
  if (s.auth === 'Basic') w.push('Basic authentication sends the password itself to the host on every connection (inside TLS); prefer Negotiate.');
  if (s.auth === 'CredSSP')
    w.push('CredSSP delegates the full credential to the host, which can then use it against other machines; use it only where a second hop is needed.');
  return w;
}
