// The WinRM pin on the connection that carries the credential (issue 12 item 1), with real TLS
// sockets on loopback: a server with another certificate on the path gets tls_pin_mismatch and
// receives no byte of the credential, also when it passed an earlier handshake with the right
// certificate. Real clients send the credential: curl, pwsh's own HTTP client, and the transport.
import { execFile } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PinnedTlsRelay } from '../../../../src-main/remote/powershell/pin-relay.ts';
import { loopbackCertificate } from '../../../../src-main/remote/powershell/loopback-cert.ts';
import { PowerShellTransport } from '../../../../src-main/remote/powershell/powershell-transport.ts';
import { sessionOpenScript } from '../../../../src-main/remote/powershell/session-script.ts';
import { makeCerts, type TestCert } from '../../discovery/certs.ts';
import { failureOf } from '../../../helpers/failure.ts';
import { findPwsh } from '../../../helpers/ps-compat.ts';

const run = promisify(execFile);
const PASSWORD = 'S3cret-Relay-Pa55word';
const BASIC = Buffer.from(`admin:${PASSWORD}`).toString('base64');

const fp = (c: TestCert) => createHash('sha256').update(new X509Certificate(c.cert).raw).digest('hex');

/** A TLS server that records every application byte it receives and answers one HTTP 200. */
interface Recorder {
  port: number;
  received: () => string;
  handshakes: () => number;
  close: () => Promise<void>;
}
async function recordingServer(certFor: (n: number) => TestCert): Promise<Recorder> {
  let bytes = '';
  let n = 0;
  const contexts = new Map<TestCert, tls.SecureContext>();
  const server = net.createServer((raw) => {
    const cert = certFor(n++);
    if (!contexts.has(cert)) contexts.set(cert, tls.createSecureContext({ key: cert.key, cert: cert.cert }));
    const s = new tls.TLSSocket(raw, { isServer: true, secureContext: contexts.get(cert)! });
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      bytes += d.toString('latin1');
      if (bytes.includes('\r\n\r\n')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => bytes,
    handshakes: () => n,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

let certs: ReturnType<typeof makeCerts>;
beforeAll(() => {
  certs = makeCerts();
});

describe('loopback certificate of the relay', () => {
  it('is a valid self-signed P-256 certificate for 127.0.0.1, new each time', () => {
    const a = loopbackCertificate();
    const x = new X509Certificate(a.cert);
    expect(x.subject).toBe('CN=127.0.0.1');
    expect(x.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(a.key))).toBe(true);
    expect(new X509Certificate(loopbackCertificate().cert).fingerprint256).not.toBe(x.fingerprint256);
  });
});

describe('pin relay', () => {
  const servers: Recorder[] = [];
  const relays: PinnedTlsRelay[] = [];
  afterAll(async () => {
    for (const r of relays) await r.close();
    for (const s of servers) await s.close();
  });
  const relayTo = async (port: number, pinOf: TestCert) => {
    const r = await PinnedTlsRelay.start({ host: 'win01', address: '127.0.0.1', port, pin: fp(pinOf), connectTimeoutMs: 5000 });
    relays.push(r);
    return r;
  };

  it('a server with another certificate gets tls_pin_mismatch and not one byte of the Basic credential curl sends', async () => {
    const impostor = await recordingServer(() => certs.leaf);
    servers.push(impostor);
    const relay = await relayTo(impostor.port, certs.selfSigned);
    const r = await run('sh', [
      '-c',
      `printf 'user = "admin:${PASSWORD}"\\n' | curl -sS -k --max-time 10 --basic -K - https://127.0.0.1:${relay.port}/wsman`,
    ]).catch((e: { code: number }) => e);
    expect((r as { code?: number }).code).not.toBe(0); // curl saw the relay hang up
    expect(relay.failure?.data.code).toBe('tls_pin_mismatch');
    expect(relay.failure?.data.details).toMatchObject({ presented: fp(certs.leaf), expected: fp(certs.selfSigned) });
    expect(relay.failure?.data.remedy).toContain('--replace');
    expect(impostor.handshakes()).toBe(1);
    expect(impostor.received()).toBe('');
    expect(relay.relayed).toBe(0);
  });

  it('with the pinned certificate the same request goes through, Authorization header and all (the relay is real)', async () => {
    const host = await recordingServer(() => certs.selfSigned);
    servers.push(host);
    const relay = await relayTo(host.port, certs.selfSigned);
    const { stdout } = await run('sh', [
      '-c',
      `printf 'user = "admin:${PASSWORD}"\\n' | curl -sS -k --max-time 10 --basic -K - https://127.0.0.1:${relay.port}/wsman`,
    ]);
    expect(stdout).toBe('ok');
    expect(host.received()).toContain(`Authorization: Basic ${BASIC}`);
    expect(relay.failure).toBeNull();
    expect(relay.relayed).toBe(1);
  });

  it('passing the first handshake with the right certificate does not help: the connection that carries the credential is checked on its own', async () => {
    // The defect of the old design: scan first (right certificate), then the session's own connection (another).
    const switching = await recordingServer((n) => (n === 0 ? certs.selfSigned : certs.leaf));
    servers.push(switching);
    const relay = await relayTo(switching.port, certs.selfSigned);
    const cert = await relay.verify();
    expect(cert.fingerprint).toBe(fp(certs.selfSigned));
    const client = tls.connect({ host: '127.0.0.1', port: relay.port, rejectUnauthorized: false });
    client.on('error', () => undefined);
    await new Promise<void>((ok) => client.once('secureConnect', () => ok()));
    client.write(`POST /wsman HTTP/1.1\r\nHost: win01:5986\r\nAuthorization: Basic ${BASIC}\r\n\r\n`);
    await new Promise<void>((ok) => client.once('close', () => ok()));
    expect(switching.handshakes()).toBe(2);
    expect(relay.failure?.data.code).toBe('tls_pin_mismatch');
    expect(switching.received()).toBe('');
  });

  it('CA and name checks are relaxed only towards the relay on 127.0.0.1, never towards a host', () => {
    const ep = {
      kind: 'winrm',
      port: 5986,
      useSsl: true,
      auth: 'Negotiate',
      certificate: 'relay',
      user: 'u',
      operationTimeoutMs: 1000,
      openTimeoutMs: 1000,
      idleTimeoutMs: 60_000,
    } as const;
    expect(sessionOpenScript({ ...ep, address: '127.0.0.1' }, 's1')).toContain('-SkipCACheck -SkipCNCheck');
    expect(() => sessionOpenScript({ ...ep, address: 'win01.contoso.local' }, 's1')).toThrow(/only relaxed towards the pin relay/);
    expect(sessionOpenScript({ ...ep, certificate: 'validate', address: 'win01.contoso.local' }, 's1')).not.toMatch(/Skip/);
  });

  const pwsh = findPwsh();
  describe.skipIf(!pwsh)(`with pwsh (${pwsh ?? 'not installed'})`, () => {
    it("pwsh's own HTTP client with a credential, pointed at the relay: the impostor receives nothing", async () => {
      const impostor = await recordingServer(() => certs.leaf);
      servers.push(impostor);
      const relay = await relayTo(impostor.port, certs.selfSigned);
      const script = `$c = New-Object System.Management.Automation.PSCredential('CONTOSO\\admin', (ConvertTo-SecureString ([Console]::In.ReadLine()) -AsPlainText -Force)); try { Invoke-WebRequest -Uri 'https://127.0.0.1:${relay.port}/wsman' -Method Post -Body '<x/>' -SkipCertificateCheck -Credential $c -Authentication Basic -TimeoutSec 10 | Out-Null; 'sent' } catch { 'refused' }`;
      const child = execFile(pwsh!, ['-NoProfile', '-NonInteractive', '-Command', script], { timeout: 60_000 });
      child.stdin!.end(`${PASSWORD}\n`);
      const out = await new Promise<string>((ok) => {
        let o = '';
        child.stdout!.on('data', (d) => (o += d));
        child.on('close', () => ok(o.trim()));
      });
      expect(out).toBe('refused');
      expect(relay.failure?.data.code).toBe('tls_pin_mismatch');
      expect(impostor.received()).toBe('');
    });

    it('the transport in the pinned mode: tls_pin_mismatch before PowerShell starts, nothing received by the impostor', async () => {
      const impostor = await recordingServer(() => certs.leaf);
      servers.push(impostor);
      const logs: string[] = [];
      const t = new PowerShellTransport({
        host: 'win01',
        address: '127.0.0.1',
        pwshPath: pwsh!,
        connection: { kind: 'winrm', port: impostor.port, user: 'CONTOSO\\admin', password: PASSWORD, certificatePin: fp(certs.selfSigned) },
        openTimeoutMs: 5000,
        log: (l) => logs.push(l),
      });
      const e = await failureOf(t.connect());
      expect(e.code).toBe('tls_pin_mismatch');
      expect(e.retryable).toBe(false);
      expect(t.localPid).toBeNull();
      expect(impostor.received()).toBe('');
      expect(logs.join('\n')).not.toContain(PASSWORD);
    });

    it('the transport against a server that shows the pin once and then another certificate: New-PSSession goes to the relay, the impostor receives nothing', async () => {
      const switching = await recordingServer((n) => (n === 0 ? certs.selfSigned : certs.leaf));
      servers.push(switching);
      const logs: string[] = [];
      const t = new PowerShellTransport({
        host: 'win01',
        address: '127.0.0.1',
        pwshPath: pwsh!,
        connection: { kind: 'winrm', port: switching.port, user: 'CONTOSO\\admin', password: PASSWORD, certificatePin: fp(certs.selfSigned) },
        openTimeoutMs: 5000,
        log: (l) => logs.push(l),
      });
      const e = await failureOf(t.connect());
      expect(logs.join('\n')).toContain('the session goes through the pin relay on 127.0.0.1:');
      // pwsh on Linux has no WSMan client (New-PSSession -ComputerName cannot even build its
      // options here): it fails before it connects anywhere. On Windows the relay refuses the
      // second handshake and the transport reports tls_pin_mismatch.
      if (process.platform !== 'win32')
        console.log(`[not verifiable here] New-PSSession over WSMan on ${process.platform}: ${e.code}: ${e.message} (${String(e.details?.fqid)})`);
      else expect(e.code).toBe('tls_pin_mismatch');
      expect(switching.received()).toBe('');
      await t.close();
    });
  });
});
