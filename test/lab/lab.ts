// The ASR Deploy test lab: real OpenSSH hosts in network/mount/UTS/PID namespaces on a private
// bridge, VMware's vCenter simulator, a real squid proxy, PowerShell remoting over SSH.
// See test/lab/README.md. Needs root on Linux.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createAccounts } from './accounts.ts';
import { diskFullPaths as diskFullPathsList } from './faults.ts';
import { hostExec, hostRecords, PWSH_PATH, startHost, stopHost, nsName, type LabNet } from './hosts.ts';
import { hostSpecs, MAX_BASE_HOSTS, type CloneKind, type HostSpec } from './profiles.ts';
import { squidMissing, startEndpoint, startSquid } from './proxy.ts';
import { startApplianceListener } from './appliance.ts';
import type { HostState, LabState, ProfileId } from './types.ts';
import { allProcs, LAB_ROOT, procAlive, procStartTime, readJson, run, shortId, sleep, tcpProbe, waitFor, which, writeJsonAtomic } from './util.ts';
import { startVcsim } from './vcsim.ts';

export type * from './types.ts';
export { fault, FAULTS, diskFullPaths } from './faults.ts';
export { hostExec, hostProcs } from './hosts.ts';
export { PROFILES, DEFAULT_HOSTS } from './profiles.ts';

export interface LabUpOptions {
  /** Number of hosts, 1..100 (default 6: one per profile + a non-English host name; more are clones, see `clones`). */
  hosts?: number;
  /** What the hosts after the sixth are: the default lab's profile mix (default) or clones of one profile. */
  clones?: CloneKind;
  /** Start the vCenter simulator (default true). */
  vcsim?: boolean;
  /** Total VMs in the simulator (default max(12, 2 × hosts)). */
  vms?: number;
  /** Start squid and the lab endpoint (default true). */
  proxy?: boolean;
  /** Start the stand-in replication appliance's listener (443 and 9443 at <base>.251; default true). */
  appliance?: boolean;
  /** Configure PowerShell remoting over SSH on one host when pwsh exists (default true). */
  pwsh?: boolean;
  /** The lab outlives this process (cli `up`): a keeper process is its owner until `down`. */
  detached?: boolean;
  /** Progress messages. */
  log?: (msg: string) => void;
}

interface OwnerRecord {
  id: string;
  pid: number;
  startTime: number;
  createdAt: string;
  subnet?: string;
  detached: boolean;
}

const ID_RE = /^[0-9a-f]{6}$/;
/** Hosts started at once (each is ~10 processes: ip, unshare, mounts, sshd). */
const HOST_START_CONCURRENCY = 8;

/** `fn` over `items`, at most `limit` at a time, results in order; the first failure rejects. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
export const stateFile = (id: string): string => join(LAB_ROOT, id, 'state.json');

/** Why the lab cannot run on this machine, or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the lab needs root (network and mount namespaces)';
  for (const cmd of ['ip', 'unshare', 'nsenter', 'ssh-keygen', 'openssl', 'mount']) if (!which(cmd)) return `${cmd} is not installed`;
  if (!existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is missing (apt-get install -y openssh-server)';
  if (!existsSync('/usr/bin/sudo')) return 'sudo is missing (apt-get install -y sudo)';
  try {
    if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlay filesystem';
  } catch {
    return '/proc is not readable';
  }
  return undefined;
}

// ---------------------------------------------------------------- locking and subnets

async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), `${process.pid} ${procStartTime(process.pid) ?? 0}\n`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot take lock ${lock}`, { cause: e });
      const [pid, st] = (readFileOr(join(lock, 'owner')) || '0 0').trim().split(' ').map(Number);
      let age: number;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if ((pid && !procAlive(pid, st)) || (!pid && age > 5000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${lock} held by ${pid}`, { cause: e });
      await sleep(20);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

function overlaps(a: string, b: string): boolean {
  const [ia = '0.0.0.0', la = '32'] = a.split('/');
  const [ib = '0.0.0.0', lb = '32'] = b.split('/');
  const len = Math.min(Number(la), Number(lb));
  if (len === 0) return true;
  const mask = len === 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
  return (ipToInt(ia) & mask) >>> 0 === (ipToInt(ib) & mask) >>> 0;
}

/** Picks 10.A.B.0/24 that overlaps no route or address of the machine (except the default route) and no other lab. */
async function pickSubnet(): Promise<string> {
  const used: string[] = [];
  const routes = JSON.parse((await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])).stdout || '[]') as Array<{ dst?: string }>;
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    used.push(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
  }
  const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr'])).stdout || '[]') as Array<{ addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  for (const l of addrs) for (const a of l.addr_info ?? []) if (a.local) used.push(`${a.local}/${a.prefixlen ?? 32}`);
  for (const id of labIds()) {
    const o = readOwner(id);
    if (o?.subnet) used.push(o.subnet);
  }
  const start = Math.floor(Math.random() * 256);
  for (const a of [213, 214, 215, 216]) {
    for (let i = 0; i < 256; i++) {
      const cidr = `10.${a}.${(start + i) % 256}.0/24`;
      if (!used.some((u) => overlaps(u, cidr))) return cidr;
    }
  }
  throw new Error('no free 10.A.B.0/24 for the lab');
}

// ---------------------------------------------------------------- lab directories

function labIds(): string[] {
  try {
    return readdirSync(LAB_ROOT).filter((d) => ID_RE.test(d));
  } catch {
    return [];
  }
}

function readOwner(id: string): OwnerRecord | undefined {
  try {
    return readJson<OwnerRecord>(join(LAB_ROOT, id, 'owner.json'));
  } catch {
    return undefined;
  }
}

export function readLabState(idOrPath: string): LabState {
  const path = ID_RE.test(idOrPath) ? stateFile(idOrPath) : idOrPath;
  return readJson<LabState>(path);
}

function ownerAlive(o: OwnerRecord | undefined): boolean {
  return !!o && procAlive(o.pid, o.startTime);
}

// ---------------------------------------------------------------- up

/** Brings a lab up (after removing stale ones) and returns its state (also in <stateDir>/state.json). */
export async function labUp(opts: LabUpOptions = {}): Promise<LabState> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const why = labUnavailableReason();
  if (why) throw new Error(`the lab cannot run here: ${why}`);
  const removed = await downStale();
  if (removed.length) log(`removed stale labs: ${removed.join(', ')}`);
  mkdirSync(LAB_ROOT, { recursive: true, mode: 0o711 });
  chmodSync(LAB_ROOT, 0o711); // squid (user proxy) must traverse to its own directory
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  // Identity, owner and subnet (under a lock so that concurrent labs never pick the same subnet).
  const { id, stateDir, subnet } = await withLock(LAB_ROOT, async () => {
    let id = shortId();
    while (existsSync(join(LAB_ROOT, id))) id = shortId();
    const stateDir = join(LAB_ROOT, id);
    mkdirSync(stateDir, { mode: 0o711 });
    const subnet = await pickSubnet();
    writeJsonAtomic(join(stateDir, 'owner.json'), {
      id,
      pid: process.pid,
      startTime: procStartTime(process.pid) ?? 0,
      createdAt: new Date().toISOString(),
      subnet,
      detached: false,
    } satisfies OwnerRecord);
    return { id, stateDir, subnet };
  });
  const base = subnet.split('.').slice(0, 3).join('.');
  const bridge = `asrl${id}br`;
  const bridgeAddress = `${base}.1`;
  const timings: Record<string, number> = {};
  const unavailable: Record<string, string> = {};
  const mark = (k: string, since: number): void => {
    timings[k] = Date.now() - since;
  };

  try {
    // Owner: this process, or a keeper process for a detached lab.
    let ownerPid = process.pid;
    if (opts.detached) {
      const keeper = spawn('sleep', ['infinity'], { detached: true, stdio: 'ignore', argv0: `asrlab-keeper-${id}` });
      keeper.unref();
      ownerPid = keeper.pid ?? process.pid;
      await waitFor('keeper', () => (procStartTime(ownerPid) !== undefined ? true : undefined), 2000, 5);
    }
    const ownerStartTime = procStartTime(ownerPid) ?? 0;
    writeJsonAtomic(join(stateDir, 'owner.json'), {
      id,
      pid: ownerPid,
      startTime: ownerStartTime,
      createdAt: new Date().toISOString(),
      subnet,
      detached: !!opts.detached,
    } satisfies OwnerRecord);

    let t = Date.now();
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${bridgeAddress}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    const accounts = await createAccounts(stateDir, id);
    mark('bridgeAndKeysMs', t);

    const wantPwsh = opts.pwsh !== false;
    let pwshUsable = false;
    if (wantPwsh) {
      if (existsSync(PWSH_PATH)) pwshUsable = true;
      else unavailable.pwsh = `${PWSH_PATH} does not exist (install PowerShell: dotnet tool install --global PowerShell)`;
    }
    const net: LabNet = {
      id,
      stateDir,
      bridge,
      bridgeAddress,
      base,
      accounts,
      knownHostsPath: join(stateDir, 'known_hosts'),
      pwshUsable,
    };
    const specs = hostSpecs(opts.hosts, opts.clones);
    if (specs.length > MAX_BASE_HOSTS) throw new Error(`at most ${MAX_BASE_HOSTS} base hosts (addresses .11-.${10 + MAX_BASE_HOSTS})`);
    const addressOf = (i: number): string => `${base}.${11 + i}`;

    // Hosts, simulator and proxy in parallel.
    log(`lab ${id}: ${specs.length} hosts on ${bridge} ${subnet}`);
    t = Date.now();
    // A bounded number at a time: 100 inits started at once on 2 cores miss their ready bound.
    const hostsP = mapLimit(specs, HOST_START_CONCURRENCY, (s, i) => startHost(net, s, 11 + i)).then((h) => {
      mark('hostsMs', t);
      return h;
    });
    const vcsimP = (async () => {
      if (opts.vcsim === false) return undefined;
      // A cached binary works without Go; otherwise ensureVcsimBinary says what is missing.
      const t1 = Date.now();
      try {
        const v = await startVcsim(join(stateDir, 'vcsim'), {
          guestIps: specs.map((_, i) => addressOf(i)),
          guestNames: specs.map((s) => s.hostname),
          vms: opts.vms,
          tag: `asrlab-${id}-vcsim`,
        });
        mark('vcsimMs', t1);
        return v;
      } catch (e) {
        unavailable.vcsim = (e as Error).message;
        return undefined;
      }
    })();
    const proxyP = (async () => {
      if (opts.proxy === false) return undefined;
      const missing = squidMissing();
      if (missing) {
        unavailable.proxy = missing;
        return undefined;
      }
      const t1 = Date.now();
      try {
        const endpoint = await startEndpoint(id, bridge, base, join(stateDir, 'endpoint'));
        const p = await startSquid(join(stateDir, 'squid'), bridgeAddress, subnet, endpoint);
        mark('proxyMs', t1);
        return p;
      } catch (e) {
        unavailable.proxy = (e as Error).message;
        return undefined;
      }
    })();

    const applianceP =
      opts.appliance === false
        ? Promise.resolve(undefined)
        : startApplianceListener(id, bridge, base, join(stateDir, 'appliance')).catch((e: unknown) => {
            unavailable.appliance = (e as Error).message;
            return undefined;
          });

    const hosts = await hostsP;
    // PowerShell: check that pwsh really runs inside the host's namespaces.
    const pwshP = (async () => {
      const ph = hosts.filter((h) => h.powershell);
      if (!pwshUsable || !ph.length) {
        if (wantPwsh && pwshUsable && !ph.length) unavailable.pwsh = 'no host with the powershell profile in this lab (use at least 5 hosts)';
        return undefined;
      }
      const t1 = Date.now();
      const h = ph[0] as HostState;
      const r = await hostExec(h, [PWSH_PATH, '-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '[System.Net.Dns]::GetHostName()']);
      mark('pwshCheckMs', t1);
      if (r.code !== 0 || r.stdout.trim() !== h.hostname) {
        unavailable.pwsh = `pwsh does not run inside the lab host (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`;
        for (const x of ph) x.powershell = false;
        return undefined;
      }
      return { path: PWSH_PATH, hosts: ph.map((x) => x.name) };
    })();
    const [vcsim, proxy, pwsh, appliance] = await Promise.all([vcsimP, proxyP, pwshP, applianceP]);

    writeFileSync(net.knownHostsPath, hosts.map((h) => `${h.address} ${h.hostPublicKey}\n`).join(''), { mode: 0o600 });
    timings.upMs = Date.now() - t0;
    const state: LabState = {
      id,
      stateDir,
      createdAt: new Date(t0).toISOString(),
      ownerPid,
      ownerStartTime,
      detached: !!opts.detached,
      bridge,
      bridgeAddress,
      subnet,
      hosts,
      knownHostsPath: net.knownHostsPath,
      users: accounts.users,
      diskFullPaths: diskFullPathsList(),
      ...(vcsim ? { vcsim } : {}),
      ...(proxy ? { proxy } : {}),
      ...(pwsh ? { pwsh } : {}),
      ...(appliance ? { appliance } : {}),
      unavailable,
      timings,
    };
    writeJsonAtomic(stateFile(id), state);
    log(`lab ${id} up in ${timings.upMs} ms`);
    return state;
  } catch (e) {
    await labDown(id).catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------- scratch hosts

/** Scratch hosts take .120-.249: above the base hosts' .11-.110 (100 hosts at most). */
const SCRATCH_FIRST = 120;

/**
 * Adds a throwaway host to a running lab (for tests that break hosts with faults without
 * disturbing the shared ones). It is not listed in state.json; remove it with removeHost.
 */
export async function addHost(
  state: LabState,
  opts: { profile?: ProfileId; hostname?: string; sftp?: boolean; etcHostsCorrect?: boolean; kernel?: string } = {},
): Promise<HostState> {
  const addrDir = join(state.stateDir, 'addr');
  mkdirSync(addrDir, { recursive: true });
  // Round-robin from the last address handed out, so a just-freed address is not reused at once.
  const nextFile = join(addrDir, 'next');
  const first = SCRATCH_FIRST;
  const count = 250 - first;
  const start = Number(readFileOr(nextFile, String(first))) || first;
  let octet = 0;
  for (let i = 0; i < count; i++) {
    const o = first + ((Math.max(0, start - first) + i) % count);
    try {
      mkdirSync(join(addrDir, String(o)));
      octet = o;
      writeFileSync(nextFile, String(o + 1 >= 250 ? first : o + 1));
      break;
    } catch {
      /* taken */
    }
  }
  if (!octet) throw new Error(`no free scratch address (.${first}-.249)`);
  const name = `s${octet}`;
  const spec: HostSpec = {
    name,
    hostname: opts.hostname ?? `lab-scratch-${octet}`,
    profile: opts.profile ?? 'ubuntu-22.04',
    etcHostsCorrect: opts.etcHostsCorrect ?? true,
    sftp: opts.sftp ?? true,
    nonEnglishName: false,
    powershell: false,
    ...(opts.kernel ? { kernel: opts.kernel } : {}),
  };
  const accounts = { users: state.users, files: readAccountFiles(state) };
  const net: LabNet = {
    id: state.id,
    stateDir: state.stateDir,
    bridge: state.bridge,
    bridgeAddress: state.bridgeAddress,
    base: state.bridgeAddress.split('.').slice(0, 3).join('.'),
    accounts,
    knownHostsPath: state.knownHostsPath,
    pwshUsable: false,
  };
  try {
    return await startHost(net, spec, octet, true);
  } catch (e) {
    await removeHost(state, name).catch(() => undefined);
    throw e;
  }
}

/** The account files of a lab, read back from its first host's upper /etc. */
function readAccountFiles(state: LabState): { passwd: string; shadow: string; group: string; gshadow: string; sudoers: string } {
  const h = state.hosts[0];
  if (!h) throw new Error('lab has no hosts');
  const etc = join(h.dir, 'etc-upper');
  return {
    passwd: readFileSync(join(etc, 'passwd'), 'utf8'),
    shadow: readFileSync(join(etc, 'shadow'), 'utf8'),
    group: readFileSync(join(etc, 'group'), 'utf8'),
    gshadow: readFileSync(join(etc, 'gshadow'), 'utf8'),
    sudoers: readFileSync(join(etc, 'sudoers.d', 'asrlab'), 'utf8'),
  };
}

export async function removeHost(state: LabState, name: string): Promise<void> {
  const rec = hostRecords(state.stateDir).find((h) => h.name === name);
  await stopHost(state.id, { name, initPid: rec?.initPid, unsharePid: rec?.unsharePid });
  if (rec?.veth) await run('ip', ['link', 'del', rec.veth], { allowFail: true });
  if (rec?.address) await run('ip', ['neigh', 'flush', 'to', rec.address, 'dev', state.bridge], { allowFail: true });
  rmSync(join(state.stateDir, 'hosts', name), { recursive: true, force: true });
  const octet = rec?.octet ?? Number(name.slice(1));
  if (octet) rmSync(join(state.stateDir, 'addr', String(octet)), { recursive: true, force: true });
}

// ---------------------------------------------------------------- down

function killPid(pid: number | undefined, sig: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** What is left of a lab on this machine (empty when it is fully gone). */
export async function labLeftovers(id: string): Promise<string[]> {
  const left: string[] = [];
  const netns = (await run('ip', ['netns', 'list'], { allowFail: true })).stdout;
  for (const l of netns.split('\n')) if (l.startsWith(`asrlab-${id}-`)) left.push(`netns ${l.split(' ')[0]}`);
  const links = (await run('ip', ['-o', 'link', 'show'], { allowFail: true })).stdout;
  for (const l of links.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(l);
    if (m?.[1]?.startsWith(`asrl${id}`)) left.push(`link ${m[1]}`);
  }
  for (const l of readFileOr('/proc/self/mountinfo').split('\n')) {
    if (l.includes(`${LAB_ROOT}/${id}`) || l.includes(`asrlab-${id}-`)) left.push(`mount ${l.split(' ')[4]}`);
  }
  for (const p of allProcs()) {
    if (p.pid === process.pid) continue;
    if (p.cmdline.includes(`${LAB_ROOT}/${id}/`) || p.cmdline.includes(`asrlab-keeper-${id}`) || p.cmdline.includes(`asrlab-${id}-`)) {
      left.push(`process ${p.pid} ${p.cmdline.slice(0, 120)}`);
    }
  }
  if (which('nft')) {
    const tables = (await run('nft', ['list', 'tables'], { allowFail: true })).stdout;
    for (const l of tables.split('\n')) if (l.includes(`asrlab_${id}`)) left.push(`nft ${l}`);
  }
  if (existsSync(join(LAB_ROOT, id))) left.push(`dir ${join(LAB_ROOT, id)}`);
  return left;
}

/**
 * Takes a lab down and verifies that nothing is left: no namespaces, links, mounts, processes,
 * nft tables or state directory. Without an argument: every detached lab (`cli up`) and every
 * lab whose owner died, but never one that a live process (a running test run) owns; with
 * 'all': every lab on the machine.
 */
export async function labDown(idOrState?: string | LabState | 'all'): Promise<void> {
  if (idOrState === undefined || idOrState === 'all') {
    const errors: string[] = [];
    for (const id of labIds()) {
      const o = readOwner(id);
      if (idOrState === undefined && o && ownerAlive(o) && !o.detached) continue;
      await labDown(id).catch((e: Error) => errors.push(e.message));
    }
    if (errors.length) throw new Error(errors.join('\n'));
    return;
  }
  const id = typeof idOrState === 'string' ? idOrState : idOrState.id;
  if (!ID_RE.test(id)) throw new Error(`not a lab id: ${id}`);
  const dir = join(LAB_ROOT, id);
  let state: LabState | undefined;
  try {
    state = readLabState(id);
  } catch {
    state = typeof idOrState === 'object' ? idOrState : undefined;
  }
  const owner = readOwner(id);

  // Services in the root namespace: graceful first (squid and vcsim clean up after themselves).
  const services = [state?.proxy?.pid, state?.vcsim?.pid, state?.appliance?.pid].filter((p): p is number => !!p);
  for (const p of services) killPid(p, 'SIGTERM');
  if (owner?.detached) killPid(owner.pid);
  const stopped = Date.now();
  while (services.some((p) => procAlive(p)) && Date.now() - stopped < 3000) await sleep(20);

  // Hosts (base and scratch), then anything else in a namespace of this lab: all at once (a
  // 100-host lab is one kill round, one /proc scan and one `ip` process, not 100 of each).
  await stopHosts(id, hostRecords(dir));
  for (const p of allProcs()) {
    if (p.pid === process.pid) continue;
    if (p.cmdline.includes(`${dir}/`) || p.cmdline.includes(`asrlab-keeper-${id}`)) killPid(p.pid);
  }
  // Links: veths (their peers die with them) and the bridge.
  const links = (await run('ip', ['-o', 'link', 'show'], { allowFail: true })).stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith(`asrl${id}`));
  for (const l of links.filter((n) => !n.endsWith('br'))) await run('ip', ['link', 'del', l], { allowFail: true });
  for (const l of links.filter((n) => n.endsWith('br'))) await run('ip', ['link', 'del', l], { allowFail: true });

  // Wait for processes to exit before removing the directory they may still write to.
  await waitFor(
    'lab processes to exit',
    () => (allProcs().some((p) => p.pid !== process.pid && p.cmdline.includes(`${dir}/`)) ? undefined : true),
    5000,
    20,
  ).catch(() => undefined);
  // Host directories in parallel (each is ~70 small files; unlinks wait on the disk, not the CPU).
  await Promise.all(readdirSafe(join(dir, 'hosts')).map((h) => rm(join(dir, 'hosts', h), { recursive: true, force: true })));
  rmSync(dir, { recursive: true, force: true });

  let left: string[];
  const deadline = Date.now() + 5000;
  for (;;) {
    left = await labLeftovers(id);
    if (!left.length || Date.now() > deadline) break;
    await sleep(100);
  }
  if (left.length) throw new Error(`lab ${id} left things behind:\n  ${left.join('\n  ')}`);
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/**
 * Stops hosts together: SIGKILL every init (each ends its PID namespace), wait for them, kill
 * whatever else runs in the lab's network namespaces (one /proc scan), delete the namespaces
 * with one `ip -batch` (their veths go with them).
 */
async function stopHosts(labId: string, recs: Array<{ initPid?: number; unsharePid?: number }>): Promise<void> {
  for (const r of recs) for (const pid of [r.initPid, r.unsharePid]) killPid(pid && procAlive(pid) ? pid : undefined);
  const inits = recs.map((r) => r.initPid).filter((p): p is number => !!p);
  await waitFor('lab hosts to stop', () => (inits.some((p) => procAlive(p)) ? undefined : true), 10_000, 10).catch(() => undefined);
  const prefix = `asrlab-${labId}-`;
  const names = readdirSafe('/run/netns').filter((n) => n.startsWith(prefix));
  if (!names.length) return;
  const inodes = new Set<number>();
  for (const n of names) {
    try {
      inodes.add(statSync(join('/run/netns', n)).ino);
    } catch {
      /* gone */
    }
  }
  for (const e of readdirSafe('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (inodes.has(statSync(`/proc/${e}/ns/net`).ino)) killPid(Number(e));
    } catch {
      /* exited, or a kernel thread */
    }
  }
  await run('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join(''), allowFail: true });
}

/**
 * Removes every lab whose owner process is dead (and orphaned lab namespaces, links and
 * processes without a lab directory). Returns the ids it removed.
 */
export async function downStale(): Promise<string[]> {
  const removed: string[] = [];
  for (const id of labIds()) {
    const o = readOwner(id);
    let stale: boolean;
    if (o) stale = !ownerAlive(o);
    else {
      try {
        stale = Date.now() - statSync(join(LAB_ROOT, id)).mtimeMs > 60_000;
      } catch {
        stale = true;
      }
    }
    if (stale) {
      await labDown(id);
      removed.push(id);
    }
  }
  // Orphans: lab-named resources whose lab directory is gone.
  const orphanIds = new Set<string>();
  const netns = (await run('ip', ['netns', 'list'], { allowFail: true })).stdout;
  for (const m of netns.matchAll(/^asrlab-([0-9a-f]{6})-/gm)) if (m[1]) orphanIds.add(m[1]);
  const links = (await run('ip', ['-o', 'link', 'show'], { allowFail: true })).stdout;
  for (const m of links.matchAll(/^\d+:\s+asrl([0-9a-f]{6})(?:br|v\d+)/gm)) if (m[1]) orphanIds.add(m[1]);
  for (const p of allProcs()) {
    const m = /asrlab-keeper-([0-9a-f]{6})|\/var\/lib\/asr-lab\/([0-9a-f]{6})\//.exec(p.cmdline);
    const oid = m?.[1] ?? m?.[2];
    if (oid) orphanIds.add(oid);
  }
  for (const oid of orphanIds) {
    if (existsSync(join(LAB_ROOT, oid))) continue;
    await labDown(oid);
    removed.push(oid);
  }
  return removed;
}

// ---------------------------------------------------------------- status

export interface LabStatus {
  id: string;
  stateDir: string;
  ownerPid: number;
  ownerAlive: boolean;
  detached: boolean;
  /** state.json, when the lab finished coming up. */
  state?: LabState;
  hosts: Array<{ name: string; hostname: string; address: string; running: boolean; sshd: boolean }>;
  vcsim?: { url: string; running: boolean };
  proxy?: { url: string; running: boolean };
  alive: boolean;
}

/** Status of every lab on this machine (read from their state.json and checked live). */
export async function labStatus(): Promise<LabStatus[]> {
  const out: LabStatus[] = [];
  for (const id of labIds()) {
    const o = readOwner(id);
    let state: LabState | undefined;
    try {
      state = readLabState(id);
    } catch {
      state = undefined;
    }
    const hosts = await Promise.all(
      (state?.hosts ?? []).map(async (h) => ({
        name: h.name,
        hostname: h.hostname,
        address: h.address,
        running: procAlive(h.initPid),
        sshd: await tcpProbe(h.address, 22, 500),
      })),
    );
    const st: LabStatus = {
      id,
      stateDir: join(LAB_ROOT, id),
      ownerPid: o?.pid ?? 0,
      ownerAlive: ownerAlive(o),
      detached: !!o?.detached,
      ...(state ? { state } : {}),
      hosts,
      ...(state?.vcsim ? { vcsim: { url: state.vcsim.url, running: procAlive(state.vcsim.pid) } } : {}),
      ...(state?.proxy ? { proxy: { url: `http://${state.proxy.host}:${state.proxy.port}`, running: procAlive(state.proxy.pid) } } : {}),
      alive: false,
    };
    st.alive = !!state && isLabAlive(state);
    out.push(st);
  }
  return out;
}

/** true when the lab's owner, hosts and services are all running. */
export function isLabAlive(state: LabState): boolean {
  if (!existsSync(stateFile(state.id))) return false;
  if (!procAlive(state.ownerPid, state.ownerStartTime)) return false;
  if (!state.hosts.every((h) => procAlive(h.initPid))) return false;
  if (state.vcsim && !procAlive(state.vcsim.pid)) return false;
  if (state.proxy && !procAlive(state.proxy.pid)) return false;
  return true;
}

export { nsName };
