import { createRequire } from 'node:module';

/**
 * What both sides offered and what they agreed on, collected from ssh2's debug lines (the only
 * place ssh2 exposes the server's lists) and its `handshake` event. Users of peers asked for
 * exactly this when a handshake fails (mscdex/ssh2#621, Eugeny/tabby#9620).
 */
export type AlgorithmKind = 'kex' | 'serverHostKey' | 'cipher' | 'mac';

export interface AlgorithmLists {
  kex: string[];
  serverHostKey: string[];
  cipher: string[];
  mac: string[];
}

export interface Negotiated {
  kex: string;
  serverHostKey: string;
  cipher: string;
  mac: string;
}

export interface ConnectionDiagnostics {
  /** The server's identification line, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`. */
  serverIdent?: string;
  local: Partial<AlgorithmLists>;
  remote: Partial<AlgorithmLists>;
  negotiated?: Negotiated;
  /** Auth methods the server offered after `none` (`publickey,password,keyboard-interactive`). */
  authMethodsOffered?: string[];
  /** Which stage produced the last sign of life: tcp → banner → kex → auth → ready. */
  phase: ConnectionPhase;
}

export type ConnectionPhase = 'tcp' | 'banner' | 'kex' | 'auth' | 'ready';

export function newDiagnostics(): ConnectionDiagnostics {
  return { local: {}, remote: {}, phase: 'tcp' };
}

const LIST_LINE = /^Handshake: \((local|remote)\) (KEX method|Host key format|C->S cipher|C->S MAC): (.*)$/;
const KIND_BY_LABEL: Record<string, AlgorithmKind> = {
  'KEX method': 'kex',
  'Host key format': 'serverHostKey',
  'C->S cipher': 'cipher',
  'C->S MAC': 'mac',
};

/** Feed every ssh2 debug line here; lines that carry nothing of interest are ignored. */
export function recordDebugLine(diag: ConnectionDiagnostics, line: string): void {
  const ident = /^Remote ident: '(.*)'$/.exec(line);
  if (ident) {
    diag.serverIdent = ident[1];
    if (diag.phase === 'tcp' || diag.phase === 'banner') diag.phase = 'kex';
    return;
  }
  const m = LIST_LINE.exec(line);
  if (!m) return;
  const side = m[1] === 'local' ? diag.local : diag.remote;
  const kind = KIND_BY_LABEL[m[2] ?? ''];
  if (kind) side[kind] = splitList(m[3] ?? '');
}

/** Extension markers ride in the kex list (RFC 8308, OpenSSH strict kex); they are not algorithms. */
const PSEUDO_KEX = /^(ext-info-[cs]|kex-strict-[cs]-v00@openssh\.com)$/;

function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '' && !PSEUDO_KEX.test(x));
}

/** ssh2's `handshake` event payload. */
export interface Ssh2Negotiated {
  kex: string;
  serverHostKey: string;
  cs: { cipher: string; mac: string };
}

export function recordNegotiated(diag: ConnectionDiagnostics, n: Ssh2Negotiated): void {
  diag.negotiated = { kex: n.kex, serverHostKey: n.serverHostKey, cipher: n.cs.cipher, mac: n.cs.mac || '<implicit>' };
  diag.phase = 'auth';
}

/** One line per fact, ready for the host's log. */
export function describeDiagnostics(diag: ConnectionDiagnostics): string[] {
  const lines: string[] = [];
  if (diag.serverIdent) lines.push(`server ident: ${diag.serverIdent}`);
  for (const kind of KINDS) {
    const remote = diag.remote[kind];
    const local = diag.local[kind];
    if (remote) lines.push(`server offers ${LABEL[kind]}: ${remote.join(',')}`);
    if (local) lines.push(`client offers ${LABEL[kind]}: ${local.join(',')}`);
  }
  if (diag.negotiated) {
    const n = diag.negotiated;
    lines.push(`negotiated: kex=${n.kex} hostkey=${n.serverHostKey} cipher=${n.cipher} mac=${n.mac}`);
  }
  if (diag.authMethodsOffered) lines.push(`server offers auth methods: ${diag.authMethodsOffered.join(',') || '(none)'}`);
  return lines;
}

const KINDS: readonly AlgorithmKind[] = ['kex', 'serverHostKey', 'cipher', 'mac'];
const LABEL: Record<AlgorithmKind, string> = { kex: 'kex', serverHostKey: 'host key', cipher: 'cipher', mac: 'mac' };

/** Map ssh2's "Handshake failed: no matching …" message to the list that had no overlap. */
export function failedAlgorithmKind(message: string): AlgorithmKind | null {
  const m = /no matching (key exchange algorithm|host key format|(?:C->S|S->C) cipher|(?:C->S|S->C) MAC)/i.exec(message);
  if (!m) return null;
  const what = (m[1] ?? '').toLowerCase();
  if (what.startsWith('key exchange')) return 'kex';
  if (what.startsWith('host key')) return 'serverHostKey';
  if (what.endsWith('cipher')) return 'cipher';
  return 'mac';
}

/**
 * Algorithms ssh2 can speak but does not offer by default (legacy ones such as
 * `diffie-hellman-group1-sha1`, `ssh-dss`, `aes128-cbc`, `hmac-md5`). Read from ssh2 itself so the
 * advice follows the installed version.
 */
export function supportedAlgorithms(): { default: AlgorithmLists; supported: AlgorithmLists } {
  try {
    const c = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js') as Record<string, string[]>;
    return {
      default: { kex: c.DEFAULT_KEX ?? [], serverHostKey: c.DEFAULT_SERVER_HOST_KEY ?? [], cipher: c.DEFAULT_CIPHER ?? [], mac: c.DEFAULT_MAC ?? [] },
      supported: { kex: c.SUPPORTED_KEX ?? [], serverHostKey: c.SUPPORTED_SERVER_HOST_KEY ?? [], cipher: c.SUPPORTED_CIPHER ?? [], mac: c.SUPPORTED_MAC ?? [] },
    };
  } catch {
    return { default: { kex: [], serverHostKey: [], cipher: [], mac: [] }, supported: { kex: [], serverHostKey: [], cipher: [], mac: [] } };
  }
}

export interface NoMatchAdvice {
  kind: AlgorithmKind;
  serverOffers: string[];
  clientOffers: string[];
  /** Algorithms the server offers that ssh2 supports when asked to: enable one of these. */
  enableable: string[];
  message: string;
  remedy: string;
}

/** Explain a failed negotiation: both lists and which legacy algorithm to enable, if any. */
export function adviseNoMatch(kind: AlgorithmKind, diag: ConnectionDiagnostics, supported: AlgorithmLists = supportedAlgorithms().supported): NoMatchAdvice {
  const serverOffers = diag.remote[kind] ?? [];
  const clientOffers = diag.local[kind] ?? [];
  const enableable = serverOffers.filter((a) => supported[kind].includes(a) && !clientOffers.includes(a));
  const label = LABEL[kind];
  const message =
    `no common ${label} algorithm: server offers [${serverOffers.join(', ') || 'unknown'}], ` + `client offers [${clientOffers.join(', ') || 'unknown'}]`;
  const remedy =
    enableable.length > 0
      ? `The host only speaks legacy ${label} algorithms. Best: upgrade its OpenSSH or enable a modern algorithm in its sshd_config. ` +
        `Otherwise allow one of these for this host only (host setting "ssh algorithms", ${kind}): ${enableable.join(', ')}.`
      : `Neither side supports a ${label} algorithm of the other. Enable a modern ${label} algorithm in the host's sshd_config ` +
        `(e.g. ${(supportedAlgorithms().default[kind] ?? []).slice(0, 3).join(', ')}).`;
  return { kind, serverOffers, clientOffers, enableable, message, remedy };
}
