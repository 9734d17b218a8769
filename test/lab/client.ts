// Client helpers for tests that talk to the lab: SSH (ssh2) with the host key pinned to the lab
// state, TLS with a pinned certificate fingerprint, CONNECT through the proxy.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { HostState, LabUser } from './types.ts';

export interface SshLogin {
  user: LabUser;
  /** Log in with the user's password instead of its key. */
  usePassword?: boolean;
  /** Expected host key fingerprint (default: host.hostKeyFingerprint). */
  fingerprint?: string;
  readyTimeoutMs?: number;
}

export interface SshSession {
  client: Client;
  /** The fingerprint the server presented (`SHA256:…`). */
  presented: string;
}

export function rawKeyFingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** Connects and authenticates; rejects when the server's key is not the expected one. */
export function sshConnect(host: Pick<HostState, 'address' | 'hostKeyFingerprint'>, login: SshLogin): Promise<SshSession> {
  const expected = login.fingerprint ?? host.hostKeyFingerprint;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented = '';
    const cfg: ConnectConfig = {
      host: host.address,
      port: 22,
      username: login.user.name,
      readyTimeout: login.readyTimeoutMs ?? 15_000,
      hostVerifier: (key: Buffer) => {
        presented = rawKeyFingerprint(key);
        return presented === expected;
      },
    };
    if (login.usePassword) {
      cfg.password = login.user.password;
      cfg.tryKeyboard = true;
    } else {
      if (!login.user.keyPath) throw new Error(`${login.user.name} has no key`);
      cfg.privateKey = readFileSync(login.user.keyPath);
      if (login.user.keyPassphrase) cfg.passphrase = login.user.keyPassphrase;
    }
    if (login.usePassword) {
      client.on('keyboard-interactive', (_n, _i, _l, prompts, finish) => finish(prompts.map(() => login.user.password ?? '')));
    }
    client.once('ready', () => resolve({ client, presented }));
    client.once('error', (e: Error & { level?: string }) => {
      client.end();
      if (presented && presented !== expected) {
        reject(Object.assign(new Error(`host key mismatch: presented ${presented}, expected ${expected}`), { code: 'HOSTKEY_MISMATCH', presented }));
      } else reject(e);
    });
    client.connect(cfg);
  });
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** Runs one command on an open session (stdin optional). */
export function sshExec(client: Client, command: string, stdin?: string, onData?: (chunk: string) => void): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      stream.on('data', (b: Buffer) => {
        stdout += b.toString('utf8');
        onData?.(b.toString('utf8'));
      });
      stream.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      stream.on('close', (code: number | null, signal?: string) => resolve({ code, signal, stdout, stderr }));
      if (stdin !== undefined) stream.end(stdin);
      else stream.end();
    });
  });
}

/** Connect, run one command, disconnect. */
export async function sshRun(host: HostState, login: SshLogin, command: string, stdin?: string): Promise<ExecResult & { presented: string }> {
  const s = await sshConnect(host, login);
  try {
    return { ...(await sshExec(s.client, command, stdin)), presented: s.presented };
  } finally {
    s.client.end();
  }
}

export function sftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

/** Plain TCP connect: resolves 'connected', or the error code (ECONNREFUSED, …) / 'timeout'. */
export function tcpOutcome(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect({ host: address, port });
    const done = (v: string): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done('timeout'));
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** TLS connect that accepts only a certificate whose DER SHA-256 is `pinSha256` (64 hex). */
export function pinnedTls(host: string, port: number, pinSha256: string, servername?: string, socket?: Socket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, servername, socket, rejectUnauthorized: false });
    s.once('secureConnect', () => {
      const raw = s.getPeerCertificate().raw;
      const fp = createHash('sha256').update(raw).digest('hex');
      if (fp !== pinSha256.toLowerCase()) {
        s.destroy();
        reject(Object.assign(new Error(`certificate pin mismatch: ${fp}`), { code: 'PIN_MISMATCH' }));
      } else resolve(s);
    });
    s.once('error', reject);
  });
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one HTTP/1.1 request on an open socket (Connection: close) and reads the whole answer. */
export function httpOverSocket(
  socket: Socket,
  method: string,
  host: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.once('error', reject);
    socket.once('close', () => resolve(parseHttp(Buffer.concat(chunks).toString('utf8'))));
    const h = { Host: host, Connection: 'close', 'Content-Length': String(Buffer.byteLength(body)), ...headers };
    socket.write(
      `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n${body}`,
    );
  });
}

export function parseHttp(text: string): HttpResponse {
  const idx = text.indexOf('\r\n\r\n');
  const head = idx >= 0 ? text.slice(0, idx) : text;
  let body = idx >= 0 ? text.slice(idx + 4) : '';
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  if (headers['transfer-encoding']?.includes('chunked')) {
    let out = '';
    let rest = body;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      const n = parseInt(rest.slice(0, nl), 16);
      if (!n) break;
      out += rest.slice(nl + 2, nl + 2 + n);
      rest = rest.slice(nl + 2 + n + 2);
    }
    body = out;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Opens a CONNECT tunnel through an HTTP proxy. Resolves with the proxy's status and, on 200,
 * the socket (now a tunnel to target).
 */
export function proxyConnect(
  proxyHost: string,
  proxyPort: number,
  target: string,
  auth?: { user: string; password: string },
): Promise<{ status: number; headers: Record<string, string>; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: proxyHost, port: proxyPort });
    let buf = '';
    s.once('error', reject);
    s.setTimeout(15_000, () => {
      s.destroy();
      reject(new Error('proxy CONNECT timed out'));
    });
    s.once('connect', () => {
      const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
      if (auth) lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`);
      s.write(lines.join('\r\n') + '\r\n\r\n');
    });
    const onData = (b: Buffer): void => {
      buf += b.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.removeListener('data', onData);
      s.setTimeout(0);
      const r = parseHttp(buf.slice(0, end + 4));
      resolve({ status: r.status, headers: r.headers, socket: s });
    };
    s.on('data', onData);
  });
}
