import { z } from 'zod';
import { remoteScript, shScript } from '../components/scripts.ts';
import { fail } from '../model/errors.ts';
import type { Transport } from '../remote/transport.ts';
import type { ScriptRunner } from '../discovery/hyperv/discover.ts';
import type { ProxyEndpoint } from './endpoints.ts';
import pLimit from 'p-limit';

/** What a host saw when it asked the proxy for one endpoint (printed by proxy-test.sh / proxy-test.ps1). */
export const ObservationSchema = z.object({
  kind: z.enum(['connect', 'http']),
  host: z.string(),
  port: z.number().int(),
  method: z.string(),
  connected: z.boolean(),
  statusLine: z
    .string()
    .nullable()
    .transform((s) => s || null),
  proxyError: z
    .string()
    .nullable()
    .transform((s) => s || null),
  error: z
    .string()
    .nullable()
    .transform((s) => s || null),
});
export type Observation = z.infer<typeof ObservationSchema>;

export type ProxyOutcome = 'ok' | 'proxy_auth_failed' | 'proxy_unreachable' | 'refused_by_proxy';

export interface EndpointResult {
  endpoint: string;
  kind: 'connect' | 'http';
  purpose: string;
  outcome: ProxyOutcome;
  /** The proxy's status line (`HTTP/1.1 407 Proxy Authentication Required`), when it answered. */
  status: string | null;
  detail: string | null;
  method: string;
}

/**
 * One observation → one outcome. CONNECT is ok only with a 2xx from the proxy (the tunnel is up).
 * A plain HTTP request is ok when the answer came from the destination: any status except 407
 * and the proxy's own refusals (a Squid error header / Proxy-Status, or 502/503/504 gateway errors).
 */
export function judge(o: Observation, e: ProxyEndpoint): EndpointResult {
  const base = { endpoint: `${o.host}:${o.port}`, kind: o.kind, purpose: e.purpose, status: o.statusLine, method: o.method };
  const code = o.statusLine ? Number(/^HTTP\/[\d.]+\s+(\d{3})/.exec(o.statusLine)?.[1] ?? NaN) : NaN;
  if (!o.connected) return { ...base, outcome: 'proxy_unreachable', detail: o.error ?? 'no TCP connection to the proxy' };
  if (!Number.isFinite(code))
    return {
      ...base,
      outcome: 'proxy_unreachable',
      detail: o.error ? `the proxy accepted the connection but gave no HTTP answer (${o.error})` : 'the proxy accepted the connection but gave no HTTP answer',
    };
  if (code === 407)
    return { ...base, outcome: 'proxy_auth_failed', detail: 'the proxy refused the proxy account (407): check the user name and password of the credential' };
  const proxyRefusal = o.proxyError ? `proxy error ${o.proxyError}` : null;
  if (o.kind === 'connect') {
    if (code >= 200 && code < 300) return { ...base, outcome: 'ok', detail: null };
    return { ...base, outcome: 'refused_by_proxy', detail: proxyRefusal ?? `the proxy answered CONNECT with ${code}` };
  }
  if (proxyRefusal || code === 502 || code === 503 || code === 504)
    return { ...base, outcome: 'refused_by_proxy', detail: proxyRefusal ?? `the proxy answered ${code}` };
  return { ...base, outcome: 'ok', detail: `the destination answered ${code}` };
}

export interface ProbeInput {
  proxy: { host: string; port: number };
  account: { user: string; password: string } | null;
  endpoints: readonly ProxyEndpoint[];
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Linux only: force curl or the bash /dev/tcp fallback (default: curl when present). */
  method?: 'auto' | 'curl' | 'devtcp';
}

function parseObservations(lines: unknown[], host: string, endpoints: readonly ProxyEndpoint[]): EndpointResult[] {
  const obs = lines.map((l) => {
    const p = ObservationSchema.safeParse(l);
    if (!p.success) fail('command_failed', `${host}: the proxy test printed an unexpected line: ${JSON.stringify(l).slice(0, 200)}`, { host });
    return p.data;
  });
  if (obs.length !== endpoints.length) fail('command_failed', `${host}: the proxy test answered for ${obs.length} of ${endpoints.length} endpoints.`, { host });
  return obs.map((o, i) => judge(o, endpoints[i]!));
}

/**
 * Linux over SSH: resources/scripts/linux/proxy-test.sh; the account reaches the host on stdin only.
 * Endpoints are asked on up to 4 channels of the one connection at once (sshd allows 10 sessions
 * per connection by default): a proxy that spends seconds failing DNS for each name would
 * otherwise make the test of one host take the sum of them.
 */
export async function probeFromLinux(t: Transport, input: ProbeInput): Promise<EndpointResult[]> {
  const limit = pLimit(4);
  const parts = await Promise.all(input.endpoints.map((e) => limit(() => probeBatchFromLinux(t, { ...input, endpoints: [e] }))));
  return parts.flat();
}

async function probeBatchFromLinux(t: Transport, input: ProbeInput): Promise<EndpointResult[]> {
  const timeout = input.timeoutSeconds ?? 10;
  const args = input.endpoints.flatMap((e) => [e.kind, e.host, String(e.port)]);
  const stdin = input.account ? `${input.account.user}\n${input.account.password}\n` : '\n\n';
  const r = await t.exec(shScript('proxy-test.sh', input.method ?? 'auto', String(timeout), input.proxy.host, String(input.proxy.port), ...args), {
    stdin,
    allowNonZero: true,
    timeoutMs: (timeout * 2 + 5) * 1000 * input.endpoints.length + 10_000,
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const broken = lines.find((l) => typeof l.error === 'string' && !('kind' in l));
  if (broken || r.exitCode !== 0)
    fail('prerequisite_failed', `${t.host}: cannot test the proxy from this host: ${String(broken?.error ?? (r.stderr.trim() || `exit ${r.exitCode}`))}`, {
      host: t.host,
      remedy: 'Install curl (or bash) on the host.',
    });
  return parseObservations(lines, t.host, input.endpoints);
}

/** Windows over PowerShell: resources/scripts/windows/proxy-test.ps1; the password only in the secrets channel. */
export async function probeFromWindows(runner: ScriptRunner, input: ProbeInput): Promise<EndpointResult[]> {
  const timeout = input.timeoutSeconds ?? 10;
  const doc = await runner.runScript<{ results: unknown }>(
    remoteScript('windows', 'proxy-test.ps1'),
    {
      ProxyHost: input.proxy.host,
      ProxyPort: input.proxy.port,
      ProxyUser: input.account?.user ?? '',
      Endpoints: input.endpoints.map((e) => `${e.kind}|${e.host}|${e.port}`),
      TimeoutSeconds: timeout,
    },
    {
      what: 'proxy test',
      secrets: input.account ? { ProxyPassword: input.account.password } : {},
      timeoutMs: (timeout * 2 + 5) * 1000 * input.endpoints.length + 10_000,
      ...(input.signal ? { signal: input.signal } : {}),
    },
  );
  const results = Array.isArray(doc?.results) ? doc.results : doc?.results ? [doc.results] : [];
  return parseObservations(results, runner.host, input.endpoints);
}
