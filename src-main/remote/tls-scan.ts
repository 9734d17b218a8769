import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { AsrFailure } from '../model/errors.ts';

/** Certificates expiring within this many days are flagged `expiresSoon`. */
export const EXPIRES_SOON_DAYS = 30;

export interface TlsCertificateInfo {
  /** SHA-256 of the DER certificate, 64 lower-case hex digits (cli.md). */
  fingerprint: string;
  /** Distinguished names as one line, e.g. `CN=vc01.corp.example, O=Example`. */
  subject: string;
  issuer: string;
  /** ISO 8601. */
  notAfter: string;
  notBefore: string;
  selfSigned: boolean;
  expired: boolean;
  expiresSoon: boolean;
  /** Whether the system CAs (and the host name) vouch for it; the reason when they do not. */
  trusted: boolean;
  trustError: string | null;
  subjectAltNames: string | null;
  /** The certificate itself, for use as the only trust anchor of a pinned connection. */
  pem: string;
}

export interface ScanTlsOptions {
  timeoutMs?: number;
  /** SNI and the name checked against the certificate; defaults to `host` unless it is an IP literal. */
  servername?: string;
  signal?: AbortSignal;
}

/**
 * Read a server's TLS certificate without trusting it (for `trust scan`, WinRM discovery and
 * vCenter pinning). Only the handshake happens: no application byte is sent, so accepting an
 * unverified certificate here exposes nothing; the verdict is reported as `trusted`.
 */
export function scanTlsCertificate(host: string, port: number, opts: ScanTlsOptions = {}): Promise<TlsCertificateInfo> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const servername = opts.servername ?? (isIP(host) ? undefined : host);
  return new Promise<TlsCertificateInfo>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, info?: TlsCertificateInfo) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(info!);
    };
    const onAbort = () => finish(cancelled(host, port));
    const socket = tls.connect({
      host,
      port,
      ...(servername ? { servername } : {}),
      // Inspection only (see above): the verdict of normal verification is kept in `trusted`.
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => finish(timeoutError(host, port, timeoutMs)), timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      if (!peer || !peer.raw) {
        finish(failure('command_failed', `${host}:${port} completed a TLS handshake without a certificate`, host));
        return;
      }
      let trustError: string | null = socket.authorized ? null : String(socket.authorizationError ?? 'unverified');
      if (!trustError) {
        const idError = tls.checkServerIdentity(servername ?? host, peer);
        if (idError) trustError = idError.message;
      }
      finish(null, describeCertificate(peer.raw, trustError));
    });
    socket.once('error', (e: NodeJS.ErrnoException) => finish(networkError(e, host, port)));
  });
}

/** Certificate facts from DER bytes (also used by the vCenter client and by tests). */
export function describeCertificate(der: Buffer, trustError: string | null = null, now = Date.now()): TlsCertificateInfo {
  const x = new X509Certificate(der);
  const notAfter = new Date(x.validTo);
  const days = (notAfter.getTime() - now) / 86_400_000;
  return {
    fingerprint: sha256Fingerprint(der),
    subject: oneLineDn(x.subject),
    issuer: oneLineDn(x.issuer),
    notAfter: notAfter.toISOString(),
    notBefore: new Date(x.validFrom).toISOString(),
    selfSigned: x.subject === x.issuer && x.verify(x.publicKey),
    expired: days < 0,
    expiresSoon: days >= 0 && days < EXPIRES_SOON_DAYS,
    trusted: trustError === null,
    trustError,
    subjectAltNames: x.subjectAltName ?? null,
    pem: x.toString(),
  };
}

export function sha256Fingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Accept a fingerprint as users paste it (any case, with or without colons/spaces); null if it is not 64 hex digits. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text
    .replace(/^sha-?256[:=]?/i, '')
    .replace(/[\s:]/g, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/** X509Certificate prints one RDN per line in certificate order; one line in RFC 4514 order (last RDN first). */
function oneLineDn(dn: string): string {
  return dn
    .split('\n')
    .filter((l) => l.trim())
    .reverse()
    .join(', ');
}

function failure(code: 'command_failed' | 'unreachable' | 'timeout' | 'cancelled', message: string, host: string): AsrFailure {
  return new AsrFailure(code, message, { host });
}

function timeoutError(host: string, port: number, ms: number) {
  return failure('timeout', `${host}:${port}: no TLS handshake within ${ms} ms`, host);
}

function cancelled(host: string, port: number) {
  return failure('cancelled', `${host}:${port}: TLS scan cancelled`, host);
}

function networkError(e: NodeJS.ErrnoException, host: string, port: number) {
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(code)) {
    return failure('unreachable', `${host}:${port}: ${code} (${e.message})`, host);
  }
  return failure('command_failed', `${host}:${port}: TLS handshake failed: ${e.message}`, host);
}
