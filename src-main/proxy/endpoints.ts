import { fail } from '../model/errors.ts';
import { validateAddress } from '../store/hosts.ts';

/**
 * What a proxy must let through for the Provider and the MARS agent (asr-components.md §5.2):
 * HTTPS (CONNECT :443) to the wildcard domains, one concrete name each (the wildcards cannot be
 * asked for), and the time servers. NTP itself never crosses an HTTP proxy; the time servers are
 * asked for over plain HTTP so a proxy that blocks their names shows up.
 */
export interface ProxyEndpoint {
  kind: 'connect' | 'http';
  host: string;
  port: number;
  /** What the endpoint stands for (the documented wildcard), for the report. */
  purpose: string;
}

export const REQUIRED_ENDPOINTS: readonly ProxyEndpoint[] = [
  {
    kind: 'connect',
    host: 'pod01-srs1.weu.hypervrecoverymanager.windowsazure.com',
    port: 443,
    purpose: '*.hypervrecoverymanager.windowsazure.com (management)',
  },
  { kind: 'connect', host: 'login.accesscontrol.windows.net', port: 443, purpose: '*.accesscontrol.windows.net (identity)' },
  { kind: 'connect', host: 'pod01-rec2.weu.backup.windowsazure.com', port: 443, purpose: '*.backup.windowsazure.com (replication data transfer)' },
  { kind: 'connect', host: 'asrcachestorage.blob.core.windows.net', port: 443, purpose: '*.blob.core.windows.net (storage)' },
  { kind: 'connect', host: 'asrstore.store.core.windows.net', port: 443, purpose: '*.store.core.windows.net' },
  { kind: 'http', host: 'time.windows.com', port: 80, purpose: 'time.windows.com (time server)' },
  { kind: 'http', host: 'time.nist.gov', port: 80, purpose: 'time.nist.gov (time server)' },
];

/** `HOST:PORT` (CONNECT) or `http://HOST[:PORT]` (a plain HTTP request through the proxy). */
export function parseEndpoint(spec: string): ProxyEndpoint {
  const usage = (): never =>
    fail('usage', `--endpoint ${JSON.stringify(spec)} is not HOST:PORT or http://HOST[:PORT].`, {
      remedy: 'For example --endpoint fake.blob.core.windows.net:443 (CONNECT) or --endpoint http://time.windows.com.',
    });
  let kind: ProxyEndpoint['kind'] = 'connect';
  let host: string;
  let port: number;
  const http = /^http:\/\/([^/:]+)(?::(\d+))?\/?$/i.exec(spec);
  const hp = /^([^:/\s]+):(\d+)$/.exec(spec);
  if (http) {
    kind = 'http';
    host = http[1]!;
    port = http[2] ? Number(http[2]) : 80;
  } else if (hp) {
    host = hp[1]!;
    port = Number(hp[2]);
  } else return usage();
  if (!(port >= 1 && port <= 65535)) usage();
  try {
    validateAddress(host);
  } catch {
    usage();
  }
  return { kind, host, port, purpose: spec };
}
