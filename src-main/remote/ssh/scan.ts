import { connect as netConnect } from 'node:net';
import ssh2 from 'ssh2';
import { AsrFailure } from '../../model/errors.ts';
import { classifyConnectFailure } from './connect-errors.ts';
import { newDiagnostics, recordDebugLine, recordNegotiated, type ConnectionDiagnostics, type Ssh2Negotiated } from './connection-diagnostics.ts';
import { hostKeyFingerprint, hostKeyType } from './host-key.ts';

export interface HostKeyScan {
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** Type named in the key blob (`ssh-ed25519`, `ssh-rsa`, …). */
  keyType: string;
  /** The server's identification line (`SSH-2.0-OpenSSH_9.2p1 …`). */
  banner: string;
  /** Base64 of the raw key blob, for a known_hosts-style record. */
  publicKey: string;
  diagnostics: ConnectionDiagnostics;
}

/**
 * Read a host's SSH key for `trust scan` without authenticating: complete the key exchange (so
 * the server has proved it holds the key), then hang up before any user auth request is sent.
 * The result is only a proposal; a person approves it (`trust approve`).
 */
export function scanSshHostKey(address: string, port = 22, opts: { timeoutMs?: number; host?: string; signal?: AbortSignal } = {}): Promise<HostKeyScan> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const host = opts.host ?? address;
  const diag = newDiagnostics();
  const base = { host, address, port, username: '(scan)', connectTimeoutMs: timeoutMs, handshakeTimeoutMs: timeoutMs, diag };
  return new Promise<HostKeyScan>((resolve, reject) => {
    let raw: Buffer | null = null;
    let settled = false;
    const sock = netConnect({ host: address, port });
    const client = new ssh2.Client();
    const deadline = setTimeout(() => finish(classifyConnectFailure({ ...base, timedOut: diag.phase === 'tcp' ? 'connect' : 'handshake' })), timeoutMs);
    const onAbort = (): void => finish(new AsrFailure('cancelled', `${host}: host key scan cancelled`, { host }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    function finish(result: HostKeyScan | AsrFailure): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', onAbort);
      client.removeAllListeners('error');
      client.on('error', () => {});
      client.end();
      sock.destroy();
      if (result instanceof AsrFailure) reject(result);
      else resolve(result);
    }
    sock.once('error', (e: NodeJS.ErrnoException) => {
      if (diag.phase === 'tcp') finish(classifyConnectFailure({ ...base, error: { message: e.message, code: e.code, level: 'client-socket' } }));
    });
    sock.once('connect', () => {
      diag.phase = 'banner';
      client.on('handshake', (n: Ssh2Negotiated) => {
        recordNegotiated(diag, n);
        if (!raw) return finish(new AsrFailure('internal', `${host}: key exchange finished without a host key`, { host }));
        finish({
          fingerprint: hostKeyFingerprint(raw),
          keyType: hostKeyType(raw),
          banner: diag.serverIdent ?? '',
          publicKey: raw.toString('base64'),
          diagnostics: diag,
        });
      });
      client.on('error', (e: Error & { level?: string; code?: string }) => finish(classifyConnectFailure({ ...base, error: e })));
      client.on('close', () => finish(classifyConnectFailure({ ...base, error: { message: 'connection closed' } })));
      client.connect({
        sock,
        username: 'asr-deploy-scan',
        readyTimeout: 0,
        debug: (line: string) => recordDebugLine(diag, line),
        hostVerifier: (key: Buffer) => {
          raw = Buffer.from(key);
          return true;
        },
        // Never authenticate: hanging up happens on `handshake`, this is a second fence.
        authHandler: ((_m: unknown, _p: unknown, next: (a: false) => void) => next(false)) as unknown as ssh2.ConnectConfig['authHandler'],
      });
    });
  });
}
