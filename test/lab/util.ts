// Small helpers of the test lab: running commands, waiting for ports, fingerprints, /proc.

import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_ROOT = process.env.ASR_LAB_ROOT ?? '/var/lib/asr-lab';
export const LAB_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = join(LAB_DIR, '..', '..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
  cwd?: string;
}

export class CommandError extends Error {
  readonly result: RunResult;
  constructor(cmd: string, result: RunResult) {
    super(`${cmd} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(0, 2000)}`);
    this.result = result;
  }
}

/** Runs a command without a shell; resolves with its output (throws on failure unless allowFail). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : ''),
      };
      if (result.code !== 0 && !opts.allowFail) reject(new CommandError([cmd, ...args].join(' '), result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves true when a TCP connection to host:port succeeds. */
export function tcpProbe(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.removeAllListeners();
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Waits until host:port accepts (open=true) or refuses/ignores (open=false) connections. */
export async function waitForPort(host: string, port: number, open = true, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await tcpProbe(host, port, 500);
    if (ok === open) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not ${open ? 'open' : 'close'} within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Waits until fn returns a value other than undefined. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/**
 * A new ed25519 key pair in OpenSSH's formats (private: openssh-key-v1, unencrypted; public: one
 * `ssh-ed25519 AAAA… comment` line), made in process so that a 100-host lab spawns no ssh-keygen.
 * (ssh2's generateKeyPairSync drops a leading zero byte of the public key: ~1 key in 200 unreadable.)
 */
export function ed25519KeyPair(comment: string): { private: string; public: string } {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from(jwk.x ?? '', 'base64url');
  if (seed.length !== 32 || pub.length !== 32) throw new Error('ed25519 key export gave unexpected lengths');
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const str = (b: Buffer | string): Buffer => {
    const buf = typeof b === 'string' ? Buffer.from(b) : b;
    return Buffer.concat([u32(buf.length), buf]);
  };
  const pubBlob = Buffer.concat([str('ssh-ed25519'), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str('ssh-ed25519'), str(pub), str(Buffer.concat([seed, pub])), str(comment)]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), str('none'), str('none'), str(''), u32(1), str(pubBlob), str(priv)]);
  const b64 = body.toString('base64').replace(/(.{70})/g, '$1\n');
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END OPENSSH PRIVATE KEY-----\n`,
    public: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
  };
}

/** `SHA256:<base64 without padding>` of an OpenSSH public key line, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key: ${publicKeyLine}`);
  return 'SHA256:' + createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '');
}

/** A random secret of URL-safe characters (test data). */
export function secret(bytes = 15): string {
  return randomBytes(bytes).toString('base64url');
}

export function shortId(): string {
  return randomBytes(3).toString('hex');
}

/** Start time of a process (field 22 of /proc/PID/stat), or undefined when it does not exist. */
export function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); starttime is field 22.
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function procAlive(pid: number, startTime?: number): boolean {
  if (!pid || pid <= 0) return false;
  const st = procStartTime(pid);
  if (st === undefined) return false;
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (state.slice(state.lastIndexOf(')') + 2).startsWith('Z')) return false;
  } catch {
    return false;
  }
  return startTime === undefined || startTime === st;
}

export interface ProcInfo {
  pid: number;
  cmdline: string;
  /** Last NSpid entry (PID inside its own PID namespace). */
  nsPid: number;
  pidNs: string;
  netNs: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^NSpid:\s+(.*)$/m.exec(status);
    const ids = (m?.[1] ?? String(pid)).trim().split(/\s+/);
    return {
      pid,
      cmdline,
      nsPid: Number(ids[ids.length - 1]),
      pidNs: readlinkSync(`/proc/${pid}/ns/pid`),
      netNs: readlinkSync(`/proc/${pid}/ns/net`),
    };
  } catch {
    return undefined;
  }
}

export function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = readProc(Number(e));
    if (p) out.push(p);
  }
  return out;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function writeJsonAtomic(path: string, value: unknown, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.${shortId()}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  renameSync(tmp, path);
}

/** The Node 22 binary of the project (type stripping), else the running one. */
export function nodeBinary(): string {
  const local = join(REPO_DIR, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

export function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = join(d, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function readFileOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
