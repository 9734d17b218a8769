import { describe, expect, it } from 'vitest';
import { classifyConnectFailure, type ConnectFailureContext } from '../../../../src-main/remote/ssh/connect-errors.ts';
import { newDiagnostics, recordDebugLine, type ConnectionPhase } from '../../../../src-main/remote/ssh/connection-diagnostics.ts';

function ctx(over: Partial<ConnectFailureContext> = {}, phase: ConnectionPhase = 'tcp'): ConnectFailureContext {
  const diag = newDiagnostics();
  diag.phase = phase;
  return { host: 'web01', address: '10.0.0.5', port: 22, username: 'asradmin', connectTimeoutMs: 3000, handshakeTimeoutMs: 8000, diag, ...over };
}

describe('classifyConnectFailure', () => {
  it.each(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'])('%s → unreachable, retryable', (code) => {
    const f = classifyConnectFailure(ctx({ error: { message: `connect ${code}`, code, level: 'client-socket' } }));
    expect(f.data.code).toBe('unreachable');
    expect(f.data.retryable).toBe(true);
    expect(f.data.host).toBe('web01');
    expect(f.message).toContain(code);
  });

  it('a refused port says to start sshd; no route says to check the host', () => {
    expect(classifyConnectFailure(ctx({ error: { code: 'ECONNREFUSED', level: 'client-socket' } })).data.remedy).toMatch(/start sshd/);
    expect(classifyConnectFailure(ctx({ error: { code: 'EHOSTUNREACH', level: 'client-socket' } })).data.remedy).toMatch(/No route/);
  });

  it('our TCP timer → timeout naming the TCP connect phase', () => {
    const f = classifyConnectFailure(ctx({ timedOut: 'connect' }));
    expect(f.data.code).toBe('timeout');
    expect(f.message).toMatch(/TCP connect .* timed out after 3000 ms/);
    expect(f.data.retryable).toBe(true);
  });

  it.each([
    ['banner', /waiting for the SSH banner/],
    ['kex', /stalled in: key exchange/],
    ['auth', /stalled in: authentication/],
  ] as const)('ssh2 readyTimeout in phase %s → timeout naming the phase', (phase, re) => {
    const f = classifyConnectFailure(ctx({ error: { message: 'Timed out while waiting for handshake', level: 'client-timeout' } }, phase));
    expect(f.data.code).toBe('timeout');
    expect(f.message).toMatch(re);
    expect(f.message).toContain('8000 ms');
  });

  it('auth rejected → auth_failed, not retryable, 95108, with the methods the server offered', () => {
    const c = ctx({ error: { message: 'All configured authentication methods failed', level: 'client-authentication' }, authTried: 'password' }, 'auth');
    c.diag.authMethodsOffered = ['publickey', 'password'];
    const f = classifyConnectFailure(c);
    expect(f.data).toMatchObject({ code: 'auth_failed', retryable: false, asrErrorId: 95108 });
    expect(f.message).toContain('password authentication as asradmin was rejected');
    expect(f.message).toContain('server offers: publickey, password');
    expect(f.data.remedy).toMatch(/95520/);
  });

  it('no usable method → auth_failed that says which kinds the server takes', () => {
    const c = ctx({ error: { message: 'All configured authentication methods failed', level: 'client-authentication' } }, 'auth');
    c.diag.authMethodsOffered = ['publickey'];
    const f = classifyConnectFailure(c);
    expect(f.data.code).toBe('auth_failed');
    expect(f.message).toMatch(/offers no authentication method this credential can use \(server offers: publickey\)/);
    expect(f.data.remedy).toMatch(/PasswordAuthentication/);
  });

  it('unknown host key → host_key_unknown with the trust commands', () => {
    const f = classifyConnectFailure(
      ctx(
        {
          hostKey: { kind: 'unknown', presented: 'SHA256:abc', keyType: 'ssh-ed25519' },
          error: { message: 'Host denied (verification failed)', level: 'handshake' },
        },
        'kex',
      ),
    );
    expect(f.data.code).toBe('host_key_unknown');
    expect(f.message).toContain('SHA256:abc');
    expect(f.data.remedy).toContain('asr-deploy trust scan web01');
    expect(f.data.remedy).toContain('asr-deploy trust approve web01');
    expect(f.data.retryable).toBe(false);
  });

  it('changed host key → host_key_mismatch naming both fingerprints and how to re-approve', () => {
    const f = classifyConnectFailure(ctx({ hostKey: { kind: 'mismatch', presented: 'SHA256:new', expected: 'SHA256:old', keyType: 'ssh-ed25519' } }, 'kex'));
    expect(f.data.code).toBe('host_key_mismatch');
    expect(f.message).toContain('SHA256:new');
    expect(f.message).toContain('SHA256:old');
    expect(f.data.remedy).toMatch(/man in the middle/);
    expect(f.data.remedy).toContain('trust approve web01 --replace');
  });

  it('no common algorithm → unsupported with both lists and the legacy algorithm to enable', () => {
    const c = ctx({ error: { message: 'Handshake failed: no matching key exchange algorithm', level: 'handshake' } }, 'kex');
    recordDebugLine(c.diag, 'Handshake: (local) KEX method: curve25519-sha256,ecdh-sha2-nistp256');
    recordDebugLine(c.diag, 'Handshake: (remote) KEX method: diffie-hellman-group1-sha1');
    const f = classifyConnectFailure(c);
    expect(f.data.code).toBe('unsupported');
    expect(f.message).toContain('server offers [diffie-hellman-group1-sha1]');
    expect(f.message).toContain('client offers [curve25519-sha256, ecdh-sha2-nistp256]');
    expect(f.data.remedy).toContain('diffie-hellman-group1-sha1');
  });

  it('server closing before the banner → unreachable with a pointer to the sshd log', () => {
    const f = classifyConnectFailure(ctx({ error: { message: 'Connection lost before handshake', level: 'protocol' } }, 'banner'));
    expect(f.data.code).toBe('unreachable');
    expect(f.data.remedy).toMatch(/sshd log/);
  });

  it('never puts a secret it was never given into the failure', () => {
    const f = classifyConnectFailure(
      ctx({ error: { message: 'All configured authentication methods failed', level: 'client-authentication' }, authTried: 'password' }, 'auth'),
    );
    expect(JSON.stringify(f.data)).not.toMatch(/hunter2/);
  });
});
