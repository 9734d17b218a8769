import { fail } from '../model/errors.ts';
import { nowIso } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import { validateAddress } from '../store/hosts.ts';

/** A named HTTP proxy (`proxy set`): kept in `settings` under `proxy/NAME`; its password lives in the credential store. */
export interface ProxyRecord {
  name: string;
  /** `http://HOST:PORT`, normalised. */
  url: string;
  host: string;
  port: number;
  /** Credential (user + password) the proxy wants, or null for an unauthenticated proxy. */
  credential: string | null;
  createdAt: string;
  updatedAt: string;
}

const KEY = 'proxy/';
export const PROXY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * `http://HOST:PORT` → host and port. Only HTTP proxies: the Provider does not support HTTPS-based
 * proxies (asr-components.md §1.5). Anything else is a usage error before anything is stored.
 */
export function parseProxyUrl(url: string): { url: string; host: string; port: number } {
  const usage = (why: string): never =>
    fail('usage', `--url ${JSON.stringify(url)}: ${why}`, {
      remedy: 'Give the proxy as http://HOST:PORT, e.g. http://proxy.contoso.local:8080, and its account with --credential NAME.',
    });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return usage('not a URL.');
  }
  if (u.protocol === 'https:') {
    fail('usage', `--url ${JSON.stringify(url)}: an HTTPS proxy is not supported by the Site Recovery Provider.`, {
      remedy:
        'Use the proxy’s plain HTTP listener (http://HOST:PORT); the Provider and MARS agent tunnel TLS through it with CONNECT. Microsoft: "An HTTPS-based proxy isn\'t supported."',
    });
  }
  if (u.protocol !== 'http:') usage(`the scheme must be http:, not ${u.protocol}`);
  if (u.username || u.password)
    usage('a user or password in the URL would end up in shell history and process lists; store them with `credentials add` and give --credential NAME.');
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) usage('a proxy URL has no path, query or fragment.');
  if (!/:\d+\/?$/.test(url.trim())) usage('the port is missing (http://HOST:PORT).');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  try {
    validateAddress(host);
  } catch {
    usage(`"${host}" is not an IP address or host name.`);
  }
  const port = Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usage('the port must be 1-65535.');
  return { url: `http://${u.host}`, host, port };
}

export function setProxy(store: Store, input: { name: string; url: string; credential?: string | null }): ProxyRecord {
  if (!PROXY_NAME.test(input.name))
    fail('usage', `"${input.name}" is not a valid proxy name.`, { remedy: 'Use 1-64 letters, digits, _ . -, starting with a letter or digit.' });
  const parsed = parseProxyUrl(input.url);
  if (input.credential) {
    const c = store.credentials.info(input.credential);
    if (!c)
      fail('not_found', `No credential named "${input.credential}".`, {
        remedy: `asr-deploy credentials add ${input.credential} --user USER --password-stdin`,
      });
    if (c.kind !== 'password')
      fail('validation', `The credential "${input.credential}" holds a key; a proxy needs a user name and password.`, {
        remedy: 'Add a password credential for the proxy account.',
      });
  }
  const before = getProxy(store, input.name);
  const now = nowIso();
  const rec: ProxyRecord = { name: input.name, ...parsed, credential: input.credential ?? null, createdAt: before?.createdAt ?? now, updatedAt: now };
  store.settings.set(KEY + input.name, rec);
  return rec;
}

export function getProxy(store: Store, name: string): ProxyRecord | undefined {
  return store.settings.get<ProxyRecord>(KEY + name);
}

export function requireProxy(store: Store, name: string): ProxyRecord {
  const p = getProxy(store, name);
  if (!p)
    fail('not_found', `No proxy named "${name}".`, {
      remedy: 'See `asr-deploy proxy list`, or add it with `asr-deploy proxy set NAME --url http://HOST:PORT`.',
    });
  return p;
}

export function listProxies(store: Store): ProxyRecord[] {
  return store.settings
    .keys(KEY)
    .map((k) => store.settings.get<ProxyRecord>(k)!)
    .filter(Boolean);
}

/** The proxy account in memory for one run (user + password), or null. */
export function proxyAccount(store: Store, p: ProxyRecord): { user: string; password: string } | null {
  if (!p.credential) return null;
  const s = store.credentials.secret(p.credential);
  if (!s.password) fail('validation', `The credential "${p.credential}" of proxy ${p.name} has no password.`);
  return { user: s.user, password: s.password };
}
