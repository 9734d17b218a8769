import { AsrFailure, type ErrorCode } from '../../model/errors.ts';
import type { PsErrorRecord } from './frame.ts';

export interface PsFailureContext {
  host: string;
  address: string;
  port: number;
  user: string;
  kind: 'winrm' | 'ssh';
  /** What we were doing: opening the session, running a command, copying a file. */
  phase: 'open' | 'exec' | 'upload' | 'download' | 'script';
  error: PsErrorRecord | null;
  /** The local process's stderr around the call: the ssh client writes its reasons there. */
  stderr: string;
  /** Passed through to auth_failed errors so the UI can name the mechanism. */
  auth?: string;
}

/**
 * One PowerShell or WinRM/SSH failure → one AsrFailure with a remedy. Pure (tested with recorded
 * error records). Authentication failures are never retryable: every failed logon counts toward
 * the account's lockout (ASR 95520).
 */
export function classifyPsFailure(ctx: PsFailureContext): AsrFailure {
  const e = ctx.error;
  const text = [e?.message, e?.inner, ctx.stderr].filter(Boolean).join('\n');
  const target = `${ctx.address}:${ctx.port}`;
  const h = ctx.host;
  const mk = (code: ErrorCode, message: string, remedy: string, extra: Record<string, unknown> = {}) =>
    new AsrFailure(code, `${h}: ${message}`, { host: h, remedy, details: { target, phase: ctx.phase, fqid: e?.fqid ?? null, ...extra } });

  if (e?.asrCode === 'disk_full' || /not enough space on the disk|No space left on device|0x80070070/i.test(text)) {
    return mk(
      'disk_full',
      `the disk on the host is full (${firstLine(e?.message ?? text)})`,
      'Free space on the target drive (ASR needs at least 100 MB, error 95524) and retry.',
      { asrErrorId: 95524 },
    );
  }
  if (e?.asrCode === 'validation') return new AsrFailure('validation', `${h}: ${firstLine(stripAsr(e.message))}`, { host: h, retryable: false });
  if (e?.asrCode === 'command_failed') return mk('command_failed', firstLine(stripAsr(e.message)), 'See the host log for details.');
  if (e?.asrCode === 'not_found') return mk('not_found', firstLine(stripAsr(e.message)), 'Check the path or program name on the host.');
  if (e?.asrCode === 'hash_mismatch')
    return mk(
      'hash_mismatch',
      firstLine(stripAsr(e.message)),
      'The copy was corrupted on the way or on the target disk. Run the step again; if it repeats, check the target file system.',
    );
  if (e?.asrCode === 'permission_denied')
    return mk('permission_denied', firstLine(stripAsr(e.message)), 'Use an account that is a local administrator on the host (ASR error 95107).');

  if (ctx.kind === 'ssh' && ctx.phase === 'open') {
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i.test(text)) {
      const changed = /HAS CHANGED|does not match/i.test(text);
      return new AsrFailure(
        changed ? 'host_key_mismatch' : 'host_key_unknown',
        `${h} (${target}): the SSH host key is ${changed ? 'not the pinned one' : 'not pinned'}`,
        {
          host: h,
          remedy: `Check the fingerprint with the host's owner, then run \`asr-deploy trust scan ${h}\` and \`asr-deploy trust approve ${h}${changed ? ' --replace' : ''}\`${changed ? ' (a bare approve does not replace a pin)' : ''}.`,
          retryable: false,
        },
      );
    }
    if (/Permission denied \(|Too many authentication failures|Load key .*: (invalid format|bad permissions)/i.test(text)) {
      return new AsrFailure(
        'auth_failed',
        `${h} (${target}): ${ctx.user} was refused by the SSH server (${firstMatch(text, /Permission denied \([^)]*\)|Too many authentication failures|Load key[^\n]*/i)})`,
        {
          host: h,
          retryable: false,
          asrErrorId: 95107,
          remedy: 'Check the user name and that its authorized_keys holds the key; PowerShell remoting over SSH uses key login only (no password prompts).',
        },
      );
    }
    if (/subsystem request failed/i.test(text)) {
      return new AsrFailure('unsupported', `${h} (${target}): sshd has no "powershell" subsystem`, {
        host: h,
        retryable: false,
        remedy: 'Add `Subsystem powershell <path to pwsh> -sshs -NoLogo` to sshd_config on the host and restart sshd, or reach it over WinRM (HTTPS 5986).',
      });
    }
    if (/Connection timed out|Operation timed out|timed out during banner/i.test(text))
      return mk('timeout', `no SSH answer from ${target} in time`, 'Check that the host is up and that port 22 is open in its firewall.');
    if (
      /Connection refused|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Connection reset|Connection closed by/i.test(
        text,
      )
    ) {
      return mk(
        'unreachable',
        `cannot reach ${target} (${firstMatch(text, /Connection refused|No route to host|Network is unreachable|Could not resolve hostname[^\n]*|Name or service not known|Connection reset[^\n]*|Connection closed by[^\n]*/i)})`,
        'Check the address, that sshd runs and that port 22 is open.',
      );
    }
  }

  if (ctx.kind === 'winrm' && ctx.phase === 'open') {
    if (/certificate.*(expired|not yet valid)|CERT_DATE_INVALID|0x80090328|12037/i.test(text)) {
      return mk(
        'certificate_expired',
        'the WinRM HTTPS certificate of the host has expired',
        'Renew the listener certificate on the host (winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint="…"}), then `asr-deploy trust approve` the new one.',
      );
    }
    if (/certificate|\bCA\b|SSL|12175|12045|12038|0x80090325|CN of the certificate|unknown certificate authority|revocation/i.test(text)) {
      return mk(
        'certificate_untrusted',
        `the WinRM HTTPS certificate is not trusted by this workstation (${firstLine(text)})`,
        `Install the issuing CA in the workstation's trusted roots, or pin this certificate: \`asr-deploy trust scan ${h}:${ctx.port}\` then \`asr-deploy trust approve ${h}:${ctx.port}\`.`,
      );
    }
    if (
      /Access is denied|logon failure|user name or password is incorrect|unknown user name or bad password|The user name or password|401|AccessDenied|credentials.*(rejected|invalid)/i.test(
        text,
      )
    ) {
      return new AsrFailure('auth_failed', `${h} (${target}): the host refused ${ctx.user}${ctx.auth ? ` (${ctx.auth})` : ''}`, {
        host: h,
        retryable: false,
        asrErrorId: 95107,
        remedy:
          'Check the user name (DOMAIN\\user or .\\user) and password; the account must be a local administrator. A local account also needs LocalAccountTokenFilterPolicy=1. Nothing is retried: repeated failures lock accounts (95520).',
      });
    }
    if (/Kerberos|SPN|0x80090322|0x8009030e|no logon servers|not joined to a domain|TrustedHosts/i.test(text)) {
      return new AsrFailure('auth_failed', `${h} (${target}): ${ctx.auth ?? 'Negotiate'} authentication could not be set up (${firstLine(text)})`, {
        host: h,
        retryable: false,
        asrErrorId: 95518,
        remedy: 'Use the host’s FQDN (Kerberos needs an SPN, not an IP address) and a domain account, or HTTPS with a local account.',
      });
    }
    if (/timed out|timeout/i.test(text))
      return mk('timeout', `WinRM on ${target} did not answer in time`, 'Check that the host is up and that WinRM HTTPS (5986) is open in its firewall.');
    if (
      /cannot complete the operation|verify that the specified computer name is valid|network path|could not resolve|No such host|refused|WinRM cannot process the request|unreachable/i.test(
        text,
      )
    ) {
      return mk(
        'unreachable',
        `cannot reach WinRM on ${target} (${firstLine(text)})`,
        'Check the address, that WinRM runs with an HTTPS listener (winrm quickconfig -transport:https) and that 5986 is open in the firewall.',
      );
    }
  }

  if (
    /PSRemotingTransportException|The SSH transport process has abruptly terminated|session state is Broken|remote session.*(closed|broken)|The I\/O operation has been aborted|pipe is being closed|Processing data from remote server .* failed/i.test(
      `${e?.type ?? ''}\n${text}`,
    )
  ) {
    return mk(
      'unreachable',
      `the remote session broke (${firstLine(e?.message ?? text)})`,
      'The host rebooted, the network dropped, or the remote PowerShell ended. The step is retried.',
    );
  }
  if (/Access to the path .* is denied|UnauthorizedAccess|PermissionDenied/i.test(text))
    return mk('permission_denied', firstLine(e?.message ?? text), 'Use an account that is a local administrator on the host (ASR error 95107).');
  if (
    /Cannot find path|does not exist|ItemNotFound|PathNotFound|CommandNotFoundException|is not recognized as/i.test(
      `${e?.fqid ?? ''}\n${e?.type ?? ''}\n${text}`,
    )
  )
    return mk('not_found', firstLine(e?.message ?? text), 'Check the path or program name on the host.');
  return mk('command_failed', `${ctx.phase} failed: ${firstLine(e?.message ?? (text || 'no error text'))}`, 'See the host log for the full PowerShell error.');
}

function firstLine(s: string): string {
  const line =
    s
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function firstMatch(s: string, re: RegExp): string {
  return re.exec(s)?.[0] ?? firstLine(s);
}

function stripAsr(m: string): string {
  return m.replace(/^ASR:[a-z_]+:/, '');
}
