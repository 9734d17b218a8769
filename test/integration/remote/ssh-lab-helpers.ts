import { readFileSync } from 'node:fs';
import { AsrFailure, type AsrError } from '../../../src-main/model/errors.ts';
import { SshTransport, type SshAuth, type SshTransportOptions } from '../../../src-main/remote/ssh/ssh-transport.ts';
import { addHost } from '../../lab/lab.ts';
import type { HostState, LabState, LabUser } from '../../lab/types.ts';

export type Login = 'root-key' | 'admin-password' | 'admin-kbd' | 'admin-key' | 'nopw-key' | 'nopw-password';

/** A transport for a lab host and one of the lab's accounts; every log line is kept for checks. */
export function labTransport(host: HostState, login: Login, extra: Partial<SshTransportOptions> = {}): { t: SshTransport; logs: string[] } {
  const u = host.users;
  const pick: Record<Login, [LabUser, () => SshAuth]> = {
    'root-key': [u.root, () => ({ privateKey: readFileSync(need(u.root.keyPath)) })],
    'admin-password': [u.admin, () => ({ password: need(u.admin.password), method: 'password' })],
    'admin-kbd': [u.admin, () => ({ password: need(u.admin.password), method: 'keyboard-interactive' })],
    'admin-key': [u.admin, () => ({ privateKey: readFileSync(need(u.admin.keyPath)), passphrase: need(u.admin.keyPassphrase) })],
    'nopw-key': [u.nopw, () => ({ privateKey: readFileSync(need(u.nopw.keyPath)) })],
    'nopw-password': [u.nopw, () => ({ password: need(u.nopw.password) })],
  };
  const [user, auth] = pick[login];
  const logs: string[] = [];
  const t = new SshTransport({
    host: host.name,
    address: host.address,
    username: user.name,
    auth: auth(),
    ...(user.sudo === 'password' ? { sudoPassword: user.password } : {}),
    expectedHostKey: host.hostKeyFingerprint,
    connectTimeoutMs: 3_000,
    handshakeTimeoutMs: 8_000,
    killGraceMs: 1_000,
    log: (l) => logs.push(l),
    ...extra,
  });
  return { t, logs };
}

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('lab account is missing a credential this test needs');
  return v;
}

/** Run `fn`, expect an AsrFailure, return its data (fails the test otherwise). */
export async function failureOf(fn: () => Promise<unknown>): Promise<AsrError & { elapsedMs: number }> {
  const started = Date.now();
  try {
    await fn();
  } catch (e) {
    if (e instanceof AsrFailure) return { ...e.data, elapsedMs: Date.now() - started };
    throw e;
  }
  throw new Error('expected an AsrFailure, got success');
}

/**
 * A throwaway host for tests that break hosts. One retry, said out loud: two addHost calls at
 * the same moment (parallel test files) have been seen to leave one host unreachable.
 */
export async function scratchHost(state: LabState, hostname: string): Promise<HostState> {
  try {
    return await addHost(state, { hostname });
  } catch (e) {
    console.warn(`[lab] addHost(${hostname}) failed once, retrying: ${(e as Error).message}`);
    return addHost(state, { hostname });
  }
}
