// VMware's vCenter simulator (Debian's govmomi 0.24.2 `simulator` package) behind our own small
// Go main (vcsim/main.go), built offline in GOPATH mode and cached under /var/lib/asr-lab/bin/
// keyed by the SHA-256 of main.go.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { VcsimState } from './types.ts';
import { LAB_DIR, LAB_ROOT, readFileOr, run, secret, waitFor } from './util.ts';

export const GOPATH_SYSTEM = '/usr/share/gocode';
const MAIN_GO = join(LAB_DIR, 'vcsim', 'main.go');

/** Why vcsim cannot be built here, or undefined when it can. */
export function vcsimMissing(): string | undefined {
  if (!existsSync('/usr/bin/go')) return 'no Go toolchain (apt-get install -y golang-go)';
  if (!existsSync(join(GOPATH_SYSTEM, 'src/github.com/vmware/govmomi/simulator')))
    return 'govmomi simulator sources missing (apt-get install -y golang-github-vmware-govmomi-dev)';
  return undefined;
}

/** Builds vcsim/main.go once per content hash; returns the binary path. */
export async function ensureVcsimBinary(): Promise<string> {
  const src = readFileSync(MAIN_GO);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const binDir = join(LAB_ROOT, 'bin');
  const bin = join(binDir, `vcsim-${hash}`);
  if (existsSync(bin)) return bin;
  const missing = vcsimMissing();
  if (missing) throw new Error(missing);
  mkdirSync(binDir, { recursive: true });
  const work = mkdtempSync(join(binDir, 'build-'));
  try {
    const pkg = join(work, 'src', 'asrlabvcsim');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(MAIN_GO, join(pkg, 'main.go'));
    const out = join(work, 'vcsim');
    await run('go', ['build', '-o', out, '.'], {
      cwd: pkg,
      timeoutMs: 300_000,
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: `${GOPATH_SYSTEM}:${work}`,
        GOPROXY: 'off',
        GOFLAGS: '',
        GOCACHE: process.env.GOCACHE ?? join(LAB_ROOT, 'bin', 'gocache'),
      },
    });
    renameSync(out, bin); // atomic: a concurrent build of the same hash just wins or loses the race
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

export interface VcsimOptions {
  guestIps: string[];
  guestNames: string[];
  /** Shows in ps (the lab passes asrlab-<id>-vcsim so that leftovers are found by name). */
  tag?: string;
  /** Total VM count (default: max(12, 2 × guest IPs)). */
  vms?: number;
  datacenters?: number;
  clusters?: number;
  hostsPerCluster?: number;
  standaloneHosts?: number;
  powerOffEvery?: number;
  user?: string;
  password?: string;
}

/** Starts vcsim on 127.0.0.1:0 (TLS); its state (tmp datastores, log) lives in dir. */
export async function startVcsim(dir: string, opts: VcsimOptions): Promise<VcsimState> {
  const binary = await ensureVcsimBinary();
  mkdirSync(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  const user = opts.user ?? 'administrator@vsphere.local';
  const password = opts.password ?? secret();
  const vms = opts.vms ?? Math.max(12, opts.guestIps.length * 2);
  const infoPath = join(dir, 'info.json');
  rmSync(infoPath, { force: true });
  const args = [
    '-tag',
    opts.tag ?? 'asrlab-vcsim',
    '-listen',
    '127.0.0.1:0',
    '-user',
    user,
    '-dc',
    String(opts.datacenters ?? 1),
    '-cluster',
    String(opts.clusters ?? 1),
    '-host',
    String(opts.hostsPerCluster ?? 3),
    '-standalone-host',
    String(opts.standaloneHosts ?? 1),
    '-total-vms',
    String(vms),
    '-power-off-every',
    String(opts.powerOffEvery ?? 5),
    '-guest-ips',
    opts.guestIps.join(','),
    '-guest-names',
    opts.guestNames.join(','),
  ];
  const outFd = openSync(infoPath, 'w', 0o600);
  const errFd = openSync(join(dir, 'vcsim.log'), 'w', 0o600);
  // The password travels in the environment, not in argv (ps would show it).
  const child = spawn(binary, args, {
    detached: true,
    stdio: ['ignore', outFd, errFd],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: join(dir, 'tmp'), VCSIM_PASSWORD: password },
  });
  closeSync(outFd);
  closeSync(errFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  const info = await waitFor(
    'vcsim to listen',
    () => {
      if (exited !== undefined) throw new Error(`vcsim exited ${exited}: ${readFileOr(join(dir, 'vcsim.log'), '').slice(-2000)}`);
      const text = readFileOr(infoPath, '');
      if (!text.includes('\n')) return undefined;
      return JSON.parse(text) as { url: string; fingerprintSha256: string; vmCount: number; poweredOff: number; hosts: number; pid: number };
    },
    120_000,
    20,
  );
  return {
    url: info.url,
    sdkUrl: info.url,
    user,
    password,
    fingerprintSha256: info.fingerprintSha256,
    vmCount: info.vmCount,
    poweredOff: info.poweredOff,
    hostCount: info.hosts,
    pid: child.pid ?? info.pid,
    binary,
    guestIps: opts.guestIps,
  };
}
