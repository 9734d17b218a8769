import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

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
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8('127.0.0.1'))));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // positive
  const tbs = seq(
    tag(0xa0, int(Buffer.from([2]))), // v3
    int(serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    spki,
    tag(0xa3, seq(seq(oid('2.5.29.17'), octet(seq(tag(0x87, Buffer.from([127, 0, 0, 1]))))))), // subjectAltName IP:127.0.0.1
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, ecdsaWithSha256, bitString(signature));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n` };
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
