import { X509Certificate } from 'node:crypto';
import { constants, createReadStream, promises as fsp, type Stats } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, sep } from 'node:path';
import { fail } from '../model/errors.ts';
import { selfSignedCertificate } from '../remote/powershell/loopback-cert.ts';
import { sha256File } from '../remote/local-file.ts';
import { INDEX_FILE, INDEX_FORMAT, type RepositoryIndex } from './repository-index.ts';

export interface RepositoryServerOptions {
  /** The folder served, flat (like pushinstallsvc\repository): its regular files, nothing below. */
  dir: string;
  /** Address to bind; default 0.0.0.0 (targets must reach it). */
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** One line per request: who fetched what, with status and bytes. */
  log?: (line: string) => void;
  /** Extra names for the certificate (the addresses targets use when the server binds 0.0.0.0). */
  names?: readonly string[];
}

export interface RepositoryServer {
  /** https://ADDR:PORT/ as targets should use it. */
  url: string;
  address: string;
  port: number;
  /** SHA-256 of the DER certificate (64 hex digits, cli.md): what `trust approve ADDR:PORT --fingerprint` pins. */
  fingerprint: string;
  certificatePem: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

interface Entry {
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * `sources serve DIR`: a read-only HTTPS repository that targets pull installers from (issue 14).
 * GET/HEAD only; `/index.json` lists each regular file's name, size and SHA-256 (computed here,
 * cached by size and mtime); `/NAME` serves one file of DIR. A name with a separator, `..`, a
 * leading dot or NUL is refused, and so is a symlink whose target is outside DIR. The certificate
 * is self-signed and generated at start: its fingerprint is what clients pin.
 */
export async function startRepositoryServer(o: RepositoryServerOptions): Promise<RepositoryServer> {
  let root: string;
  try {
    root = await fsp.realpath(o.dir);
    if (!(await fsp.stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    return fail('validation', `Cannot serve ${o.dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
      remedy: 'Give a folder that holds the installers.',
    });
  }
  const bind = o.host ?? '0.0.0.0';
  if (!isIP(bind)) fail('usage', `--listen takes an IP address, not "${bind}".`, { remedy: 'For example --listen 0.0.0.0:8443 or --listen 10.0.0.5:8443.' });
  const log = o.log ?? (() => undefined);
  const names = [...new Set([...(bind === '0.0.0.0' || bind === '::' ? [] : [bind]), ...(o.names ?? [])])];
  const ips = names.filter((n) => isIP(n));
  const dns = [...names.filter((n) => !isIP(n)), ...(bind === '0.0.0.0' || bind === '::' ? [hostname()] : [])].filter((n) => /^[A-Za-z0-9.-]+$/.test(n));
  const cert = selfSignedCertificate({ commonName: names[0] ?? hostname(), ips: ips.length ? ips : ['127.0.0.1'], dns, validMs: 397 * 86_400_000 });
  const fingerprint = new X509Certificate(cert.cert).fingerprint256.replace(/:/g, '').toLowerCase();
  const cache = new Map<string, Entry>();

  /** The file NAME of DIR, or why not (404 for anything that is not a regular file inside DIR). */
  async function resolveFile(name: string): Promise<{ path: string; st: Stats } | { status: number; why: string }> {
    if (!name || name.includes('/') || name.includes('\\') || name.includes('\0') || name.startsWith('.'))
      return { status: 404, why: 'not a file name of the repository' };
    let real: string;
    try {
      real = await fsp.realpath(join(root, name));
    } catch {
      return { status: 404, why: 'no such file' };
    }
    // A symlink may point within DIR; anything resolving outside it is refused.
    if (!real.startsWith(root + sep) || real.slice(root.length + 1).includes(sep)) return { status: 404, why: 'outside the repository folder' };
    const st = await fsp.stat(real).catch(() => null);
    if (!st?.isFile()) return { status: 404, why: 'not a regular file' };
    return { path: real, st };
  }

  async function entries(): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const name of (await fsp.readdir(root)).sort()) {
      const f = await resolveFile(name);
      if (!('path' in f)) continue;
      let e = cache.get(name);
      if (!e || e.size !== f.st.size || e.mtimeMs !== f.st.mtimeMs) {
        e = { name, size: f.st.size, mtimeMs: f.st.mtimeMs, sha256: await sha256File(f.path) };
        cache.set(name, e);
      }
      out.push(e);
    }
    return out;
  }
  await entries(); // hash once at start: the first target does not wait for it

  const server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const started = Date.now();
    const who = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?';
    let path = '';
    const done = (status: number, bytes: number, note = '') =>
      log(`${new Date().toISOString()} ${who} ${req.method} /${path} ${status} ${bytes} bytes ${Date.now() - started} ms${note ? ` (${note})` : ''}`);
    const refuse = (status: number, why: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`${why}\n`);
      done(status, 0, why);
    };
    void (async () => {
      try {
        const u = new URL(req.url ?? '/', 'https://repository.invalid');
        try {
          path = decodeURIComponent(u.pathname.replace(/^\//, ''));
        } catch {
          path = u.pathname.slice(1);
          return refuse(400, 'bad URL encoding');
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.setHeader('allow', 'GET, HEAD');
          return refuse(405, 'read-only repository');
        }
        if (path === INDEX_FILE || path === '') {
          const index: RepositoryIndex = { format: INDEX_FORMAT, files: (await entries()).map(({ name, size, sha256 }) => ({ name, size, sha256 })) };
          const body = Buffer.from(`${JSON.stringify(index, null, 1)}\n`);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : body);
          return done(200, req.method === 'HEAD' ? 0 : body.length);
        }
        const f = await resolveFile(path);
        if (!('path' in f)) return refuse(f.status, f.why);
        // Opened without following a link again: what was checked is what is sent.
        const fh = await fsp.open(f.path, constants.O_RDONLY | constants.O_NOFOLLOW);
        const st = await fh.stat();
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size, 'last-modified': st.mtime.toUTCString() });
        if (req.method === 'HEAD') {
          await fh.close();
          res.end();
          return done(200, 0);
        }
        const stream = createReadStream('', { fd: fh, highWaterMark: 1 << 20 });
        let sent = 0;
        stream.on('data', (c) => (sent += c.length));
        stream.pipe(res);
        res.on('close', () => {
          stream.destroy();
          done(200, sent, sent < st.size ? `stopped after ${sent} of ${st.size} bytes` : '');
        });
      } catch (e) {
        if (!res.headersSent) refuse(500, (e as Error).message);
        else res.destroy();
      }
    })();
  });
  server.on('tlsClientError', (e, socket) =>
    log(`${new Date().toISOString()} ${socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?'} TLS handshake failed: ${e.message}`),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e));
    server.listen(o.port ?? 0, bind, () => resolve());
  }).catch((e: NodeJS.ErrnoException) =>
    fail('validation', `Cannot listen on ${bind}:${o.port ?? 0}: ${e.code ?? e.message}.`, {
      remedy: e.code === 'EADDRINUSE' ? 'Choose another port with --listen ADDR:PORT.' : 'Give an address of this machine with --listen ADDR:PORT.',
    }),
  );
  const port = (server.address() as AddressInfo).port;
  const address = bind === '0.0.0.0' || bind === '::' ? (ips[0] ?? hostname()) : bind;
  const hostPart = address.includes(':') ? `[${address}]` : address;
  return {
    url: `https://${hostPart}:${port}/`,
    address,
    port,
    fingerprint,
    certificatePem: cert.cert,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
