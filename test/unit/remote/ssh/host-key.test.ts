import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostKeyFingerprint, hostKeyType, normalizeFingerprint, sameFingerprint } from '../../../../src-main/remote/ssh/host-key.ts';

const HAVE_KEYGEN = spawnSync('ssh-keygen', ['-?']).error === undefined;

describe.skipIf(!HAVE_KEYGEN)('host key fingerprint (needs ssh-keygen: it is the reference)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asr-hostkey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['ed25519', [], 'ssh-ed25519'],
    ['rsa', ['-b', '2048'], 'ssh-rsa'],
    ['ecdsa', ['-b', '256'], 'ecdsa-sha2-nistp256'],
    ['ecdsa', ['-b', '521'], 'ecdsa-sha2-nistp521'],
  ])('%s %s equals ssh-keygen -lf', (type, extra, expectedType) => {
    const file = join(dir, `${type}${extra.join('')}`);
    expect(spawnSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-f', file]).status).toBe(0);
    const pub = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
    const raw = Buffer.from(pub[1] ?? '', 'base64');
    const reference = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
      .stdout.toString()
      .split(/\s+/)[1];
    expect(reference).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(hostKeyFingerprint(raw)).toBe(reference);
    expect(hostKeyType(raw)).toBe(expectedType);
  });
});

describe('fingerprint normalisation', () => {
  it('accepts the forms people paste', () => {
    const fp = 'SHA256:2Xe3M6oWUaxW001CVXAf506vvOElolf86x27e70lwYc';
    expect(normalizeFingerprint(' sha256:2Xe3M6oWUaxW001CVXAf506vvOElolf86x27e70lwYc= ')).toBe(fp);
    expect(normalizeFingerprint('2Xe3M6oWUaxW001CVXAf506vvOElolf86x27e70lwYc')).toBe(fp);
    expect(sameFingerprint(fp, fp.toLowerCase())).toBe(false); // base64 is case-sensitive
  });
  it('reports unknown for a blob that is not a key', () => {
    expect(hostKeyType(Buffer.alloc(2))).toBe('unknown');
    expect(hostKeyType(Buffer.from([0, 0, 1, 0, 1]))).toBe('unknown');
  });
});
