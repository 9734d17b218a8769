import { fail } from '../../model/errors.ts';
import { RELAY_HOST } from './pin-relay.ts';
import { psQuote } from './quote-ps.ts';

import { WINRM_AUTH, type WinrmAuth } from '../../model/winrm.ts';

/** WinRM authentication mechanisms we offer; Negotiate is the default (Kerberos, else NTLM). */
export const PS_AUTH = WINRM_AUTH;
export type PsAuth = WinrmAuth;

export type PsEndpoint =
  | {
      kind: 'winrm';
      address: string;
      /** 5986 (HTTPS) by default. */
      port: number;
      useSsl: boolean;
      auth: PsAuth;
      /**
       * `validate`: the certificate must chain to a CA the workstation trusts and name the host (no Skip flags);
       * `relay`: the address is our pin relay on 127.0.0.1 (pin-relay.ts), which checks the host's certificate
       * against the pin on every connection it forwards; only its throw-away loopback certificate goes unchecked.
       */
      certificate: 'validate' | 'relay';
      user: string;
      /** Milliseconds; WinRM's own bound on one operation (ours is the wall clock around it). */
      operationTimeoutMs: number;
      openTimeoutMs: number;
      /** Remote sessions we leave behind die after this long without a client (WinRM minimum 60 s). */
      idleTimeoutMs: number;
    }
  | {
      kind: 'ssh';
      address: string;
      port: number;
      user: string;
      keyFilePath: string;
      knownHostsPath: string;
      openTimeoutMs: number;
    };

/**
 * The local script that opens the PSSession (run inside the local pwsh/powershell.exe, never on a
 * shell command line). The password is not in it: it was written to the process's stdin just
 * before and sits in `$global:__asrSecret` (decoded there); the script turns it into a
 * SecureString, builds the PSCredential and clears the variable, whatever happens.
 *
 * Rules enforced here, not left to callers: Basic only over HTTPS; CredSSP only when chosen
 * (it is never a fallback); relaxed CA/CN checks only towards the loopback pin relay, never
 * towards a remote address.
 */
export function sessionOpenScript(ep: PsEndpoint, sessionName: string, opts: { keepCredential?: boolean } = {}): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(sessionName)) fail('internal', `bad session name ${sessionName}`);
  if (ep.kind === 'ssh') {
    // ssh options are data in a hashtable; BatchMode keeps ssh from ever prompting (a prompt would hang the job).
    const options = [
      `StrictHostKeyChecking=${psQuote('yes')}`,
      `UserKnownHostsFile=${psQuote(ep.knownHostsPath)}`,
      `GlobalKnownHostsFile=${psQuote('/dev/null')}`,
      `BatchMode=${psQuote('yes')}`,
      `ConnectTimeout=${psQuote(String(Math.max(1, Math.ceil(ep.openTimeoutMs / 1000))))}`,
      `ServerAliveInterval=${psQuote('15')}`,
      `ServerAliveCountMax=${psQuote('3')}`,
    ].join(';');
    return [
      `$global:__asrSecret = $null`,
      `$global:__asrSession = New-PSSession -HostName ${psQuote(ep.address)} -Port ${int(ep.port)} -UserName ${psQuote(ep.user)} -KeyFilePath ${psQuote(ep.keyFilePath)} -Name ${psQuote(sessionName)} -ConnectingTimeout ${int(ep.openTimeoutMs)} -Options @{${options}} -ErrorAction Stop`,
    ].join('\n');
  }
  if (ep.auth === 'Basic' && !ep.useSsl) {
    fail('validation', 'Basic authentication sends the password in clear text: it is only allowed over HTTPS (port 5986, -UseSSL).', {
      remedy: 'Use Negotiate or Kerberos, or configure a WinRM HTTPS listener on the host.',
    });
  }
  if (ep.certificate === 'relay' && (!ep.useSsl || ep.address !== RELAY_HOST))
    fail('internal', `CA and name checks are only relaxed towards the pin relay on ${RELAY_HOST}, not ${ep.address}.`);
  const option = [
    'New-PSSessionOption',
    `-OperationTimeout ${int(ep.operationTimeoutMs)}`,
    `-OpenTimeout ${int(ep.openTimeoutMs)}`,
    `-IdleTimeout ${int(Math.max(60_000, ep.idleTimeoutMs))}`,
    // Only towards the relay: its certificate is ours; the host's is checked against the pin by the relay.
    ...(ep.certificate === 'relay' ? ['-SkipCACheck', '-SkipCNCheck'] : []),
  ].join(' ');
  return [
    `$__plain = $global:__asrSecret; $global:__asrSecret = $null`,
    `try {`,
    `  if ($null -eq $__plain) { throw 'no credential was written to stdin' }`,
    `  $__ss = New-Object System.Security.SecureString`,
    `  foreach ($__c in $__plain.ToCharArray()) { $__ss.AppendChar($__c) }`,
    `  $__ss.MakeReadOnly()`,
    `} finally { $__plain = $null; $__c = $null }`,
    `$__cred = New-Object System.Management.Automation.PSCredential(${psQuote(ep.user)}, $__ss)`,
    `$__opt = ${option}`,
    `$global:__asrSession = New-PSSession -ComputerName ${psQuote(ep.address)} -Port ${int(ep.port)}${ep.useSsl ? ' -UseSSL' : ''} -Authentication ${psQuote(ep.auth)} -Credential $__cred -SessionOption $__opt -Name ${psQuote(sessionName)} -ErrorAction Stop`,
    ...(opts.keepCredential ? [] : [`$__cred = $null; $__ss = $null`]),
  ].join('\n');
}

/**
 * Removes a session we lost (the local process was killed on a timeout): WinRM keeps it until its
 * idle timeout, with the installer still running in it. Lists the account's sessions on the host
 * by name and removes ours; the remote process tree is stopped by PID (see REAP_REMOTE_SCRIPT).
 */
export function winrmReapScript(ep: Extract<PsEndpoint, { kind: 'winrm' }>, sessionName: string): string {
  const open = sessionOpenScript(ep, `${sessionName}-reap`, { keepCredential: true });
  return [
    open,
    // Get-PSSession -ComputerName lists this user's sessions on the host, also those of other clients (PS 3.0+).
    `Get-PSSession -ComputerName ${psQuote(ep.address)} -Port ${int(ep.port)}${ep.useSsl ? ' -UseSSL' : ''} -Authentication ${psQuote(ep.auth)} -Credential $__cred -SessionOption $__opt -Name ${psQuote(sessionName)} -ErrorAction SilentlyContinue | Remove-PSSession -ErrorAction SilentlyContinue`,
    `$__cred = $null; $__ss = $null`,
  ].join('\n');
}

function int(n: number): string {
  if (!Number.isInteger(n) || n < 0) fail('internal', `not a whole number: ${n}`);
  return String(n);
}
