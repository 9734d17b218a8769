import { AsrFailure, fail } from '../../model/errors.ts';
import type { OsFamily } from '../../model/host.ts';
import { scanTlsCertificate } from '../../remote/tls-scan.ts';
import { identifyWsman, probeTcp } from './probe.ts';
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
  remaining: number;
  open: number[];
  host: DiscoveredHost;
}

/**
 * TCP connect sweep over `targets` with bounded concurrency, then identification of what answered:
 * the SSH banner, whether 5985/5986 speak WS-Management, and the 5986 certificate. Work is pulled
 * lazily from the target iterator by a fixed pool of workers, so a /16 never materialises 65k
 * promises. Returns only addresses with at least one open port, in address order.
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

  const found: DiscoveredHost[] = [];
  const inFlight = new Map<string, AddressState>();
  let done = 0;

  // One shared generator of (address, port) work items: workers pull from it one at a time.
  function* work(): Generator<[string, number]> {
    for (const address of set) for (const port of ports) yield [address, port];
  }
  const queue = work();

  const probeOne = async (address: string, port: number) => {
    let state = inFlight.get(address);
    if (!state) {
      state = { remaining: ports.length, open: [], host: { address, open: [] } };
      inFlight.set(address, state);
    }
    const r = await probeTcp(address, port, { timeoutMs, readSshBanner: sshPorts.has(port), ...(signal ? { signal } : {}) });
    if (r.state === 'open' && !signal?.aborted) {
      state.open.push(port);
      if (r.banner) state.host.ssh = { banner: r.banner };
      if (httpPorts.has(port) || httpsPorts.has(port)) await identifyWinrm(state.host, address, port, httpsPorts.has(port), timeoutMs, signal);
    }
    if (--state.remaining === 0) {
      inFlight.delete(address);
      done++;
      if (state.open.length > 0) {
        state.host.open = state.open.sort((a, b) => a - b);
        guessOs(state.host);
        found.push(state.host);
      }
      opts.onProgress?.({ done, total: set.count, found: found.length });
    }
  };

  const worker = async () => {
    for (;;) {
      if (signal?.aborted) return;
      const next = queue.next();
      if (next.done) return;
      await probeOne(next.value[0], next.value[1]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, set.count * ports.length) }, worker));
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
      certificate = { subject: c.subject, fingerprint: c.fingerprint, notAfter: c.notAfter, expired: c.expired, expiresSoon: c.expiresSoon, selfSigned: c.selfSigned };
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
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) fail('usage', `--ports: ${part} is not a port or a port range`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a < 1 || b > 65535 || b < a) fail('usage', `--ports: ${part} is out of range 1-65535 or runs backwards`);
    for (let p = a; p <= b; p++) out.push(p);
  }
  return validatePorts(out);
}
