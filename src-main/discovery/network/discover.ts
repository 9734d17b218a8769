import net from 'node:net';
import { AsrFailure, fail } from '../../model/errors.ts';
import type { OsFamily } from '../../model/host.ts';
import { scanTlsCertificate } from '../../remote/tls-scan.ts';
import { DeadlineQueue, identifyWsman } from './probe.ts';
import { compareAddresses, parseTargets, type TargetSet } from './targets.ts';

export const DEFAULT_PORTS: readonly number[] = [22, 5985, 5986];
export const DEFAULT_CONCURRENCY = 256;
export const DEFAULT_TIMEOUT_MS = 1000;

/** One answering address: the cli.md `discover network` shape (plus optional extras). */
export interface DiscoveredHost {
  address: string;
  open: number[];
  ssh?: { banner: string };
  winrm?: {
    https: boolean;
    certificate?: { subject: string; fingerprint: string; notAfter: string; expired: boolean; expiresSoon: boolean; selfSigned: boolean };
    /** Authentication schemes the listener offered (Negotiate, Kerberos, Basic). */
    authentication?: string[];
    productVersion?: string;
  };
  os?: OsFamily;
  /** What the OS guess rests on (the banner text or `wsman`). */
  osEvidence?: string;
}

export interface DiscoverProgress {
  /** Addresses fully probed so far. */
  done: number;
  total: number;
  found: number;
}

export interface DiscoverNetworkOptions {
  ports?: readonly number[];
  /** Connections in flight at once (address × port probes). */
  concurrency?: number;
  /** TCP connect timeout per probe. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: DiscoverProgress) => void;
  /** For string targets: allow blocks above a /16. */
  force?: boolean;
  /** Ports identified as SSH / WinRM HTTP / WinRM HTTPS (defaults 22 / 5985 / 5986). */
  sshPorts?: readonly number[];
  winrmHttpPorts?: readonly number[];
  winrmHttpsPorts?: readonly number[];
}

interface AddressState {
  address: string;
  remaining: number;
  open: number[];
  host: DiscoveredHost;
}

/** One TCP connect probe in flight. */
interface Probe {
  done: boolean;
  connected: boolean;
  socket: net.Socket;
  state: AddressState;
  port: number;
  attempt: number;
  buffered: string;
}

/** Probes in flight at first, and the age (ms) past which a probe counts as slow (see discoverNetwork). */
const RAMP_START = 32;
const RAMP_MS = 10;

/** Addresses whose probes are interleaved port by port (see discoverNetwork). */
const WINDOW = 1024;

/** Errors that mean "this machine ran out of sockets", not "the port is closed": retried. */
const LOCAL_EXHAUSTION = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS']);

/**
 * TCP connect sweep over `targets` with bounded concurrency, then identification of what answered:
 * the SSH banner, whether 5985/5986 speak WS-Management, and the 5986 certificate. Work is pulled
 * lazily from the target iterator, so a /16 never materialises 65k entries. Probes are callbacks
 * on their sockets with two shared deadline queues, not a promise and a timer each: on a LAN most
 * probes are refused within microseconds, so per-probe bookkeeping is most of the cost. Returns
 * only addresses with at least one open port, in address order.
 */
export async function discoverNetwork(targets: TargetSet | readonly string[], opts: DiscoverNetworkOptions = {}): Promise<DiscoveredHost[]> {
  const set = isTargetSet(targets) ? targets : parseTargets(targets, { force: opts.force ?? false });
  const ports = validatePorts(opts.ports ?? DEFAULT_PORTS);
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 4096) fail('usage', `--concurrency must be 1-4096, not ${concurrency}`);
  if (!Number.isFinite(timeoutMs) || timeoutMs < 10 || timeoutMs > 120_000) fail('usage', `--timeout must be 10-120000 ms, not ${timeoutMs}`);
  const sshPorts = new Set(opts.sshPorts ?? [22]);
  const httpPorts = new Set(opts.winrmHttpPorts ?? [5985]);
  const httpsPorts = new Set(opts.winrmHttpsPorts ?? [5986]);
  const signal = opts.signal;
  if (signal?.aborted) throw new AsrFailure('cancelled', `discovery cancelled after 0 of ${set.count} addresses`, { details: { found: 0 } });

  const found: DiscoveredHost[] = [];
  let done = 0;
  let inFlight = 0;
  // Probe order: addresses in windows of WINDOW; within a window port by port, the banner ports
  // first, so the wait for banners overlaps the probes of the other ports, and one host does not
  // get all its probes at once.
  const order = [...ports.filter((p) => sshPorts.has(p)), ...ports.filter((p) => !sshPorts.has(p))];
  const addresses = set[Symbol.iterator]();
  let window: AddressState[] = [];
  let windowIndex = 0;
  let portIndex = order.length;
  let exhausted = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  // Connect deadline, then (SSH ports) the wait for the identification line after connecting.
  const connecting = new DeadlineQueue<Probe>(timeoutMs, (p) => settle(p, p.connected));
  const banners = new DeadlineQueue<Probe>(Math.max(timeoutMs, 3000), (p) => settle(p, true));

  function nextWindow(): boolean {
    window = [];
    while (window.length < WINDOW) {
      const next = addresses.next();
      if (next.done) break;
      window.push({ address: next.value, remaining: ports.length, open: [], host: { address: next.value, open: [] } });
    }
    windowIndex = 0;
    portIndex = 0;
    return window.length > 0;
  }

  // Slots open up as needed: from RAMP_START, doubled whenever half of them are held by probes
  // older than RAMP_MS (silent hosts, banner waits), up to `concurrency`. Where everything answers
  // at once (a LAN, loopback) fewer sockets in flight cost less; where hosts are silent the full
  // width is reached within a few ticks of RAMP_MS.
  let limit = Math.min(concurrency, RAMP_START);
  const ramp =
    limit < concurrency
      ? setInterval(() => {
          if ((connecting.countOlderThan(RAMP_MS) + banners.countOlderThan(RAMP_MS)) * 2 < limit) return;
          limit = Math.min(concurrency, limit * 2);
          if (limit === concurrency) clearInterval(ramp!);
          pump();
        }, RAMP_MS)
      : null;

  function pump(): void {
    while (inFlight < limit && !exhausted && !signal?.aborted) {
      if (windowIndex >= window.length) {
        windowIndex = 0;
        portIndex++;
      }
      if (portIndex >= order.length && !nextWindow()) {
        exhausted = true;
        break;
      }
      inFlight++;
      start(window[windowIndex++]!, order[portIndex]!, 0);
    }
    if (inFlight === 0 && (exhausted || signal?.aborted)) finish();
  }

  function start(state: AddressState, port: number, attempt: number): void {
    const socket = net.connect({ host: state.address, port });
    const probe: Probe = { done: false, connected: false, socket, state, port, attempt, buffered: '' };
    socket.once('connect', () => onConnect(probe));
    socket.once('error', (e: NodeJS.ErrnoException) => onError(probe, e));
    connecting.add(probe);
  }

  function onConnect(p: Probe): void {
    if (p.done) return;
    p.connected = true;
    if (!sshPorts.has(p.port)) return settle(p, true);
    // RFC 4253 §4.2: the server sends its identification line first, possibly after other lines.
    p.socket.on('data', (chunk: Buffer) => onData(p, chunk));
    p.socket.once('close', () => settle(p, true));
    banners.add(p);
  }

  function onData(p: Probe, chunk: Buffer): void {
    if (p.done) return;
    p.buffered += chunk.toString('latin1');
    let nl: number;
    while ((nl = p.buffered.indexOf('\n')) >= 0) {
      const line = p.buffered.slice(0, nl).replace(/\r$/, '');
      p.buffered = p.buffered.slice(nl + 1);
      if (line.startsWith('SSH-')) {
        p.state.host.ssh = { banner: Buffer.from(line, 'latin1').toString('utf8') };
        return settle(p, true);
      }
    }
    if (p.buffered.length > 8192) settle(p, true);
  }

  function onError(p: Probe, e: NodeJS.ErrnoException): void {
    if (p.done) return;
    if (!p.connected && LOCAL_EXHAUSTION.has(e.code ?? '') && p.attempt < 20) {
      // out of local sockets or ports: try again shortly, keeping the slot
      p.done = true;
      p.socket.destroy();
      setTimeout(() => start(p.state, p.port, p.attempt + 1), 25 * (p.attempt + 1));
      return;
    }
    settle(p, p.connected);
  }

  /** The probe's verdict: open or not (closed, filtered and timed out are all "not open" here). */
  function settle(p: Probe, open: boolean): void {
    if (p.done) return;
    p.done = true;
    p.socket.destroy();
    const state = p.state;
    if (open && !signal?.aborted) {
      state.open.push(p.port);
      if (httpPorts.has(p.port) || httpsPorts.has(p.port)) {
        // identification keeps the probe's slot until it is done
        void identifyWinrm(state.host, state.address, p.port, httpsPorts.has(p.port), timeoutMs, signal)
          .catch(() => undefined)
          .then(() => complete(state));
        return;
      }
    }
    complete(state);
  }

  function complete(state: AddressState): void {
    inFlight--;
    if (--state.remaining === 0) {
      done++;
      if (state.open.length > 0) {
        state.host.open = state.open.sort((a, b) => a - b);
        guessOs(state.host);
        found.push(state.host);
      }
      opts.onProgress?.({ done, total: set.count, found: found.length });
    }
    pump();
  }

  const onAbort = () => {
    for (const q of [connecting, banners]) for (const p of [...q.pending()]) settle(p, false);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    pump();
    await finished;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (ramp) clearInterval(ramp);
    connecting.clear();
    banners.clear();
  }
  if (signal?.aborted) {
    throw new AsrFailure('cancelled', `discovery cancelled after ${done} of ${set.count} addresses`, { details: { found: found.length } });
  }
  return found.sort((a, b) => compareAddresses(a.address, b.address));
}

async function identifyWinrm(host: DiscoveredHost, address: string, port: number, https: boolean, timeoutMs: number, signal?: AbortSignal) {
  const probeTimeout = Math.max(timeoutMs, 2000);
  let fingerprint: string | undefined;
  let certificate: NonNullable<DiscoveredHost['winrm']>['certificate'];
  if (https) {
    try {
      const c = await scanTlsCertificate(address, port, { timeoutMs: probeTimeout, ...(signal ? { signal } : {}) });
      fingerprint = c.fingerprint;
      certificate = {
        subject: c.subject,
        fingerprint: c.fingerprint,
        notAfter: c.notAfter,
        expired: c.expired,
        expiresSoon: c.expiresSoon,
        selfSigned: c.selfSigned,
      };
    } catch {
      return; // not TLS: not a WinRM HTTPS listener
    }
  }
  const id = await identifyWsman(address, port, { timeoutMs: probeTimeout, https, ...(fingerprint ? { fingerprint } : {}), ...(signal ? { signal } : {}) });
  if (!id.wsman) return;
  // Prefer describing the HTTPS listener when both answer: it is the one deployments use.
  if (host.winrm?.https && !https) return;
  host.winrm = {
    https,
    ...(certificate ? { certificate } : {}),
    ...(id.authentication.length ? { authentication: id.authentication } : {}),
    ...(id.productVersion ? { productVersion: id.productVersion } : {}),
  };
}

const LINUX_BANNER = /ubuntu|debian|centos|red ?hat|rhel|\.el\d|suse|sles|fedora|raspbian|linux|alpine|amzn|oracle/i;

/** OS from evidence only: a distribution in the SSH banner, OpenSSH for Windows, or a WinRM listener. */
export function guessOs(host: DiscoveredHost): void {
  const banner = host.ssh?.banner ?? '';
  if (host.winrm || /windows/i.test(banner)) {
    host.os = 'windows';
    host.osEvidence = host.winrm ? 'wsman' : banner;
  } else if (LINUX_BANNER.test(banner)) {
    host.os = 'linux';
    host.osEvidence = banner;
  }
}

function isTargetSet(t: TargetSet | readonly string[]): t is TargetSet {
  return typeof (t as TargetSet).count === 'number' && !Array.isArray(t);
}

function validatePorts(ports: readonly number[]): number[] {
  if (ports.length === 0) fail('usage', '--ports needs at least one port');
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) fail('usage', `port ${p} is out of range 1-65535`);
  return [...new Set(ports)];
}

/** Parse `--ports 22,5985,5986` (also accepts ranges like 8000-8010). */
export function parsePorts(text: string): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) fail('usage', `--ports: ${part} is not a port or a port range`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a < 1 || b > 65535 || b < a) fail('usage', `--ports: ${part} is out of range 1-65535 or runs backwards`);
    for (let p = a; p <= b; p++) out.push(p);
  }
  return validatePorts(out);
}
