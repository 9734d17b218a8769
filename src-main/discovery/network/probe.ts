import net from 'node:net';
import tls from 'node:tls';
import { sha256Fingerprint } from '../../remote/tls-scan.ts';

export type PortState = 'open' | 'closed' | 'filtered';

export interface TcpProbeResult {
  state: PortState;
  /** The `SSH-…` identification line when asked for and sent by the server. */
  banner?: string;
  /** errno behind `closed`/`filtered` (ECONNREFUSED, EHOSTUNREACH, timeout). */
  reason?: string;
}

export interface TcpProbeOptions {
  timeoutMs: number;
  /** Read the SSH identification line (RFC 4253 §4.2: servers send it first, possibly after other lines). */
  readSshBanner?: boolean;
  bannerTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Errors that mean "this machine ran out of sockets", not "the port is closed": retried. */
const LOCAL_EXHAUSTION = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS']);

/** One TCP connect probe; on an SSH port the banner is read from the same connection. */
export async function probeTcp(host: string, port: number, opts: TcpProbeOptions): Promise<TcpProbeResult> {
  for (let attempt = 0; ; attempt++) {
    const result = await probeOnce(host, port, opts);
    if (result.state !== 'filtered' || !LOCAL_EXHAUSTION.has(result.reason ?? '') || attempt >= 20) return result;
    await new Promise((r) => setTimeout(r, 25 * (attempt + 1)));
  }
}

function probeOnce(host: string, port: number, opts: TcpProbeOptions): Promise<TcpProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let connected = false;
    let buffered = '';
    const socket = net.connect({ host, port });
    const finish = (r: TcpProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ state: connected ? 'open' : 'filtered', reason: 'cancelled' });
    if (opts.signal?.aborted) return finish({ state: 'filtered', reason: 'cancelled' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(() => finish({ state: 'filtered', reason: 'timeout' }), opts.timeoutMs);
    socket.once('connect', () => {
      connected = true;
      if (!opts.readSshBanner) return finish({ state: 'open' });
      clearTimeout(timer);
      timer = setTimeout(() => finish({ state: 'open' }), opts.bannerTimeoutMs ?? Math.max(opts.timeoutMs, 3000));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('SSH-')) return finish({ state: 'open', banner: Buffer.from(line, 'latin1').toString('utf8') });
      }
      if (buffered.length > 8192) finish({ state: 'open' });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (connected) return finish({ state: 'open' });
      const code = e.code ?? 'error';
      finish({ state: code === 'ECONNREFUSED' ? 'closed' : 'filtered', reason: code });
    });
    socket.once('close', () => finish(connected ? { state: 'open' } : { state: 'filtered', reason: 'closed' }));
  });
}

/**
 * Deadlines of one duration in one FIFO with one timer: probes start in time order, so they also
 * expire in that order. This spares a sweep its per-probe timers (thousands of probes that, on a
 * LAN, are mostly refused within microseconds).
 */
export class DeadlineQueue<T extends { done: boolean }> {
  private readonly items: { at: number; item: T }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly durationMs: number;
  private readonly onExpire: (item: T) => void;

  constructor(durationMs: number, onExpire: (item: T) => void) {
    this.durationMs = durationMs;
    this.onExpire = onExpire;
  }

  add(item: T): void {
    this.items.push({ at: performance.now() + this.durationMs, item });
    if (!this.timer) this.arm();
    else if ((this.items.length & 1023) === 0) this.compact();
  }

  /** Live items added more than `ageMs` ago (they come first: the queue is in time order). */
  countOlderThan(ageMs: number): number {
    const limit = performance.now() + this.durationMs - ageMs;
    let n = 0;
    for (let i = this.head; i < this.items.length && this.items[i]!.at < limit; i++) if (!this.items[i]!.item.done) n++;
    return n;
  }

  /** Items still waiting (for cancellation). */
  *pending(): Generator<T> {
    for (let i = this.head; i < this.items.length; i++) if (!this.items[i]!.item.done) yield this.items[i]!.item;
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.items.length = 0;
    this.head = 0;
  }

  /** Drop finished items at the head (a LAN refuses most probes long before their deadline). */
  private compact(): void {
    while (this.head < this.items.length && this.items[this.head]!.item.done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  private arm(): void {
    this.compact();
    if (this.head >= this.items.length) {
      this.items.length = 0;
      this.head = 0;
      this.timer = null;
      return;
    }
    const wait = Math.max(0, this.items[this.head]!.at - performance.now());
    this.timer = setTimeout(() => this.fire(), Math.ceil(wait));
  }

  private fire(): void {
    const now = performance.now();
    while (this.head < this.items.length && this.items[this.head]!.at <= now) {
      const { item } = this.items[this.head++]!;
      if (!item.done) this.onExpire(item);
    }
    this.arm();
  }
}

export interface WsmanIdentity {
  /** The endpoint answered as WS-Management (an auth challenge or a WS-Man SOAP document). */
  wsman: boolean;
  status: number | null;
  /** Schemes offered in WWW-Authenticate (Negotiate, Kerberos, Basic, CredSSP). */
  authentication: string[];
  /** From an IdentifyResponse, when the listener allows unauthenticated Identify. */
  productVendor?: string;
  productVersion?: string;
}

const IDENTIFY_BODY =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">' +
  '<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';

/**
 * Ask whether `host:port` is a WS-Management (WinRM) listener: POST /wsman with an Identify body.
 * A 401 offering Negotiate/Kerberos/Basic/CredSSP, or a WS-Man SOAP answer, counts. Over HTTPS the
 * connection is accepted only for the certificate whose fingerprint was just scanned, checked
 * before the request is written.
 */
export async function identifyWsman(
  host: string,
  port: number,
  opts: { timeoutMs: number; https: boolean; fingerprint?: string; signal?: AbortSignal },
): Promise<WsmanIdentity> {
  const hostHeader = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  const request =
    `POST /wsman HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: asr-deploy discovery\r\n` +
    'Content-Type: application/soap+xml;charset=UTF-8\r\nWSMANIDENTIFY: unauthenticated\r\n' +
    `Content-Length: ${Buffer.byteLength(IDENTIFY_BODY)}\r\nConnection: close\r\n\r\n${IDENTIFY_BODY}`;
  let raw: string;
  try {
    raw = await rawExchange(host, port, request, opts);
  } catch {
    return { wsman: false, status: null, authentication: [] };
  }
  return parseWsmanResponse(raw);
}

/** Decide from a raw HTTP response whether it came from a WS-Management listener. */
export function parseWsmanResponse(raw: string): WsmanIdentity {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd >= 0 ? raw.slice(0, headEnd) : raw;
  const body = headEnd >= 0 ? raw.slice(headEnd + 4) : '';
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const code = status ? Number(status[1]) : null;
  const authentication: string[] = [];
  let server = '';
  for (const line of lines.slice(1)) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = (m[1] ?? '').toLowerCase();
    if (name === 'www-authenticate') authentication.push((m[2] ?? '').split(/[\s,]/)[0] ?? '');
    if (name === 'server') server = m[2] ?? '';
  }
  const schemes = authentication.filter(Boolean);
  const wsmanAuth = code === 401 && schemes.some((s) => /^(negotiate|kerberos|basic|credssp)$/i.test(s));
  const wsmanBody = /schemas\.dmtf\.org\/wbem\/wsman|schemas\.xmlsoap\.org\/ws\/2004\/08\/addressing|IdentifyResponse/i.test(body);
  const vendor = /<(?:\w+:)?ProductVendor>([^<]*)</.exec(body)?.[1];
  const version = /<(?:\w+:)?ProductVersion>([^<]*)</.exec(body)?.[1];
  return {
    wsman: wsmanAuth || wsmanBody || (code === 401 && /Microsoft-HTTPAPI/i.test(server)),
    status: code,
    authentication: schemes,
    ...(vendor ? { productVendor: vendor } : {}),
    ...(version ? { productVersion: version } : {}),
  };
}

/** Write one request and read until the peer closes (or 32 KiB / timeout). */
function rawExchange(
  host: string,
  port: number,
  request: string,
  opts: { timeoutMs: number; https: boolean; fingerprint?: string; signal?: AbortSignal },
): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const socket: net.Socket = opts.https
      ? tls.connect({
          host,
          port,
          ...(net.isIP(host) ? {} : { servername: host }),
          // Not a blanket opt-out: the pin is compared in 'secureConnect' before any byte is written.
          rejectUnauthorized: false,
        })
      : net.connect({ host, port });
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err && size === 0) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onAbort = () => finish(new Error('cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish(new Error('timeout')), opts.timeoutMs * 3);
    socket.once(opts.https ? 'secureConnect' : 'connect', () => {
      if (opts.https) {
        const peer = (socket as tls.TLSSocket).getPeerCertificate();
        if (!peer?.raw || !opts.fingerprint || sha256Fingerprint(peer.raw) !== opts.fingerprint) {
          return finish(new Error('certificate changed since it was scanned'));
        }
      }
      socket.write(request);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size > 32_768) finish(null);
    });
    socket.once('end', () => finish(null));
    socket.once('error', (e) => finish(e));
    socket.once('close', () => finish(null));
  });
}
