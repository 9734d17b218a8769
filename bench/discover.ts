// Discovery benchmark (`node bench/discover.ts`, or `npm run bench -- discover`):
//  1. a /22 on loopback (127.77.0.0/22; 16 addresses with a real sshd on :22) scanned on 22, 5985
//     and 5986 by discoverNetwork, and in the same run by `nmap -sT -T4 -n -Pn` on the same targets,
//     both as whole processes, alternating, --rounds times (median);
//  2. a vCenter inventory of 5,000 VMs from VMware's simulator (seconds, peak RSS of the process;
//     median of --rounds fresh processes, at least 3).
// Only loopback addresses are probed. Needs root (sshd on :22) and Go + govmomi for the simulator;
// a part that cannot run says why in the table.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY, discoverNetwork } from '../src-main/discovery/network/index.ts';

const SUBNET = '127.77.0.0/22';
const PORTS = [22, 5985, 5986];
/** Addresses inside SUBNET where the benchmark's sshd listens. */
const SSH_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.77.${i % 4}.${10 + i * 13}`);

interface Row {
  what: string;
  value: string;
  note: string;
}

function run(cmd: string, args: string[], timeoutMs = 600_000, env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, ...(env ? { env } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function startSshd(dir: string): Promise<ChildProcess> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const key = join(dir, 'host_ed25519');
  const gen = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  if (gen.code !== 0) throw new Error(`ssh-keygen: ${gen.stderr}`);
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      ...SSH_ADDRESSES.map((a) => `ListenAddress ${a}:22`),
      `HostKey ${key}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxStartups 200:30:400',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  // wait until every listener accepts
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await discoverNetwork(SSH_ADDRESSES, { ports: [22], timeoutMs: 300, concurrency: 16 });
    if (found.length === SSH_ADDRESSES.length) return child;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`sshd did not come up: ${err.slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** nmap's grepable output → address → open ports. */
function parseNmap(out: string): Map<string, number[]> {
  const res = new Map<string, number[]>();
  for (const line of out.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*)$/.exec(line);
    if (!m) continue;
    const open = m[2]!
      .split(',')
      .map((p) => p.trim().split('/'))
      .filter((f) => f[1] === 'open')
      .map((f) => Number(f[0]));
    if (open.length)
      res.set(
        m[1]!,
        open.sort((a, b) => a - b),
      );
  }
  return res;
}

async function networkBench(rows: Row[], opts: { skipNmap: boolean; rounds: number }): Promise<void> {
  if (process.getuid?.() !== 0) {
    rows.push({ what: `scan ${SUBNET} × ${PORTS.join(',')}`, value: 'skipped', note: 'needs root to run sshd on :22' });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'asr-bench-sshd-'));
  let sshd: ChildProcess | undefined;
  try {
    sshd = await startSshd(dir);
    const nmapPath = await run('sh', ['-c', 'command -v nmap']);
    const withNmap = !opts.skipNmap && nmapPath.code === 0;
    // Both tools are measured the same way: whole-process wall time from spawn to exit, on the
    // same targets, alternating, `rounds` times each (median; this machine is shared and noisy).
    // Ours also reports the scan alone (inside its process, excluding Node's start and imports).
    const ours: ScanChild[] = [];
    const oursWall: number[] = [];
    const nmapWall: number[] = [];
    let nmapMap = new Map<string, number[]>();
    let nmapFailed = '';
    for (let i = 0; i < opts.rounds; i++) {
      const t0 = performance.now();
      const child = await run(process.execPath, [fileURLToPath(import.meta.url), '--scan-child'], 120_000);
      oursWall.push(performance.now() - t0);
      if (child.code !== 0) throw new Error(`scan child: ${child.stderr.slice(0, 300)}`);
      ours.push(JSON.parse(child.stdout) as ScanChild);
      if (!withNmap) continue;
      const t1 = performance.now();
      const nm = await run('nmap', ['-sT', '-p', PORTS.join(','), '-T4', '-n', '-Pn', '-oG', '-', SUBNET]);
      nmapWall.push(performance.now() - t1);
      if (nm.code !== 0) {
        nmapFailed = nm.stderr.slice(0, 200);
        break;
      }
      nmapMap = parseNmap(nm.stdout);
    }
    const last = ours.at(-1)!;
    const oursMap = new Map(last.open);
    const consistent = ours.every((o) => JSON.stringify(o.open) === JSON.stringify(last.open));
    const secs = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
    const spread = (xs: number[]) => `min ${secs(Math.min(...xs))}, max ${secs(Math.max(...xs))}`;
    rows.push({
      what: `ours: scan ${SUBNET} (1,022 hosts) × ${PORTS.length} ports, whole process`,
      value: secs(median(oursWall)),
      note: `median of ${oursWall.length}; ${spread(oursWall)}; ${oursMap.size} hosts open, ${last.banners} SSH banners read; concurrency ${DEFAULT_CONCURRENCY}${consistent ? '' : '; RESULTS DIFFER BETWEEN ROUNDS'}`,
    });
    rows.push({
      what: 'ours: the scan alone (in its process, after start-up and imports)',
      value: secs(median(ours.map((o) => o.ms))),
      note: `median of ${ours.length}; ${spread(ours.map((o) => o.ms))}`,
    });
    if (!withNmap) {
      rows.push({ what: 'nmap -sT -T4 -n -Pn', value: 'skipped', note: opts.skipNmap ? '--skip-nmap' : 'nmap is not installed' });
      return;
    }
    if (nmapFailed) {
      rows.push({ what: 'nmap -sT -T4 -n -Pn', value: 'failed', note: nmapFailed });
      return;
    }
    const same = nmapMap.size === oursMap.size && [...nmapMap].every(([a, p]) => JSON.stringify(oursMap.get(a)) === JSON.stringify(p));
    rows.push({
      what: `nmap -sT -p ${PORTS.join(',')} -T4 -n -Pn (same targets), whole process`,
      value: secs(median(nmapWall)),
      note: `median of ${nmapWall.length}; ${spread(nmapWall)}; ${nmapMap.size} hosts open`,
    });
    rows.push({
      what: 'ratio ours / nmap (whole-process wall time, medians)',
      value: (median(oursWall) / median(nmapWall)).toFixed(2),
      note: same ? 'same open ports found by both' : `DIFFERENT results: ours ${oursMap.size} hosts, nmap ${nmapMap.size}`,
    });
    rows.push({
      what: 'ratio ours (scan alone) / nmap (whole process)',
      value: (median(ours.map((o) => o.ms)) / median(nmapWall)).toFixed(2),
      note: 'how the benchmark compared before: flatters ours by its start-up',
    });
  } catch (e) {
    rows.push({ what: `scan ${SUBNET}`, value: 'failed', note: (e as Error).message.slice(0, 200) });
  } finally {
    sshd?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ScanChild {
  ms: number;
  banners: number;
  open: [string, number[]][];
}

/** The scan as `discover network` runs it, alone in a fresh process (see networkBench). */
async function scanChild(): Promise<ScanChild> {
  const t0 = performance.now();
  const found = await discoverNetwork([SUBNET], { ports: PORTS, timeoutMs: 1000 });
  const ms = performance.now() - t0;
  return { ms, banners: found.filter((h) => h.ssh?.banner).length, open: found.map((h) => [h.address, h.open]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function vcenterBench(rows: Row[], vms: number, rounds: number): Promise<void> {
  let vcsim: { pid: number; url: string; user: string; password: string; fingerprintSha256: string; vmCount: number } | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'asr-bench-vcsim-'));
  try {
    const { startVcsim, vcsimMissing } = await import('../test/lab/vcsim.ts');
    const missing = vcsimMissing();
    if (missing) {
      rows.push({ what: `vCenter inventory of ${vms} VMs`, value: 'skipped', note: missing });
      return;
    }
    const t0 = performance.now();
    vcsim = await startVcsim(dir, { guestIps: SSH_ADDRESSES, guestNames: SSH_ADDRESSES.map((_, i) => `bench-${i}`), vms, clusters: 4, hostsPerCluster: 8 });
    rows.push({
      what: `simulator start (${vcsim.vmCount} VMs)`,
      value: `${((performance.now() - t0) / 1000).toFixed(2)} s`,
      note: 'govmomi 0.24.2 vcsim, not part of the measurement below',
    });
    // A fresh process per measurement, so its peak RSS is the inventory's alone (the password
    // travels in the child's environment, never in argv).
    const env = {
      ...process.env,
      ASR_BENCH_VC_URL: vcsim.url,
      ASR_BENCH_VC_USER: vcsim.user,
      ASR_BENCH_VC_PASSWORD: vcsim.password,
      ASR_BENCH_VC_FP: vcsim.fingerprintSha256,
    };
    const idle = await run(process.execPath, [fileURLToPath(import.meta.url), '--vcenter-child', '--idle'], 60_000, env);
    const runs: { ms: number; vms: number; maxRssMB: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      const child = await run(process.execPath, [fileURLToPath(import.meta.url), '--vcenter-child'], 900_000, env);
      if (child.code !== 0) throw new Error(child.stderr.slice(0, 300));
      runs.push(JSON.parse(child.stdout) as { ms: number; vms: number; maxRssMB: number });
    }
    const ms = median(runs.map((r) => r.ms));
    const rss = median(runs.map((r) => r.maxRssMB));
    const count = Math.min(...runs.map((r) => r.vms));
    const base = idle.code === 0 ? (JSON.parse(idle.stdout) as { maxRssMB: number }).maxRssMB : null;
    rows.push({
      what: `vCenter inventory of ${count} VMs (vim25 SOAP, pinned TLS)`,
      value: `${(ms / 1000).toFixed(2)} s`,
      note: `median of ${runs.length} fresh processes (${runs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')} s); ${Math.round(count / (ms / 1000))} VMs/s; ${count === vcsim.vmCount ? 'all VMs' : `MISSING ${vcsim.vmCount - count}`}`,
    });
    rows.push({
      what: 'peak RSS of the inventory process',
      value: `${rss} MB`,
      note: `median of ${runs.length}${base === null ? '' : `; an idle process of the same modules: ${base} MB`}`,
    });
  } catch (e) {
    rows.push({ what: `vCenter inventory of ${vms} VMs`, value: 'failed', note: (e as Error).message.slice(0, 200) });
  } finally {
    if (vcsim) {
      try {
        process.kill(vcsim.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runDiscoverBench(
  opts: { vms?: number; rounds?: number; skipNmap?: boolean; skipVcenter?: boolean; skipNetwork?: boolean } = {},
): Promise<Row[]> {
  const rows: Row[] = [];
  if (!opts.skipNetwork) await networkBench(rows, { skipNmap: !!opts.skipNmap, rounds: opts.rounds ?? 5 });
  if (!opts.skipVcenter) await vcenterBench(rows, opts.vms ?? 5000, Math.max(opts.rounds ?? 5, 3));
  return rows;
}

export function markdown(rows: Row[]): string {
  const lines = ['| measurement | value | note |', '| --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.what} | ${r.value} | ${r.note.replace(/\|/g, '\\|')} |`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      vms: { type: 'string', default: '5000' },
      'skip-nmap': { type: 'boolean', default: false },
      'skip-vcenter': { type: 'boolean', default: false },
      'skip-network': { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      'vcenter-child': { type: 'boolean', default: false },
      'scan-child': { type: 'boolean', default: false },
      idle: { type: 'boolean', default: false },
    },
  });
  if (values['scan-child']) {
    // internal: one scan in a fresh process (see networkBench)
    console.log(JSON.stringify(await scanChild()));
  } else if (values['vcenter-child'] && values.idle) {
    await import('../src-main/discovery/vcenter/index.ts');
    console.log(JSON.stringify({ maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } else if (values['vcenter-child']) {
    // internal: measured in a fresh process (see vcenterBench)
    const env = process.env;
    const { discoverVcenter } = await import('../src-main/discovery/vcenter/index.ts');
    const t0 = performance.now();
    const vms = await discoverVcenter({
      server: env['ASR_BENCH_VC_URL'] ?? '',
      user: env['ASR_BENCH_VC_USER'] ?? '',
      password: env['ASR_BENCH_VC_PASSWORD'] ?? '',
      fingerprint: env['ASR_BENCH_VC_FP'] ?? '',
    });
    const ms = performance.now() - t0;
    const count = vms.length;
    console.log(JSON.stringify({ ms, vms: count, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } else {
    const rows = await runDiscoverBench({
      vms: Number(values.vms),
      rounds: Number(values.rounds),
      skipNmap: values['skip-nmap'],
      skipVcenter: values['skip-vcenter'],
      skipNetwork: values['skip-network'],
    });
    console.log(markdown(rows));
  }
}
