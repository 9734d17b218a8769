import { AsrFailure } from '../../model/errors.ts';
import { adviseNoMatch, failedAlgorithmKind, type ConnectionDiagnostics, type ConnectionPhase } from './connection-diagnostics.ts';

/** What the connection attempt knew when it ended; everything the classifier needs, nothing secret. */
export interface ConnectFailureContext {
  host: string;
  address: string;
  port: number;
  username: string;
  /** The error ssh2 or the socket raised (ssh2 sets `level`; sockets set `code`). */
  error?: { message?: string; code?: string | number; level?: string } | undefined;
  /** Our own timers ended the attempt. */
  timedOut?: 'connect' | 'handshake';
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  diag: ConnectionDiagnostics;
  hostKey?: HostKeyVerdict;
  /** The auth method we tried (one attempt), if any. */
  authTried?: string;
  /** The server asked for a further method after a partial success. */
  authPartial?: boolean;
}

export type HostKeyVerdict =
  | { kind: 'unknown'; presented: string; keyType: string }
  | { kind: 'mismatch'; presented: string; expected: string; keyType: string }
  | { kind: 'ok'; presented: string; keyType: string };

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
]);

const PHASE_TEXT: Record<ConnectionPhase, string> = {
  tcp: 'TCP connect',
  banner: 'waiting for the SSH banner (TCP connected, server silent)',
  kex: 'key exchange',
  auth: 'authentication',
  ready: 'session',
};

/** Turn a failed connection attempt into one AsrFailure with a remedy. Pure: tested without a network. */
export function classifyConnectFailure(ctx: ConnectFailureContext): AsrFailure {
  const { host } = ctx;
  const target = `${ctx.address}:${ctx.port}`;
  const details = { address: ctx.address, port: ctx.port, phase: ctx.diag.phase, serverIdent: ctx.diag.serverIdent };

  // The host key verdict wins: a refused key ends the handshake with a generic error.
  if (ctx.hostKey?.kind === 'unknown') {
    return new AsrFailure(
      'host_key_unknown',
      `${host} (${target}) presented ${ctx.hostKey.keyType} host key ${ctx.hostKey.presented}, which is not pinned for this host`,
      {
        host,
        remedy: `Check the fingerprint with the host's owner (ssh-keygen -lf on the host), then run \`asr-deploy trust scan ${host}\` and \`asr-deploy trust approve ${host}\`.`,
        details: { ...details, presented: ctx.hostKey.presented, keyType: ctx.hostKey.keyType },
      },
    );
  }
  if (ctx.hostKey?.kind === 'mismatch') {
    return new AsrFailure(
      'host_key_mismatch',
      `${host} (${target}) presented ${ctx.hostKey.keyType} host key ${ctx.hostKey.presented}, but ${ctx.hostKey.expected} is pinned`,
      {
        host,
        remedy:
          'The host key changed. This is expected only after a reinstall or a deliberate re-key of sshd; otherwise someone may be intercepting the connection (man in the middle). ' +
          `Confirm the new fingerprint (${ctx.hostKey.presented}) with the host's owner, then run \`asr-deploy trust approve ${host}${ctx.port === 22 ? '' : `:${ctx.port}`} --replace\` (a bare approve does not replace a pin).`,
        details: { ...details, presented: ctx.hostKey.presented, expected: ctx.hostKey.expected, keyType: ctx.hostKey.keyType },
      },
    );
  }

  if (ctx.timedOut === 'connect') {
    return new AsrFailure('timeout', `${host}: TCP connect to ${target} timed out after ${ctx.connectTimeoutMs} ms (phase: TCP connect)`, {
      host,
      remedy: `Nothing answered on ${target}: a firewall may drop port ${ctx.port}, or the host is off. Check the address and that TCP ${ctx.port} is open from this workstation.`,
      asrErrorId: 95117,
      details,
    });
  }
  if (ctx.timedOut === 'handshake' || (ctx.error?.level === 'client-timeout' && ctx.diag.phase !== 'ready')) {
    const phase = PHASE_TEXT[ctx.diag.phase];
    return new AsrFailure('timeout', `${host}: SSH handshake with ${target} did not complete within ${ctx.handshakeTimeoutMs} ms (stalled in: ${phase})`, {
      host,
      remedy:
        ctx.diag.phase === 'banner'
          ? 'TCP connected but sshd never sent its banner: sshd may be overloaded (MaxStartups), hung, or a middlebox holds the connection. Check sshd on the host.'
          : ctx.diag.phase === 'auth'
            ? "The server accepted the key exchange but authentication did not finish (PAM, LDAP or DNS lookups on the host can stall it). Check the host's auth log."
            : 'The key exchange stalled: check packet loss or an MTU problem on the path, and sshd load on the host.',
      asrErrorId: 95117,
      details,
    });
  }

  const err = ctx.error;
  const message = err?.message ?? 'connection closed';
  const code = typeof err?.code === 'string' ? err.code : undefined;

  if (err?.level === 'client-socket' || err?.level === 'client-dns' || (code && UNREACHABLE_CODES.has(code))) {
    const dns = code === 'ENOTFOUND' || code === 'EAI_AGAIN' || err?.level === 'client-dns';
    const refused = code === 'ECONNREFUSED';
    return new AsrFailure(
      'unreachable',
      `${host}: cannot reach ${target}: ${code ?? message}${ctx.diag.phase === 'tcp' ? '' : ` (during ${PHASE_TEXT[ctx.diag.phase]})`}`,
      {
        host,
        remedy: dns
          ? `The name ${ctx.address} does not resolve; fix DNS or use the IP address.`
          : refused
            ? `The host answered but nothing listens on port ${ctx.port}: start sshd (systemctl start ssh/sshd) or correct the port.`
            : `No route to ${ctx.address}: check that the host is up and on a network this workstation can reach.`,
        asrErrorId: 95117,
        details: { ...details, socketError: code },
      },
    );
  }

  const kind = err?.level === 'handshake' ? failedAlgorithmKind(message) : null;
  if (kind) {
    const advice = adviseNoMatch(kind, ctx.diag);
    return new AsrFailure('unsupported', `${host}: SSH handshake failed, ${advice.message}`, {
      host,
      remedy: advice.remedy,
      details: { ...details, kind, serverOffers: advice.serverOffers, clientOffers: advice.clientOffers, enableable: advice.enableable },
    });
  }
  if (err?.level === 'handshake' && /signature verification failed/i.test(message)) {
    return new AsrFailure('host_key_mismatch', `${host}: the server at ${target} could not prove it holds the host key it presented`, {
      host,
      remedy: 'Treat this as a possible man in the middle. Check the network path and the host before trying again.',
      details,
    });
  }

  if (err?.level === 'client-authentication' || (ctx.diag.phase === 'auth' && /authentication/i.test(message))) {
    const offered = ctx.diag.authMethodsOffered;
    const offeredText = offered ? offered.join(', ') || 'none' : 'unknown';
    const tried = ctx.authTried;
    const notOffered = tried === undefined;
    return new AsrFailure(
      'auth_failed',
      notOffered
        ? `${host}: the server offers no authentication method this credential can use (server offers: ${offeredText})`
        : ctx.authPartial
          ? `${host}: ${ctx.username} passed ${tried} but the server demands a further method (server offers: ${offeredText})`
          : `${host}: ${tried} authentication as ${ctx.username} was rejected (server offers: ${offeredText})`,
      {
        host,
        retryable: false,
        asrErrorId: 95108,
        remedy: notOffered
          ? `Use a credential of a kind the server accepts (${offeredText}), or enable it in sshd_config (PasswordAuthentication / KbdInteractiveAuthentication / PubkeyAuthentication). ASR push install needs PasswordAuthentication yes for password credentials.`
          : `Check the user name and the ${tried === 'publickey' || tried === 'agent' ? 'key (authorized_keys on the host)' : 'password'}. ` +
            'Not retried automatically: repeated failures can lock the account (ASR error 95520).',
        details: { ...details, authMethodsOffered: offered, authTried: tried },
      },
    );
  }

  // The server hung up with a reason (too many auth failures, MaxStartups, banned by fail2ban ...).
  if (typeof err?.code === 'number') {
    const duringAuth = ctx.diag.phase === 'auth';
    return new AsrFailure(
      duringAuth ? 'auth_failed' : 'unreachable',
      `${host}: server at ${target} disconnected: ${message} (during ${PHASE_TEXT[ctx.diag.phase]})`,
      {
        host,
        ...(duringAuth ? { asrErrorId: 95108, retryable: false } : { asrErrorId: 95117 }),
        remedy: "See the host's sshd log for the reason it closed the connection.",
        details: { ...details, disconnectReason: err.code },
      },
    );
  }
  if (/Connection lost before handshake|No response from server|closed/i.test(message) || !err) {
    return new AsrFailure('unreachable', `${host}: connection to ${target} closed during ${PHASE_TEXT[ctx.diag.phase]}: ${message}`, {
      host,
      remedy: "The server closed the connection: sshd may refuse this client (AllowUsers, tcp wrappers, MaxStartups, fail2ban). See the host's sshd log.",
      asrErrorId: 95117,
      details,
    });
  }
  return new AsrFailure('internal', `${host}: SSH connection to ${target} failed: ${message}`, { host, details });
}
