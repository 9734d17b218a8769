import { createHash } from 'node:crypto';

/**
 * The fingerprint OpenSSH prints (`ssh-keygen -lf`, `ssh -v`): `SHA256:` + unpadded base64 of the
 * SHA-256 of the raw public key blob as sent in the key exchange.
 */
export function hostKeyFingerprint(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside the blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...). */
export function hostKeyType(rawKey: Buffer): string {
  if (rawKey.length < 4) return 'unknown';
  const len = rawKey.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > rawKey.length) return 'unknown';
  return rawKey.subarray(4, 4 + len).toString('latin1');
}

/**
 * Pinned fingerprints come from people and files: accept `SHA256:abc`, `sha256:abc`, `abc=` and
 * surrounding blanks, and compare the canonical `SHA256:<unpadded base64>` form.
 */
export function normalizeFingerprint(fingerprint: string): string {
  const body = fingerprint
    .trim()
    .replace(/^sha256:/i, '')
    .replace(/=+$/, '');
  return `SHA256:${body}`;
}

export function sameFingerprint(a: string, b: string): boolean {
  return normalizeFingerprint(a) === normalizeFingerprint(b);
}
