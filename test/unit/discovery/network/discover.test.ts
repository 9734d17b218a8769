// Discovery against fake listeners on 127.0.0.1 only: an SSH banner, WS-Man over HTTP and HTTPS,
// a plain web server and a closed port.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverNetwork, guessOs, parseWsmanResponse } from '../../../../src-main/discovery/network/index.ts';
import { AsrFailure } from '../../../../src-main/model/errors.ts';
import { describeCertificate, normalizeFingerprint, scanTlsCertificate, sha256Fingerprint } from '../../../../src-main/remote/tls-scan.ts';
import { makeCerts, type TestCerts } from '../certs.ts';

let certs: TestCerts;
const servers: net.Server[] = [];
let sshPort = 0;
let wsmanHttpPort = 0;
let wsmanHttpsPort = 0;
let webPort = 0;
let closedPort = 0;
let tlsLeafPort = 0;

const listen = (s: net.Server) =>
  new Promise<number>((resolve) => {
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
  });

const wsman: http.RequestListener = (req, res) => {
  if (req.method === 'POST' && req.url === '/wsman') {
    res.writeHead(401, { 'WWW-Authenticate': ['Negotiate', 'Basic realm="WSMAN"'], Server: 'Microsoft-HTTPAPI/2.0' });
  } else res.writeHead(404);
  res.end();
};

beforeAll(async () => {
  certs = makeCerts();
  // RFC 4253 allows lines before the identification string.
  sshPort = await listen(net.createServer((c) => c.end('Welcome\r\nSSH-2.0-OpenSSH_5.3 CentOS-6.6\r\n')));
  wsmanHttpPort = await listen(http.createServer(wsman));
  wsmanHttpsPort = await listen(https.createServer({ key: certs.selfSigned.key, cert: certs.selfSigned.cert }, wsman));
  webPort = await listen(http.createServer((_q, r) => r.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>')));
  tlsLeafPort = await listen(https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (_q, r) => r.end('ok')));
  const tmp = net.createServer();
  closedPort = await new Promise<number>((r) => tmp.listen(0, '127.0.0.1', () => r((tmp.address() as net.AddressInfo).port)));
  await new Promise((r) => tmp.close(r));
});

afterAll(() => {
  for (const s of servers) s.close();
});

describe('discoverNetwork', () => {
  it('finds open ports and identifies SSH and WinRM on loopback', async () => {
    const progress: number[] = [];
    const found = await discoverNetwork(['127.0.0.1', '127.0.0.2-3'], {
      ports: [sshPort, wsmanHttpPort, wsmanHttpsPort, webPort, closedPort],
      sshPorts: [sshPort],
      winrmHttpPorts: [wsmanHttpPort, webPort],
      winrmHttpsPorts: [wsmanHttpsPort],
      concurrency: 4,
      timeoutMs: 1000,
      onProgress: (p) => progress.push(p.done),
    });
    expect(found).toHaveLength(1);
    const host = found[0]!;
    expect(host.address).toBe('127.0.0.1');
    expect(host.open).toEqual([sshPort, wsmanHttpPort, wsmanHttpsPort, webPort].sort((a, b) => a - b));
    expect(host.ssh).toEqual({ banner: 'SSH-2.0-OpenSSH_5.3 CentOS-6.6' });
    // HTTPS wins over HTTP when both are WinRM listeners; the web server on webPort is not WinRM.
    expect(host.winrm?.https).toBe(true);
    expect(host.winrm?.authentication).toEqual(['Negotiate', 'Basic']);
    const der = new (await import('node:crypto')).X509Certificate(certs.selfSigned.cert).raw;
    expect(host.winrm?.certificate).toMatchObject({
      fingerprint: sha256Fingerprint(der),
      subject: 'O=ASR test, CN=winrm-self',
      expired: false,
      expiresSoon: true,
    });
    expect(host.winrm?.certificate?.notAfter).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(host.os).toBe('windows');
    expect(progress.at(-1)).toBe(3);
  });

  it('reports WinRM over HTTP when only 5985 answers', async () => {
    const [host] = await discoverNetwork(['127.0.0.1'], { ports: [wsmanHttpPort], winrmHttpPorts: [wsmanHttpPort] });
    expect(host?.winrm).toEqual({ https: false, authentication: ['Negotiate', 'Basic'] });
  });

  it('returns nothing for closed ports and validates options before probing', async () => {
    expect(await discoverNetwork(['127.0.0.1'], { ports: [closedPort], timeoutMs: 500 })).toEqual([]);
    await expect(discoverNetwork(['127.0.0.1'], { ports: [0] })).rejects.toThrow(/out of range/);
    await expect(discoverNetwork(['127.0.0.0/33'])).rejects.toMatchObject({ data: { code: 'usage' } });
    await expect(discoverNetwork(['127.0.0.1'], { concurrency: 0 })).rejects.toMatchObject({ data: { code: 'usage' } });
  });

  it('sweeps a /22 on loopback with bounded concurrency', async () => {
    const started = Date.now();
    const found = await discoverNetwork(['127.0.0.0/22'], { ports: [sshPort, closedPort], sshPorts: [sshPort], concurrency: 128, timeoutMs: 1000 });
    // The listener is bound to 127.0.0.1 only: the other 1,021 loopback addresses refuse.
    expect(found.map((h) => h.address)).toEqual(['127.0.0.1']);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('stops on abort with a cancelled error', async () => {
    const ac = new AbortController();
    const p = discoverNetwork(['127.0.0.0/20'], { ports: [closedPort], concurrency: 8, signal: ac.signal, onProgress: (x) => x.done === 50 && ac.abort() });
    await expect(p).rejects.toMatchObject({ data: { code: 'cancelled' } });
  });
});

describe('WS-Man identification', () => {
  it('counts an auth challenge or a WS-Man document, not any web server', () => {
    expect(parseWsmanResponse('HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Kerberos\r\n\r\n')).toMatchObject({
      wsman: true,
      authentication: ['Negotiate', 'Kerberos'],
    });
    const identify =
      'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n\r\n<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>OS: 10.0.17763 SP: 0.0 Stack: 3.0</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>';
    expect(parseWsmanResponse(identify)).toMatchObject({
      wsman: true,
      productVendor: 'Microsoft Corporation',
      productVersion: 'OS: 10.0.17763 SP: 0.0 Stack: 3.0',
    });
    expect(parseWsmanResponse('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\r\n').wsman).toBe(false);
    expect(parseWsmanResponse('HTTP/1.1 200 OK\r\n\r\n<html></html>').wsman).toBe(false);
    expect(parseWsmanResponse('').wsman).toBe(false);
  });

  it('guesses the OS only from evidence', () => {
    const h1 = { address: 'a', open: [22], ssh: { banner: 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6' } };
    guessOs(h1);
    expect(h1).toMatchObject({ os: 'linux' });
    const h2 = { address: 'a', open: [22], ssh: { banner: 'SSH-2.0-OpenSSH_for_Windows_8.1' } };
    guessOs(h2);
    expect(h2).toMatchObject({ os: 'windows' });
    const h3: { address: string; open: number[]; ssh: { banner: string }; os?: string } = {
      address: 'a',
      open: [22],
      ssh: { banner: 'SSH-2.0-dropbear_2020.81' },
    };
    guessOs(h3 as never);
    expect(h3.os).toBeUndefined();
  });
});

describe('scanTlsCertificate', () => {
  it('reads an untrusted certificate without sending data', async () => {
    const info = await scanTlsCertificate('127.0.0.1', tlsLeafPort, { timeoutMs: 2000 });
    expect(info.subject).toBe('CN=vc.lab.invalid');
    expect(info.issuer).toBe('CN=ASR test CA');
    expect(info.selfSigned).toBe(false);
    expect(info.trusted).toBe(false);
    expect(info.trustError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
    expect(info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(info.pem).toContain('BEGIN CERTIFICATE');
  });

  it('maps a refused port to unreachable', async () => {
    await expect(scanTlsCertificate('127.0.0.1', closedPort, { timeoutMs: 1000 })).rejects.toMatchObject({ data: { code: 'unreachable' } });
    await expect(scanTlsCertificate('127.0.0.1', sshPort, { timeoutMs: 1000 })).rejects.toBeInstanceOf(AsrFailure);
  });

  it('flags expiry relative to now', async () => {
    const der = new (await import('node:crypto')).X509Certificate(certs.ca.cert).raw;
    const now = Date.now();
    expect(describeCertificate(der, null, now)).toMatchObject({ expired: false, expiresSoon: true, selfSigned: true, trusted: true });
    expect(describeCertificate(der, null, now + 40 * 86_400_000)).toMatchObject({ expired: true, expiresSoon: false });
  });

  it('normalises fingerprints as users paste them', () => {
    const hex = 'AB'.repeat(32);
    expect(normalizeFingerprint(hex.match(/../g)!.join(':'))).toBe('ab'.repeat(32));
    expect(normalizeFingerprint(`SHA256:${hex}`)).toBe('ab'.repeat(32));
    expect(normalizeFingerprint('abc')).toBeNull();
  });
});
