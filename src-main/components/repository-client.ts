import { createHash, X509Certificate } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fail } from '../model/errors.ts';
import { normalizeFingerprint, scanTlsCertificate, sha256Fingerprint } from '../remote/tls-scan.ts';
import { sha256File } from '../remote/local-file.ts';
import { INDEX_FILE, RepositoryIndexSchema } from './repository-index.ts';

/** A repository URL and how the workstation and the targets trust it. */
export interface RepositoryRef {
  /** Base URL ending in `/` (https://, or http:// with a warning). */
  url: string;
  scheme: 'https' | 'http';
  host: string;
  port: number;
  /** The pinned certificate (trust store or --fingerprint): SHA-256 of its DER, and its public key for curl's --pinnedpubkey. */
  pin: { fingerprint: string; spkiSha256: string; pem: string } | null;
}

export interface RepositoryFile {
  name: string;
  size: number | null;
  /** What the repository says; never the hash a target checks (that comes from the catalog or a pin). */
  claimedSha256: string | null;
  url: string;
}

export interface RepositoryListing {
  ref: RepositoryRef;
  via: 'index' | 'listing';
  files: RepositoryFile[];
  warnings: string[];
}

/** `--source` values that are a repository rather than a folder. */
export const isRepositoryUrl = (source: string): boolean => /^https?:\/\//i.test(source);

/** Parses and normalises a repository URL (a trailing slash is added: the files are relative to it). */
export function parseRepositoryUrl(source: string): { url: string; scheme: 'https' | 'http'; host: string; port: number } {
  let u: URL;
  try {
    u = new URL(source);
  } catch {
    return fail('usage', `--source ${source} is not a URL.`, { remedy: 'Give https://HOST[:PORT]/PATH/ (or a folder).' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') fail('usage', `--source ${source}: only https:// and http:// repositories are supported.`);
  if (u.username || u.password)
    fail('usage', `--source must not contain credentials (they would reach every target's command line and logs).`, {
      remedy: 'Use a repository that needs no login (installers are not secret; their SHA-256 is checked on each target).',
    });
  if (u.search || u.hash) fail('usage', `--source ${source}: a repository URL has no query or fragment.`);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  return { url: u.toString(), scheme, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) || (scheme === 'https' ? 443 : 80) };
}

/** SHA-256 of the certificate's public key (SPKI DER), base64: curl's `--pinnedpubkey sha256//…`. */
export function spkiSha256(pem: string): string {
  return createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

/**
 * Establishes trust in a repository the way the targets will: a pinned certificate (the trust
 * store's pin for HOST:PORT, or `fingerprint`) must be exactly the one presented; without a pin
 * the system CAs and the host name must vouch for it. Plain http:// is allowed with a warning
 * (the installer's SHA-256 is still checked on every target before anything runs).
 */
export async function connectRepository(
  source: string,
  opts: { pin?: string | null; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ ref: RepositoryRef; warnings: string[] }> {
  const p = parseRepositoryUrl(source);
  const warnings: string[] = [];
  if (p.scheme === 'http') {
    warnings.push(
      `the repository ${p.url} is plain HTTP: anyone on the path sees and can alter what the targets fetch (the installer's SHA-256 is checked on each target before it runs, so an altered file is refused, not run); prefer https:// (\`asr-deploy sources serve DIR\`)`,
    );
    return { ref: { ...p, pin: null }, warnings };
  }
  const pin = opts.pin ? normalizeFingerprint(opts.pin) : null;
  if (opts.pin && !pin) fail('usage', `The repository fingerprint ${opts.pin} is not a SHA-256 fingerprint (64 hex digits, colons allowed).`);
  const scanned = await scanTlsCertificate(p.host, p.port, { timeoutMs: opts.timeoutMs ?? 10_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (pin) {
    if (scanned.fingerprint !== pin) {
      fail(
        'certificate_mismatch',
        `The repository ${p.host}:${p.port} presented certificate ${scanned.fingerprint} (${scanned.subject}), not the pinned ${pin}.`,
        {
          remedy: `If the repository's certificate was replaced on purpose (\`sources serve\` makes a new one at each start), check the new fingerprint it printed and pin it: asr-deploy trust approve ${p.host}:${p.port} --fingerprint FP --replace.`,
          details: { fingerprint: scanned.fingerprint, pinned: pin },
        },
      );
    }
    if (scanned.expired)
      fail('certificate_expired', `The repository ${p.host}:${p.port}'s pinned certificate expired on ${scanned.notAfter}.`, {
        remedy: 'Renew it (restart `sources serve`) and pin the new fingerprint.',
      });
    return { ref: { ...p, pin: { fingerprint: pin, spkiSha256: spkiSha256(scanned.pem), pem: scanned.pem } }, warnings };
  }
  if (!scanned.trusted) {
    fail(
      'certificate_untrusted',
      `The repository ${p.host}:${p.port} presented a certificate that is not trusted (${scanned.trustError}); its SHA-256 fingerprint is ${scanned.fingerprint} (${scanned.subject}).`,
      {
        remedy: `Check the fingerprint against what \`sources serve\` printed (or the repository's owner), then pin it: asr-deploy trust approve ${p.host}:${p.port} --fingerprint ${scanned.fingerprint}`,
        details: { fingerprint: scanned.fingerprint, subject: scanned.subject },
      },
    );
  }
  return { ref: { ...p, pin: null }, warnings };
}

/** One GET/HEAD from the workstation, trusting exactly what connectRepository established. */
function request(
  ref: RepositoryRef,
  url: string,
  method: 'GET' | 'HEAD',
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<http.IncomingMessage> {
  const pin = ref.pin;
  const lib = ref.scheme === 'https' ? https : http;
  const tlsOpts: https.RequestOptions = pin
    ? {
        ca: [pin.pem],
        checkServerIdentity: (_name, cert) =>
          cert.raw && sha256Fingerprint(cert.raw) === pin.fingerprint
            ? undefined
            : Object.assign(new Error('the repository presented another certificate than the pinned one'), { code: 'ERR_CERT_PIN' }),
      }
    : {};
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, timeout: opts.timeoutMs ?? 30_000, ...tlsOpts, ...(opts.signal ? { signal: opts.signal } : {}) }, resolve);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs ?? 30_000} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e));
    req.end();
  }).catch((e: NodeJS.ErrnoException) =>
    fail(e.name === 'AbortError' ? 'cancelled' : 'unreachable', `The repository ${ref.url}: ${method} ${url} failed: ${e.code ?? ''} ${e.message}`.trim(), {
      remedy: 'Check that the repository runs and this workstation reaches it.',
    }),
  ) as Promise<http.IncomingMessage>;
}

async function body(res: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) fail('validation', `The repository's answer is larger than ${limit} bytes.`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** File names in an HTML directory listing (Apache, nginx autoindex, IIS, python -m http.server): the hrefs of one segment. */
export function namesFromListing(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/href\s*=\s*["']([^"'?#]+)["']/gi)) {
    let name: string;
    try {
      name = decodeURIComponent(m[1]!.replace(/^\.\//, ''));
    } catch {
      continue;
    }
    if (name && !name.includes('/') && !name.includes('\\') && !name.startsWith('.')) out.add(name);
  }
  return [...out].sort();
}

/**
 * What a repository holds, read from the workstation (a few KB): `index.json` when it has one
 * (names, sizes, claimed SHA-256), else its HTML listing, with each wanted file's size from a HEAD.
 */
export async function listRepository(
  ref: RepositoryRef,
  wanted: (name: string) => boolean,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RepositoryListing> {
  const warnings: string[] = [];
  const idx = await request(ref, new URL(INDEX_FILE, ref.url).toString(), 'GET', opts);
  if (idx.statusCode === 200) {
    const text = await body(idx);
    let parsed;
    try {
      parsed = RepositoryIndexSchema.safeParse(JSON.parse(text));
    } catch (e) {
      return fail('validation', `The repository's ${INDEX_FILE} is not JSON: ${(e as Error).message}`, {
        remedy: 'Serve the folder with `asr-deploy sources serve DIR`, or remove the broken index so the listing is read.',
      });
    }
    if (!parsed.success)
      fail('validation', `The repository's ${INDEX_FILE} is not an asr-deploy index: ${parsed.error.issues[0]?.message ?? ''}`, {
        remedy: 'Serve the folder with `asr-deploy sources serve DIR`.',
      });
    const files = parsed.data.files
      .filter((f) => !f.name.includes('/') && !f.name.includes('\\') && !f.name.startsWith('.') && wanted(f.name))
      .map((f) => ({ name: f.name, size: f.size, claimedSha256: f.sha256, url: fileUrl(ref, f.name) }));
    return { ref, via: 'index', files, warnings };
  }
  idx.resume();
  if (idx.statusCode !== 404)
    fail('unreachable', `The repository ${ref.url} answered ${idx.statusCode} for ${INDEX_FILE}.`, {
      remedy: 'Check the URL (it names the folder, ending in /).',
    });
  const list = await request(ref, ref.url, 'GET', opts);
  if (list.statusCode !== 200) {
    list.resume();
    fail('not_found', `The repository ${ref.url} has no ${INDEX_FILE} and no listing (HTTP ${list.statusCode}).`, {
      remedy: 'Serve the folder with `asr-deploy sources serve DIR`, or enable the web server’s directory listing, or add an index.json.',
    });
  }
  const names = namesFromListing(await body(list)).filter(wanted);
  const files: RepositoryFile[] = [];
  for (const name of names) {
    const h = await request(ref, fileUrl(ref, name), 'HEAD', opts);
    h.resume();
    if (h.statusCode !== 200) continue;
    const len = Number(h.headers['content-length']);
    files.push({ name, size: Number.isFinite(len) ? len : null, claimedSha256: null, url: fileUrl(ref, name) });
  }
  return { ref, via: 'listing', files, warnings };
}

export const fileUrl = (ref: { url: string }, name: string): string => new URL(encodeURIComponent(name), ref.url).toString();

/**
 * The workstation's own copy of a repository file (for hosts that push instead of pull): fetched
 * once into `cacheDir/<sha256>`, kept only when its SHA-256 is the trusted one.
 */
export async function cachedCopy(
  ref: RepositoryRef,
  file: { name: string; url: string },
  sha256: string,
  cacheDir: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const dir = join(cacheDir, sha256);
  const path = join(dir, file.name);
  if (existsSync(path) && (await sha256File(path)) === sha256) return path;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = `${path}.partial`;
  const res = await request(ref, file.url, 'GET', { timeoutMs: opts.timeoutMs ?? 30 * 60_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (res.statusCode !== 200) {
    res.resume();
    fail('not_found', `The repository answered ${res.statusCode} for ${file.url}.`);
  }
  await pipeline(res, createWriteStream(partial, { mode: 0o600 }));
  const got = await sha256File(partial);
  if (got !== sha256) {
    rmSync(partial, { force: true });
    fail('hash_mismatch', `${file.name} from ${file.url} has SHA-256 ${got}, not the trusted ${sha256}; it was not kept and nothing ran.`, {
      remedy: 'The repository holds another file under this name: replace it with Microsoft’s download.',
      details: { file: file.name, actual: got, expected: sha256 },
    });
  }
  renameSync(partial, path);
  return path;
}
