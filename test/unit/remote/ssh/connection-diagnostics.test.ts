import { describe, expect, it } from 'vitest';
import {
  adviseNoMatch,
  describeDiagnostics,
  failedAlgorithmKind,
  newDiagnostics,
  recordDebugLine,
  recordNegotiated,
  supportedAlgorithms,
} from '../../../../src-main/remote/ssh/connection-diagnostics.ts';

// Lines exactly as ssh2 1.17 prints them (lib/protocol/kex.js, Protocol.js).
const LINES = [
  "Remote ident: 'SSH-2.0-OpenSSH_5.3'",
  'Handshake: (local) KEX method: curve25519-sha256@libssh.org,curve25519-sha256,ecdh-sha2-nistp256',
  'Handshake: (remote) KEX method: diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,ext-info-s,kex-strict-s-v00@openssh.com',
  'Handshake: (local) Host key format: ssh-ed25519,rsa-sha2-512',
  'Handshake: (remote) Host key format: ssh-dss',
  'Handshake: (local) C->S cipher: aes128-gcm@openssh.com,aes128-ctr',
  'Handshake: (remote) C->S cipher: aes128-cbc,3des-cbc',
  'Handshake: (local) C->S MAC: hmac-sha2-256',
  'Handshake: (remote) C->S MAC: hmac-md5,hmac-sha1',
  'Outbound: Sending KEXINIT',
];

describe('connection diagnostics', () => {
  it('collects both sides of every list and the server ident from ssh2 debug lines', () => {
    const d = newDiagnostics();
    for (const l of LINES) recordDebugLine(d, l);
    expect(d.serverIdent).toBe('SSH-2.0-OpenSSH_5.3');
    expect(d.phase).toBe('kex');
    expect(d.remote.kex).toEqual(['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1']);
    expect(d.local.serverHostKey).toEqual(['ssh-ed25519', 'rsa-sha2-512']);
    expect(d.remote.cipher).toEqual(['aes128-cbc', '3des-cbc']);
    expect(d.remote.mac).toEqual(['hmac-md5', 'hmac-sha1']);
  });

  it('describes offered and negotiated algorithms, one line per fact', () => {
    const d = newDiagnostics();
    for (const l of LINES) recordDebugLine(d, l);
    recordNegotiated(d, { kex: 'diffie-hellman-group14-sha1', serverHostKey: 'ssh-dss', cs: { cipher: 'aes128-cbc', mac: 'hmac-sha1' } });
    d.authMethodsOffered = ['publickey', 'password'];
    const text = describeDiagnostics(d).join('\n');
    expect(text).toContain('server offers kex: diffie-hellman-group1-sha1,diffie-hellman-group14-sha1');
    expect(text).toContain('client offers cipher: aes128-gcm@openssh.com,aes128-ctr');
    expect(text).toContain('negotiated: kex=diffie-hellman-group14-sha1 hostkey=ssh-dss cipher=aes128-cbc mac=hmac-sha1');
    expect(text).toContain('server offers auth methods: publickey,password');
    expect(d.phase).toBe('auth');
  });

  it.each([
    ['Handshake failed: no matching key exchange algorithm', 'kex'],
    ['Handshake failed: no matching host key format', 'serverHostKey'],
    ['Handshake failed: no matching C->S cipher', 'cipher'],
    ['Handshake failed: no matching S->C MAC', 'mac'],
    ['Handshake failed: signature verification failed', null],
  ])('maps %j to %s', (msg, kind) => {
    expect(failedAlgorithmKind(msg)).toBe(kind);
  });

  it('names the legacy algorithm to enable when ssh2 supports one the server offers', () => {
    const d = newDiagnostics();
    for (const l of LINES) recordDebugLine(d, l);
    const kex = adviseNoMatch('kex', d);
    expect(kex.enableable).toEqual(['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1']);
    expect(kex.message).toContain('server offers [diffie-hellman-group1-sha1, diffie-hellman-group14-sha1]');
    expect(kex.message).toContain('client offers [curve25519-sha256@libssh.org');
    expect(kex.remedy).toContain('diffie-hellman-group14-sha1');
    expect(adviseNoMatch('serverHostKey', d).enableable).toEqual(['ssh-dss']);
  });

  it('says so when nothing the server offers can be enabled', () => {
    const d = newDiagnostics();
    recordDebugLine(d, 'Handshake: (remote) KEX method: sntrup-only-imaginary');
    recordDebugLine(d, 'Handshake: (local) KEX method: curve25519-sha256');
    const a = adviseNoMatch('kex', d);
    expect(a.enableable).toEqual([]);
    expect(a.remedy).toMatch(/Enable a modern kex algorithm/);
  });

  it('reads the supported lists from the installed ssh2', () => {
    const s = supportedAlgorithms();
    expect(s.supported.kex).toContain('diffie-hellman-group1-sha1');
    expect(s.default.kex).not.toContain('diffie-hellman-group1-sha1');
  });
});
