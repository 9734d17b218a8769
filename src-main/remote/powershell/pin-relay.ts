import { createHash } from 'node:crypto';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { AsrFailure } from '../../model/errors.ts';
import { describeCertificate, normalizeFingerprint, type TlsCertificateInfo } from '../tls-scan.ts';
import { loopbackCertificate } from './loopback-cert.ts';

/**
 * The connection that carries a WinRM credential is the connection whose certificate we checked.
 *
 * PowerShell cannot pin a certificate: its only choices are full CA + name validation or
 * `-SkipCACheck -SkipCNCheck`. So in the pinned mode the PSSession does not connect to the host at
 * all: it connects to this relay on 127.0.0.1 (a port the kernel picked, bound before PowerShell
 * is told it), and for every connection PowerShell opens, the relay opens the real TLS connection
 * to the host, compares the certificate's SHA-256 with the pin (and its expiry) *on that very
 * connection*, and only then starts moving bytes. Until then nothing PowerShell wrote is read;
 * on a mismatch both sockets are destroyed and the failure (`tls_pin_mismatch`) is kept for the
 * transport to report. A server with another certificate therefore never receives a byte of
 * the credential, however many handshakes it passes before or after.
 *
 * The loopback leg is TLS with a throw-away certificate (loopback-cert.ts) that PowerShell is
 * told to accept: with HTTPS the WSMan client allows Basic and NTLM-by-address without
 * AllowUnencrypted or TrustedHosts changes on the workstation.
 */
export interface PinRelayOptions {
  /** Inventory name, for errors. */
  host: string;
  address: string;
  port: number;
  /** SHA-256 of the DER certificate, any accepted spelling (normalizeFingerprint). */
  pin: string;
  /** SNI; defaults to the address unless it is an IP literal. */
  servername?: string;
  connectTimeoutMs?: number;
  log?: (line: string) => void;
}

export const RELAY_HOST = '127.0.0.1';

export class PinnedTlsRelay {
  readonly address = RELAY_HOST;
  port = 0;
  /** The first refusal (pin mismatch, expired certificate, handshake failure) of a relayed connection. */
  failure: AsrFailure | null = null;
  /** The certificate the host presented on the last verified connection. */
  certificate: TlsCertificateInfo | null = null;
  /** Relayed connections opened (for tests and the host log). */
  relayed = 0;
  refused = 0;
  private readonly o: PinRelayOptions & { connectTimeoutMs: number };
  private readonly pin: string;
  private server: tls.Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(o: PinRelayOptions) {
    const pin = normalizeFingerprint(o.pin);
    if (!pin) throw new AsrFailure('validation', `${o.host}: the pinned certificate fingerprint is not a SHA-256 (64 hex digits).`, { host: o.host });
    this.pin = pin;
    this.o = { connectTimeoutMs: 15_000, ...o };
  }

  static async start(o: PinRelayOptions): Promise<PinnedTlsRelay> {
    const relay = new PinnedTlsRelay(o);
    await relay.listen();
    return relay;
  }

  private async listen(): Promise<void> {
    const { key, cert } = loopbackCertificate();
    const server = tls.createServer({ key, cert, minVersion: 'TLSv1.2' }, (client) => this.onClient(client));
    server.on('tlsClientError', () => undefined);
    server.on('connection', (s: Socket) => {
      // Only this machine's loopback; nothing else can even reach 127.0.0.1, but say it anyway.
      if (s.remoteAddress !== RELAY_HOST && s.remoteAddress !== '::ffff:127.0.0.1') s.destroy();
    });
    await new Promise<void>((ok, ko) => {
      server.once('error', ko);
      server.listen({ host: RELAY_HOST, port: 0, exclusive: true }, () => {
        server.off('error', ko);
        ok();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /**
   * One handshake with the host, pin and expiry compared, no application byte sent: lets the
   * transport fail fast (and name the certificate) before it starts PowerShell. It proves nothing
   * about later connections; each relayed connection is verified again on its own.
   */
  async verify(signal?: AbortSignal): Promise<TlsCertificateInfo> {
    const upstream = await this.openUpstream(signal);
    upstream.destroy();
    return this.certificate!;
  }

  private onClient(client: tls.TLSSocket): void {
    this.track(client);
    client.pause();
    client.on('error', () => undefined);
    this.openUpstream().then(
      (upstream) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        this.relayed++;
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      () => {
        this.refused++;
        client.destroy();
      },
    );
  }

  /** A TLS connection to the host whose certificate equals the pin and has not expired; nothing written to it yet. */
  private openUpstream(signal?: AbortSignal): Promise<tls.TLSSocket> {
    const { host, address, port } = this.o;
    const servername = this.o.servername ?? (isIP(address) ? undefined : address);
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      let settled = false;
      const socket = tls.connect({
        host: address,
        port,
        ...(servername ? { servername } : {}),
        // The pin is the trust decision (below, before any byte is written); CA and name do not apply.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      });
      this.track(socket);
      const done = (err: AsrFailure | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          socket.destroy();
          if (err.data.code === 'tls_pin_mismatch' || (!this.failure && err.data.code !== 'cancelled')) this.failure = err;
          reject(err);
        } else resolve(socket);
      };
      const onAbort = () => done(new AsrFailure('cancelled', `${host}: connect cancelled`, { host }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () => done(new AsrFailure('timeout', `${host} (${address}:${port}): no TLS handshake within ${this.o.connectTimeoutMs} ms`, { host })),
        this.o.connectTimeoutMs,
      );
      socket.once('secureConnect', () => {
        const raw = socket.getPeerCertificate(true)?.raw;
        if (!raw)
          return done(
            new AsrFailure('tls_pin_mismatch', `${host} (${address}:${port}) completed a TLS handshake without a certificate`, { host, retryable: false }),
          );
        const fingerprint = createHash('sha256').update(raw).digest('hex');
        const cert = describeCertificate(raw, socket.authorized ? null : String(socket.authorizationError ?? 'unverified'));
        if (fingerprint !== this.pin) {
          this.o.log?.(`refused ${address}:${port}: certificate ${fingerprint} (${cert.subject}) is not the pinned ${this.pin}; nothing was sent`);
          return done(pinMismatch(host, address, port, cert, this.pin));
        }
        this.certificate = cert;
        if (cert.expired) {
          return done(
            new AsrFailure('certificate_expired', `${host} (${address}:${port}): the pinned WinRM certificate expired on ${cert.notAfter}`, {
              host,
              retryable: false,
              remedy: 'Renew the WinRM HTTPS listener certificate on the host, then approve the new one with `asr-deploy trust approve HOST:PORT --replace`.',
            }),
          );
        }
        done(null);
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        const reachable = !['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(code);
        done(
          new AsrFailure(
            reachable ? 'command_failed' : 'unreachable',
            `${host} (${address}:${port}): ${reachable ? 'TLS handshake failed' : code}: ${e.message}`,
            { host },
          ),
        );
      });
    });
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }
}

export function pinMismatch(host: string, address: string, port: number, cert: TlsCertificateInfo, pin: string): AsrFailure {
  return new AsrFailure(
    'tls_pin_mismatch',
    `${host} (${address}:${port}) presents the certificate ${cert.fingerprint} (${cert.subject}), not the pinned ${pin}; no credential was sent`,
    {
      host,
      retryable: false,
      remedy: `Someone may be intercepting the connection. If the host's owner confirms that the WinRM certificate was replaced, check the new fingerprint on the host (Get-ChildItem Cert:\\LocalMachine\\My) and run \`asr-deploy trust approve ${host}:${port} --replace\`.`,
      details: { presented: cert.fingerprint, expected: pin, subject: cert.subject },
    },
  );
}
