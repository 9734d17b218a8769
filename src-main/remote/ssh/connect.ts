import { connect as netConnect, type Socket } from 'node:net';
import ssh2, { type AnyAuthMethod, type Client, type ConnectConfig, type ParsedKey } from 'ssh2';
import { AsrFailure, fail } from '../../model/errors.ts';
import { classifyConnectFailure, type HostKeyVerdict } from './connect-errors.ts';
import { describeDiagnostics, recordDebugLine, recordNegotiated, type ConnectionDiagnostics, type Ssh2Negotiated } from './connection-diagnostics.ts';
import { hostKeyFingerprint, hostKeyType, normalizeFingerprint } from './host-key.ts';
import type { ResolvedSshOptions, SshAuth } from './ssh-options.ts';

/**
 * Connect and authenticate: TCP with its own bound, the pinned host key checked in the key
 * exchange, one attempt per credential. Every failure is classified (connect-errors.ts) with the
 * facts of the attempt in `diag`.
 */
export async function openSshConnection(
  host: string,
  o: ResolvedSshOptions,
  diag: ConnectionDiagnostics,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ client: Client; authTried: string | undefined }> {
  if (signal?.aborted) fail('cancelled', `${host}: connect cancelled`, { host });
  const key = checkKey(host, o);
  const sock = await connectTcp(host, o, diag, log, signal);
  diag.phase = 'banner';

  const client = new ssh2.Client();
  let hostKey: HostKeyVerdict | undefined;
  let authTried: string | undefined;
  let authPartial = false;
  let passwordAnswered = false;
  const expected = o.expectedHostKey === null ? null : normalizeFingerprint(o.expectedHostKey);

  const authHandler = (methodsLeft: string[] | null, partial: boolean | null, next: (m: AnyAuthMethod | false) => void): void => {
    // First round: `none` only asks the server which methods it accepts (never a failed logon).
    if (methodsLeft === null) return next({ type: 'none', username: o.username });
    if (diag.authMethodsOffered === undefined) {
      diag.authMethodsOffered = [...methodsLeft];
      log(`server offers auth methods: ${methodsLeft.join(',') || '(none)'}`);
    }
    // One attempt per credential, never a loop: each failed password counts toward lockout (95520).
    if (authTried !== undefined) {
      authPartial = partial === true;
      return next(false);
    }
    const method = chooseAuthMethod(o.auth, methodsLeft);
    if (method === null) return next(false);
    authTried = method;
    log(`auth: trying ${method} as ${o.username}`);
    const a = o.auth;
    if (method === 'publickey' && 'privateKey' in a) return next({ type: 'publickey', username: o.username, key: key ?? a.privateKey });
    if (method === 'agent' && 'agent' in a) return next({ type: 'agent', username: o.username, agent: a.agent });
    if (method === 'password' && 'password' in a) return next({ type: 'password', username: o.username, password: a.password });
    if (method === 'keyboard-interactive' && 'password' in a) {
      return next({
        type: 'keyboard-interactive',
        username: o.username,
        prompt: (_name, _instructions, _lang, prompts, finish) => {
          // Answer a password prompt once; a second round (e.g. an OTP) gets empty answers
          // rather than the password again.
          finish(
            prompts.map((p) => {
              if (!passwordAnswered && /pass(word|code|phrase)?/i.test(p.prompt)) {
                passwordAnswered = true;
                return a.password;
              }
              return '';
            }),
          );
        },
      });
    }
    return next(false);
  };

  const config: ConnectConfig = {
    sock,
    username: o.username,
    readyTimeout: o.handshakeTimeoutMs,
    keepaliveInterval: o.keepaliveIntervalMs,
    keepaliveCountMax: o.keepaliveCountMax,
    // Only ssh2's debug output carries the server's algorithm lists; it is parsed, never logged raw.
    debug: (line: string) => {
      // ssh2 calls this for every packet; only the handshake lines matter.
      if (diag.phase !== 'ready') recordDebugLine(diag, line);
    },
    hostVerifier: (raw: Buffer): boolean => {
      const presented = hostKeyFingerprint(raw);
      const keyType = hostKeyType(raw);
      if (expected === null) hostKey = { kind: 'unknown', presented, keyType };
      else if (presented !== expected) hostKey = { kind: 'mismatch', presented, expected, keyType };
      else hostKey = { kind: 'ok', presented, keyType };
      log(`host key ${keyType} ${presented}: ${hostKey.kind === 'ok' ? 'matches the pinned key' : hostKey.kind}`);
      return hostKey.kind === 'ok';
    },
    authHandler: authHandler as unknown as ConnectConfig['authHandler'],
    ...(o.algorithms ? { algorithms: o.algorithms } : {}),
  };

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown, timedOut?: 'handshake'): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined && timedOut === undefined) return resolve();
      client.removeAllListeners('ready');
      client.on('error', () => {});
      client.destroy();
      if (err instanceof AsrFailure) return reject(err);
      const failure = classifyConnectFailure({
        host,
        address: o.address,
        port: o.port,
        username: o.username,
        error: err as { message?: string; code?: string; level?: string } | undefined,
        timedOut,
        connectTimeoutMs: o.connectTimeoutMs,
        handshakeTimeoutMs: o.handshakeTimeoutMs,
        diag,
        hostKey: hostKey?.kind === 'ok' ? undefined : hostKey,
        authTried,
        authPartial,
      });
      logDiagnostics(diag, log);
      log(`connect failed: ${failure.data.code}: ${failure.message}`);
      reject(failure);
    };
    const onAbort = (): void => finish(new AsrFailure('cancelled', `${host}: connect cancelled`, { host }));
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('handshake', (n: Ssh2Negotiated) => recordNegotiated(diag, n));
    client.on('ready', () => finish());
    client.on('error', (e: Error) => finish(e));
    client.on('close', () => finish(new Error('connection closed')));
    try {
      client.connect(config);
    } catch (e) {
      finish(e);
    }
  });
  diag.phase = 'ready';
  return { client, authTried };
}

export function logDiagnostics(diag: ConnectionDiagnostics, log: (line: string) => void): void {
  for (const line of describeDiagnostics(diag)) if (!line.startsWith('server offers auth methods')) log(line);
}

/** Parse the key up front: a wrong passphrase is a local problem and must not cost a logon attempt. */
function checkKey(host: string, o: ResolvedSshOptions): ParsedKey | undefined {
  const a = o.auth;
  if (!('privateKey' in a)) return undefined;
  const parsed = ssh2.utils.parseKey(a.privateKey, a.passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || key === undefined) {
    const encrypted = /encrypted|passphrase/i.test(key instanceof Error ? key.message : '');
    fail('auth_failed', `${host}: the private key for ${o.username} cannot be read${encrypted ? ' (it is encrypted: passphrase missing or wrong)' : ''}`, {
      host,
      retryable: false,
      remedy: encrypted ? 'Enter the passphrase of the key again.' : 'Use a private key in OpenSSH or PEM format.',
    });
  }
  if (!key.isPrivateKey())
    fail('auth_failed', `${host}: the key given for ${o.username} is a public key`, { host, retryable: false, remedy: 'Give the private key file.' });
  return key;
}

/** TCP first, with its own bound: "nothing answers" and "sshd stalls" need different remedies. */
function connectTcp(host: string, o: ResolvedSshOptions, diag: ConnectionDiagnostics, log: (line: string) => void, signal?: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const sock = netConnect({ host: o.address, port: o.port });
    let done = false;
    const end = (err?: AsrFailure): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.removeListener('error', onError);
      if (err) {
        sock.destroy();
        log(`connect failed: ${err.data.code}: ${err.message}`);
        reject(err);
      } else resolve(sock);
    };
    const base = {
      host: o.host,
      address: o.address,
      port: o.port,
      username: o.username,
      connectTimeoutMs: o.connectTimeoutMs,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      diag,
    };
    const onError = (e: NodeJS.ErrnoException): void =>
      end(classifyConnectFailure({ ...base, error: { message: e.message, code: e.code, level: 'client-socket' } }));
    const onAbort = (): void => end(new AsrFailure('cancelled', `${host}: connect cancelled`, { host }));
    const timer = setTimeout(() => end(classifyConnectFailure({ ...base, timedOut: 'connect' })), o.connectTimeoutMs);
    sock.once('error', onError);
    sock.once('connect', () => end());
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Which single method this credential gets; null when the server offers none it can use. */
export function chooseAuthMethod(auth: SshAuth, offered: readonly string[]): 'publickey' | 'agent' | 'password' | 'keyboard-interactive' | null {
  if ('privateKey' in auth) return offered.includes('publickey') ? 'publickey' : null;
  if ('agent' in auth) return offered.includes('publickey') ? 'agent' : null;
  const order: Array<'password' | 'keyboard-interactive'> =
    auth.method === 'keyboard-interactive' ? ['keyboard-interactive', 'password'] : ['password', 'keyboard-interactive'];
  return order.find((m) => offered.includes(m)) ?? null;
}
