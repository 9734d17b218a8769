// The lab's HTTP proxy: a real squid with basic authentication, CONNECT to a few ports, no disk
// cache, own config/pid/log dirs, and a lab-local hosts_file so that Azure-like names resolve to
// the lab endpoint (a TLS/HTTP listener in the lab's `svc` namespace). Destinations outside the
// lab subnet and loopback are refused, so the proxy can never reach anything else.

import { spawn } from 'node:child_process';
import { chownSync, closeSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProxyState } from './types.ts';
import { LAB_DIR, nodeBinary, readFileOr, run, secret, waitFor, waitForPort } from './util.ts';

export const ENDPOINT_NAMES = [
  'fake.hypervrecoverymanager.windowsazure.com',
  'fake.backup.windowsazure.com',
  'fake.blob.core.windows.net',
  'fake.accesscontrol.windows.net',
  'fake.store.core.windows.net',
  'login.microsoftonline.com',
];
export const CONNECT_PORTS = [443, 8443, 9443, 5986];
export const SQUID_PORT = 3128;
export const ENDPOINT_OCTET = 250;

export function squidMissing(): string | undefined {
  try {
    statSync('/usr/sbin/squid');
    statSync('/usr/lib/squid/basic_ncsa_auth');
    return undefined;
  } catch {
    return 'squid is not installed (apt-get install -y squid)';
  }
}

export interface EndpointInfo {
  address: string;
  ns: string;
  tlsPort: number;
  httpPort: number;
  certPath: string;
  pid: number;
}

/**
 * Starts the endpoint in its own namespace `asrlab-<id>-svc` at <base>.250 (or, for another
 * listener such as the stand-in replication appliance, `asrlab-<id>-<suffix>` at <base>.<octet>).
 */
export async function startEndpoint(
  labId: string,
  bridge: string,
  base: string,
  dir: string,
  opts: { octet?: number; suffix?: string; names?: string[]; cn?: string } = {},
): Promise<EndpointInfo> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const octet = opts.octet ?? ENDPOINT_OCTET;
  const ns = `asrlab-${labId}-${opts.suffix ?? 'svc'}`;
  const veth = `asrl${labId}v${octet}`;
  const address = `${base}.${octet}`;
  const certPath = join(dir, 'endpoint.crt');
  const keyPath = join(dir, 'endpoint.key');
  const names = opts.names ?? ENDPOINT_NAMES;
  const san = [...names.map((n) => `DNS:${n}`), `IP:${address}`].join(',');
  await Promise.all([
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      `/CN=${opts.cn ?? 'fake.hypervrecoverymanager.windowsazure.com'}/O=ASR Deploy test lab`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]),
    (async () => {
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    })(),
  ]);
  const out = join(dir, 'endpoint.out');
  const outFd = openSync(out, 'w', 0o600);
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      nodeBinary(),
      join(LAB_DIR, 'endpoint.ts'),
      '--address',
      address,
      '--tls-port',
      '443',
      '--http-port',
      '80',
      '--cert',
      certPath,
      '--key',
      keyPath,
    ],
    { detached: true, stdio: ['ignore', outFd, outFd] },
  );
  closeSync(outFd);
  let exited: number | null | undefined;
  child.once('exit', (c) => (exited = c));
  child.unref();
  await waitFor(
    'the lab endpoint',
    () => {
      if (exited !== undefined) throw new Error(`endpoint exited ${exited}: ${readFileOr(out, '')}`);
      return readFileOr(out, '').includes('ready') ? true : undefined;
    },
    15_000,
  );
  return { address, ns, tlsPort: 443, httpPort: 80, certPath, pid: child.pid ?? 0 };
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/** Starts squid on <bridgeAddress>:3128 with basic auth; the endpoint names resolve to endpoint.address. */
export async function startSquid(dir: string, bridgeAddress: string, subnet: string, endpoint: EndpointInfo): Promise<ProxyState> {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const user = 'asrlab-proxy';
  const password = secret();
  const hash = (await run('openssl', ['passwd', '-apr1', '-stdin'], { input: password + '\n' })).stdout.trim();
  writeFileSync(join(dir, 'passwd'), `${user}:${hash}\n`, { mode: 0o640 });
  writeFileSync(join(dir, 'hosts'), `${endpoint.address} ${ENDPOINT_NAMES.join(' ')}\n`, { mode: 0o644 });
  const conf = [
    '# ASR Deploy test lab proxy (generated by test/lab/proxy.ts)',
    `http_port ${bridgeAddress}:${SQUID_PORT}`,
    `pid_filename ${dir}/squid.pid`,
    `cache_log ${dir}/cache.log`,
    `access_log stdio:${dir}/access.log`,
    'cache_store_log none',
    'cache deny all',
    'cache_mem 4 MB',
    `coredump_dir ${dir}`,
    'netdb_filename none',
    'pinger_enable off',
    'icp_port 0',
    'htcp_port 0',
    'snmp_port 0',
    'visible_hostname asr-lab-proxy',
    'shutdown_lifetime 0 seconds',
    'logfile_rotate 0',
    'cache_effective_user proxy',
    // Names come from the lab hosts file; anything else goes to a resolver on loopback that does
    // not exist, and fails quickly (the lab never contacts outside addresses).
    `hosts_file ${dir}/hosts`,
    'dns_nameservers 127.0.0.1',
    'dns_timeout 2 seconds',
    'dns_retransmit_interval 1 seconds',
    `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${dir}/passwd`,
    'auth_param basic realm asr-lab-proxy',
    'auth_param basic children 2 startup=1 idle=1',
    'auth_param basic credentialsttl 1 minute',
    'acl authed proxy_auth REQUIRED',
    `acl lab_dst dst ${subnet} 127.0.0.0/8`,
    `acl SSL_ports port ${CONNECT_PORTS.join(' ')}`,
    `acl Safe_ports port 80 ${CONNECT_PORTS.join(' ')}`,
    'acl CONNECT method CONNECT',
    'http_access deny !Safe_ports',
    'http_access deny CONNECT !SSL_ports',
    'http_access deny !authed',
    'http_access deny !lab_dst',
    'http_access allow authed',
    'http_access deny all',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'squid.conf'), conf, { mode: 0o640 });
  chownTree(dir, 13, 13); // proxy:proxy (Debian's fixed ids); squid drops to it
  const out = join(dir, 'squid.out');
  const outFd = openSync(out, 'w', 0o600);
  const child = spawn('/usr/sbin/squid', ['-N', '-f', join(dir, 'squid.conf')], { detached: true, stdio: ['ignore', outFd, outFd] });
  closeSync(outFd);
  let exited: number | null | undefined;
  child.once('exit', (c) => (exited = c));
  child.unref();
  await waitFor(
    'squid to listen',
    async () => {
      if (exited !== undefined) throw new Error(`squid exited ${exited}: ${readFileOr(out, '')}${readFileOr(join(dir, 'cache.log'), '').slice(-2000)}`);
      try {
        await waitForPort(bridgeAddress, SQUID_PORT, true, 200);
        return true;
      } catch {
        return undefined;
      }
    },
    20_000,
  );
  return {
    url: `http://${user}:${password}@${bridgeAddress}:${SQUID_PORT}`,
    host: bridgeAddress,
    port: SQUID_PORT,
    user,
    password,
    pid: child.pid ?? 0,
    endpointNames: ENDPOINT_NAMES,
    endpoint,
    connectPorts: CONNECT_PORTS,
  };
}
