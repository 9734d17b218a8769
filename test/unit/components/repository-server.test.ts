import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRepositoryServer, type RepositoryServer } from '../../../src-main/components/repository-server.ts';
import { connectRepository, listRepository, namesFromListing, parseRepositoryUrl } from '../../../src-main/components/repository-client.ts';
import { BIN } from '../../helpers/cli.ts';

/** One request with the server's certificate as the only trust anchor; resolves status, body and the peer's fingerprint. */
function get(server: RepositoryServer, path: string, method = 'GET'): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url}${path}`, { method, ca: [server.certificatePem], agent: false }, (res) => {
      let body = '';
      const fingerprint = createHash('sha256')
        .update((res.socket as TLSSocket).getPeerCertificate().raw)
        .digest('hex');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sources serve: the read-only HTTPS repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'asr-repo-'));
  const dir = join(root, 'repo');
  const outside = join(root, 'secret.txt');
  const lines: string[] = [];
  let server: RepositoryServer;
  beforeAll(async () => {
    mkdirSync(dir);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'Microsoft-ASR_UA_9.62.7096.1_UBUNTU-22.04-64_GA_01Jan2026_release.tar.gz'), 'installer bytes');
    writeFileSync(join(dir, 'sub', 'nested.txt'), 'nested');
    writeFileSync(join(dir, '.hidden'), 'hidden');
    writeFileSync(outside, 'not for targets');
    symlinkSync(outside, join(dir, 'escape.txt'));
    symlinkSync(join(dir, 'Microsoft-ASR_UA_9.62.7096.1_UBUNTU-22.04-64_GA_01Jan2026_release.tar.gz'), join(dir, 'inside-link.tar.gz'));
    server = await startRepositoryServer({ dir, host: '127.0.0.1', port: 0, log: (l) => lines.push(l) });
  });
  afterAll(async () => server?.close());

  it('serves an index of the regular files with size and SHA-256, over the certificate whose fingerprint it reports', async () => {
    const r = await get(server, 'index.json');
    expect(r.status).toBe(200);
    expect(r.fingerprint).toBe(server.fingerprint);
    expect(new X509Certificate(server.certificatePem).checkIP('127.0.0.1')).toBe('127.0.0.1');
    const index = JSON.parse(r.body) as { format: string; files: { name: string; size: number; sha256: string }[] };
    expect(index.format).toBe('asr-deploy-repository/1');
    expect(index.files.map((f) => f.name)).toEqual(['Microsoft-ASR_UA_9.62.7096.1_UBUNTU-22.04-64_GA_01Jan2026_release.tar.gz', 'inside-link.tar.gz']);
    expect(index.files[0]).toMatchObject({ size: 15, sha256: createHash('sha256').update('installer bytes').digest('hex') });
  });

  it('serves a file, and a symlink that stays inside the folder', async () => {
    expect(await get(server, 'Microsoft-ASR_UA_9.62.7096.1_UBUNTU-22.04-64_GA_01Jan2026_release.tar.gz')).toMatchObject({
      status: 200,
      body: 'installer bytes',
    });
    expect(await get(server, 'inside-link.tar.gz')).toMatchObject({ status: 200, body: 'installer bytes' });
  });

  it.each([
    ['a symlink out of the folder', 'escape.txt'],
    ['a traversal with encoded slashes', '..%2fsecret.txt'],
    ['an encoded traversal', '%2e%2e%2fsecret.txt'],
    ['a backslash traversal', '..%5csecret.txt'],
    ['a subfolder', 'sub%2fnested.txt'],
    ['a subfolder by path', 'sub/nested.txt'],
    ['a dot file', '.hidden'],
    ['a NUL byte', 'a%00b'],
    ['a missing file', 'nope.tar.gz'],
  ])('refuses %s with 404 and logs why', async (_what, path) => {
    const r = await get(server, path);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('not for targets');
    expect(lines.at(-1)).toMatch(/127\.0\.0\.1 GET \/.* 404 0 bytes/);
  });

  it('is read-only: only GET and HEAD', async () => {
    expect((await get(server, 'inside-link.tar.gz', 'PUT')).status).toBe(405);
    expect((await get(server, 'inside-link.tar.gz', 'DELETE')).status).toBe(405);
    expect((await get(server, 'inside-link.tar.gz', 'HEAD')).status).toBe(200);
  });

  it('logs which address fetched which file, with status and bytes', async () => {
    await get(server, 'inside-link.tar.gz');
    expect(lines.some((l) => /^\d{4}-\d\d-\d\dT\S+ 127\.0\.0\.1 GET \/inside-link\.tar\.gz 200 15 bytes \d+ ms$/.test(l))).toBe(true);
  });

  it('is read by the workstation client through its pin, with the repository’s hashes kept as claims only', async () => {
    const { ref } = await connectRepository(server.url, { pin: server.fingerprint.toUpperCase().replace(/(..)/g, '$1:').slice(0, -1) });
    const list = await listRepository(ref, (n) => n.endsWith('.tar.gz'));
    expect(list.via).toBe('index');
    expect(list.files.map((f) => f.name)).toContain('inside-link.tar.gz');
    expect(list.files[0]!.claimedSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is refused by the client when the pin differs, and when nothing vouches for it', async () => {
    await expect(connectRepository(server.url, { pin: 'ab'.repeat(32) })).rejects.toMatchObject({ data: { code: 'certificate_mismatch' } });
    await expect(connectRepository(server.url)).rejects.toMatchObject({
      data: { code: 'certificate_untrusted', details: { fingerprint: server.fingerprint } },
    });
  });

  it('refuses a folder it cannot read, and a --listen that is not an address', async () => {
    await expect(startRepositoryServer({ dir: join(root, 'missing') })).rejects.toMatchObject({ data: { code: 'validation' } });
    await expect(startRepositoryServer({ dir, host: 'example.invalid' })).rejects.toMatchObject({ data: { code: 'usage' } });
  });
});

describe('repository URLs and listings', () => {
  it('normalises a URL and refuses credentials, queries and other schemes', () => {
    expect(parseRepositoryUrl('https://repo.local:8443/asr')).toEqual({ url: 'https://repo.local:8443/asr/', scheme: 'https', host: 'repo.local', port: 8443 });
    expect(parseRepositoryUrl('http://10.0.0.5/asr/')).toMatchObject({ scheme: 'http', port: 80 });
    for (const bad of ['https://u:p@repo/asr/', 'https://repo/asr/?x=1', 'ftp://repo/asr/', 'not a url']) expect(() => parseRepositoryUrl(bad)).toThrow();
  });

  it('reads file names from an HTML directory listing (one path segment each)', () => {
    const html =
      '<a href="../">../</a><a href="Microsoft-ASR_UA_9.62.7096.1_RHEL8-64_GA_01Jan2026_release.tar.gz">x</a><a href="sub/">sub/</a><a href="/abs/file">f</a><a href="a%20b.exe">a b</a><a href="?C=N;O=D">sort</a>';
    expect(namesFromListing(html)).toEqual(['Microsoft-ASR_UA_9.62.7096.1_RHEL8-64_GA_01Jan2026_release.tar.gz', 'a b.exe']);
  });
});

describe('asr-deploy sources serve', () => {
  it('prints its URL and fingerprint as JSON, serves, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-repo-cli-'));
    writeFileSync(join(dir, 'f.bin'), 'x');
    const child = spawn(
      process.execPath,
      [BIN, '--home', mkdtempSync(join(tmpdir(), 'asr-home-')), '--json', 'sources', 'serve', dir, '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const doc = await new Promise<{ url: string; fingerprint: string }>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        try {
          resolve(JSON.parse(stdout));
        } catch {
          /* not complete yet */
        }
      });
      child.on('close', () => reject(new Error(`exited early: ${stderr}`)));
    });
    expect(doc.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const { ref } = await connectRepository(doc.url, { pin: doc.fingerprint });
    expect((await listRepository(ref, () => true)).files.map((f) => f.name)).toEqual(['f.bin']);
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stderr).toContain(`--fingerprint ${doc.fingerprint}`);
    expect(stderr).toMatch(/127\.0\.0\.1 GET \/index\.json 200/);
    expect(stderr).toContain('Repository stopped.');
  }, 60_000);
});
