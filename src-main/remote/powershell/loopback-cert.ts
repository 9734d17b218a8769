import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * A throw-away self-signed certificate (ECDSA P-256, CN=127.0.0.1, valid one day) for the loopback
 * leg of the pinned WinRM relay (pin-relay.ts). It only lets the local WSMan client speak HTTPS to
 * our own listener (HTTPS is what keeps Basic allowed and NTLM-by-address free of TrustedHosts);
 * nothing trusts it and it never leaves the process. Node has no X.509 writer, and the few DER
 * structures of one fixed certificate are short enough to spell out here rather than add a
 * dependency to the shared tree.
 */
export interface LoopbackCertificate {
  /** PEM (PKCS#8) */
  key: string;
  /** PEM */
  cert: string;
}

export function loopbackCertificate(now = Date.now()): LoopbackCertificate {
  return selfSignedCertificate({ commonName: '127.0.0.1', ips: ['127.0.0.1'], validMs: 86_400_000, now });
}

/**
 * A self-signed certificate (ECDSA P-256) naming `ips` and `dns` in its subjectAltName, e.g. for
 * `sources serve`: clients pin its SHA-256 (nothing else vouches for it).
 */
export function selfSignedCertificate(o: {
  commonName: string;
  ips?: readonly string[];
  dns?: readonly string[];
  validMs: number;
  now?: number;
}): LoopbackCertificate {
  const now = o.now ?? Date.now();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8(o.commonName))));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // positive
  const altNames = [...(o.dns ?? []).map((d) => tag(0x82, Buffer.from(d, 'ascii'))), ...(o.ips ?? []).map((ip) => tag(0x87, ipBytes(ip)))];
  const tbs = seq(
    tag(0xa0, int(Buffer.from([2]))), // v3
    int(serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + o.validMs))),
    name,
    spki,
    tag(0xa3, seq(seq(oid('2.5.29.17'), octet(seq(...altNames))))), // subjectAltName
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, ecdsaWithSha256, bitString(signature));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n` };
}

/** An IPv4 or IPv6 literal as the 4 or 16 bytes of an iPAddress name. */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, undefined as unknown as string];
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.concat(groups.map((g) => Buffer.from([(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff])));
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tag(t: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([t]), len(body.length), body]);
}
const seq = (...p: Buffer[]) => tag(0x30, ...p);
const set = (...p: Buffer[]) => tag(0x31, ...p);
const octet = (b: Buffer) => tag(0x04, b);
const utf8 = (s: string) => tag(0x0c, Buffer.from(s, 'utf8'));
const bitString = (b: Buffer) => tag(0x03, Buffer.from([0]), b);
function int(b: Buffer): Buffer {
  return tag(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tag(0x06, Buffer.from(out));
}
function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tag(0x17, Buffer.from(s, 'ascii'));
}
