// Scale benchmark (`npm run bench -- scale [--hosts 100] [--mb 20] [--concurrency 20]`): one lab of
// N hosts in the default lab's profile mix (CentOS 6.6, Oracle Linux 6.5 without SFTP, SLES 11 SP3,
// RHEL 8.6, Ubuntu 22.04, non-English host names), a stand-in Mobility service installer per OS id,
// installed on every host by asr-deploy and by Ansible (forks = our concurrency), in two modes:
// push (the workstation sends the installer to each host over SSH) and pull (each host fetches it
// from `asr-deploy sources serve`, run on a repository host inside the lab next to the targets).
// Per tool and mode: wall time, peak RSS (largest process, and all of the tool's processes at
// once), workstation CPU seconds per host, MB the workstation sent (the lab bridge's transmit
// counter: the workstation's own packets; the repository's traffic to the hosts is bridged between
// namespaces and not counted) and hosts installed. Lab hosts only (network namespaces here).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFixtureInstaller } from '../test/fixtures/mobility-installer/build.ts';
import { addHost, hostExec, labDown, labUp, type HostState, type LabState } from '../test/lab/lab.ts';
import { cryptoOf, topFrames } from './cpu-profile.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    mb: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '20' },
    modes: { type: 'string', default: 'push,pull' },
  },
});
const N = Number(values.hosts);
const MB = Number(values.mb);
const C = Number(values.concurrency);
const VERSION = '9.62.7096.1';
const root = process.cwd();
const bin = join(root, 'bin/asr-deploy.mjs');
const work = mkdtempSync(join(tmpdir(), 'asr-bench-scale-'));
const src = join(work, 'source');
const OS_OF: Record<string, string> = {
  'centos-6.6': 'RHEL6-64',
  'ol-6.5': 'OL6-64',
  'sles-11-sp3': 'SLES11-SP3-64',
  'rhel-8.6': 'RHEL8-64',
  'ubuntu-22.04': 'UBUNTU-22.04-64',
};
const installers = Object.fromEntries(
  Object.values(OS_OF).map((osId) => [osId, buildFixtureInstaller({ dir: src, version: VERSION, osId, payloadBytes: MB * 1024 * 1024 })]),
);
const installerMB = readFileSync(installers['UBUNTU-22.04-64'] as string).length / 1048576;
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Measure {
  wallS: number;
  rssMB: number;
  treeRssMB: number;
  cpuS: number;
  sentMB: number;
  ok: number;
  load: string;
  note?: string;
}

/** Sum of RSS of `pid` and its descendants (the tool's processes), in MB. */
function treeRss(pid: number): number {
  const kids = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e)]);
      rss.set(Number(e), (Number(f[21]) * 4096) / 1048576);
    } catch {
      /* exited */
    }
  }
  let sum = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    sum += rss.get(p) ?? 0;
    stack.push(...(kids.get(p) ?? []));
  }
  return sum;
}

/** Runs a command under GNU time: wall, CPU (user+sys, children included), largest RSS, all-process RSS peak, bytes the workstation sent. */
async function measured(
  lab: LabState,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Omit<Measure, 'ok'> & { code: number; out: string }> {
  const txFile = `/sys/class/net/${lab.bridge}/statistics/tx_bytes`;
  const tx0 = Number(readFileSync(txFile, 'utf8'));
  const timeOut = join(work, 'time.out');
  const t0 = process.hrtime.bigint();
  const load = loadavg();
  const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeOut, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRss(child.pid ?? 0))), 250);
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  clearInterval(sampler);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const [u, s, m] = readFileSync(timeOut, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  const sentMB = (Number(readFileSync(txFile, 'utf8')) - tx0) / 1048576;
  return { wallS, cpuS: (u ?? 0) + (s ?? 0), rssMB: (m ?? 0) / 1024, treeRssMB: peak, sentMB, code, out, load };
}

async function reset(hosts: HostState[]): Promise<void> {
  for (let i = 0; i < hosts.length; i += 25) {
    await Promise.all(
      hosts
        .slice(i, i + 25)
        .map((h) =>
          hostExec(h, [
            'sh',
            '-c',
            'pkill -x svagents; rm -rf /usr/local/ASR /usr/local/.vx_version /usr/local/.asr-fixture-installs /tmp/asr-* /tmp/bench-* /var/tmp/asr-* 2>/dev/null; true',
          ]),
        ),
    );
  }
}

async function installed(hosts: HostState[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < hosts.length; i += 25) {
    const r = await Promise.all(hosts.slice(i, i + 25).map((h) => hostExec(h, ['sh', '-c', `grep -q VERSION=${VERSION} /usr/local/.vx_version && echo yes`])));
    n += r.filter((x) => x.stdout.includes('yes')).length;
  }
  return n;
}

const lab = await labUp({
  hosts: N,
  clones: 'mix',
  vcsim: false,
  proxy: false,
  pwsh: false,
  appliance: false,
  log: (m) => process.stderr.write(`[lab] ${m}\n`),
});
let serve: ReturnType<typeof spawn> | undefined;
const notes: string[] = [`lab of ${N} hosts up in ${((lab.timings.upMs ?? 0) / 1000).toFixed(1)} s (load ${loadavg()})`];
try {
  const hosts = lab.hosts;
  const home = join(work, 'home');
  const env = { ...process.env, ASR_DEPLOY_VAULT_KEY: 'bench-vault-key', NO_COLOR: '1' };
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, [bin, '--home', home, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  cli('credentials', 'add', 'root', '--user', 'root', '--key-file', lab.users.root.keyPath);
  const csv = join(work, 'hosts.csv');
  writeFileSync(csv, `address,name,os,credential,tags\n${hosts.map((h) => `${h.address},${h.name},linux,root,scale`).join('\n')}\n`);
  cli('hosts', 'import', csv);
  cli('trust', 'approve', ...hosts.map((h) => h.address));
  cli('sources', 'trust', ...Object.values(installers));
  const names = hosts.map((h) => h.name).join(',');
  const profile = join(work, 'prof');

  // The repository for pull: `asr-deploy sources serve` on a host of its own inside the lab (a repository near the machines).
  let repoUrl: string | undefined;
  let pullUnavailable: string | undefined;
  if (values.modes.includes('pull')) {
    try {
      const repoHost = await addHost(lab, { profile: 'ubuntu-22.04', hostname: 'lab-repository' });
      serve = spawn(
        'ip',
        [
          'netns',
          'exec',
          repoHost.ns,
          process.execPath,
          bin,
          '--home',
          join(work, 'repo-home'),
          '--json',
          'sources',
          'serve',
          src,
          '--listen',
          `${repoHost.address}:8443`,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const doc = await new Promise<{ url: string; fingerprint: string }>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`sources serve did not start within 30 s: ${text}`)), 30_000);
        serve!.stdout!.on('data', (b: Buffer) => {
          text += b.toString();
          try {
            resolve(JSON.parse(text) as { url: string; fingerprint: string });
            clearTimeout(timer);
          } catch {
            /* not complete yet */
          }
        });
        serve!.on('exit', (c) => reject(new Error(`sources serve exited ${c}: ${text}`)));
      });
      serve.stderr!.resume();
      cli('trust', 'approve', `${repoHost.address}:8443`, '--fingerprint', doc.fingerprint);
      repoUrl = doc.url.endsWith('/') ? doc.url : `${doc.url}/`;
    } catch (e) {
      pullUnavailable = (e as Error).message.split('\n')[0];
    }
  }

  const rows: Record<string, Record<string, Measure | string>> = { push: {}, pull: {} };
  const counts: Record<string, number> = { push: N, pull: N };
  for (const mode of ['push', 'pull'] as const) {
    if (!values.modes.includes(mode)) continue;
    if (mode === 'pull' && !repoUrl) {
      rows.pull!.asr = rows.pull!.ansible = `not available: ${pullUnavailable ?? 'no repository'}`;
      continue;
    }
    const source = mode === 'push' ? src : (repoUrl as string);

    // asr-deploy: plan (not timed: it is the check step, and in pull mode each host's probe of the repository), then apply as a whole process.
    await reset(hosts);
    const plan = JSON.parse(cli('--json', 'plan', '--component', 'mobility-service', '--version', VERSION, '--source', source, '--hosts', names)) as {
      planId: string;
      items: Array<{ host: string; action: string; staging?: { mode?: string; reason?: string } }>;
    };
    // Ansible makes no checks: it gets exactly the hosts our plan installs, so both install the same set.
    const targeted = hosts.filter((h) => plan.items.some((i) => i.host === h.name && (i.action === 'install' || i.action === 'upgrade')));
    counts[mode] = targeted.length;
    const staged = plan.items
      .map((i) => `${i.action}/${i.staging?.mode ?? 'push'}`)
      .reduce<Record<string, number>>((a, k) => ({ ...a, [k]: (a[k] ?? 0) + 1 }), {});
    notes.push(
      `${mode}: plan says ${Object.entries(staged)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
    const ours = await measured(
      lab,
      process.execPath,
      [`--cpu-prof`, `--cpu-prof-dir=${join(profile, mode)}`, bin, '--home', home, '--quiet', 'apply', plan.planId, '--yes', '--concurrency', String(C)],
      env,
    );
    rows[mode]!.asr = { ...ours, ok: await installed(hosts) };
    if (ours.code !== 0) notes.push(`asr ${mode} exit ${ours.code}: ${ours.out.slice(-600)}`);
    const prof = readdirSync(join(profile, mode)).find((f) => f.endsWith('.cpuprofile'));
    if (prof) {
      const t = topFrames(join(profile, mode, prof), 8);
      notes.push(
        `asr ${mode} CPU profile (${(t.totalMs / 1000).toFixed(0)} s sampled, ${((t.idleMs / t.totalMs) * 100).toFixed(0)}% idle): ${t.frames.map((f) => `${(f.share * 100).toFixed(1)}% ${f.frame}`).join('; ')}`,
      );
    }

    // Ansible, forks = our concurrency: push = copy + shell; pull = get_url (checksum pinned) + shell.
    await reset(hosts);
    const inv = join(work, `inventory-${mode}.ini`);
    writeFileSync(
      inv,
      `[targets]\n${targeted.map((h) => `${h.name} ansible_host=${h.address} installer=${(installers[OS_OF[h.profile] as string] as string).split('/').pop()}`).join('\n')}\n[targets:vars]\nansible_user=root\nansible_ssh_private_key_file=${lab.users.root.keyPath}\nansible_ssh_common_args='-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes'\nansible_python_interpreter=/usr/bin/python3\n`,
    );
    const shas = Object.fromEntries(
      Object.values(installers).map((f) => [f.split('/').pop(), execFileSync('sha256sum', [f], { encoding: 'utf8' }).split(' ')[0]]),
    );
    const fetch =
      mode === 'push'
        ? `    - copy: { src: "${src}/{{ installer }}", dest: /tmp/bench-installer.tgz }\n`
        : `    - get_url: { url: "${repoUrl}{{ installer }}", dest: /tmp/bench-installer.tgz, checksum: "sha256:{{ shas[installer] }}", validate_certs: false }\n`;
    const play = join(work, `${mode}.yml`);
    writeFileSync(
      play,
      `- hosts: targets\n  gather_facts: false\n  vars:\n    shas: ${JSON.stringify(shas)}\n  tasks:\n${fetch}    - shell: mkdir -p /tmp/bench-x && tar -xzf /tmp/bench-installer.tgz -C /tmp/bench-x && cd /tmp/bench-x && ./install -d /usr/local/ASR -r MS -v VmWare -q\n`,
    );
    const a = await measured(lab, 'ansible-playbook', ['-i', inv, '-f', String(C), play], {
      ...process.env,
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_NOCOLOR: '1',
    });
    rows[mode]!.ansible = { ...a, ok: await installed(hosts) };
    if (a.code !== 0) notes.push(`ansible ${mode} exit ${a.code}: ${a.out.slice(-600).replace(/\s+/g, ' ')}`);
  }

  const f = (m: Measure | string | undefined, k: keyof Measure, d = 0): string => (typeof m === 'object' ? Number(m[k]).toFixed(d) : '');
  const lines = [
    `Scale: ${N} hosts (profile mix), ${installerMB.toFixed(0)} MB installer per host, concurrency/forks ${C}; asr-deploy vs Ansible, same run, this machine (2 cores, shared; load at each start in the last column).`,
    '',
    '| mode | tool | wall s | peak RSS MB (largest process) | peak RSS MB (all its processes) | workstation CPU s/installed host | MB sent by the workstation | MB sent per installed host | installed/planned | load |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const mode of ['push', 'pull'] as const) {
    for (const tool of ['asr', 'ansible'] as const) {
      const m = rows[mode]?.[tool];
      if (m === undefined) continue;
      if (typeof m === 'string') {
        lines.push(`| ${mode} | ${tool} | ${m} | | | | | | | |`);
        continue;
      }
      lines.push(
        `| ${mode} | ${tool} | ${f(m, 'wallS', 1)} | ${f(m, 'rssMB')} | ${f(m, 'treeRssMB')} | ${(m.cpuS / (counts[mode] || N)).toFixed(2)} | ${f(m, 'sentMB')} | ${(m.sentMB / (counts[mode] || N)).toFixed(2)} | ${m.ok}/${counts[mode]} | ${m.load} |`,
      );
    }
    const a = rows[mode]?.asr;
    const b = rows[mode]?.ansible;
    if (typeof a === 'object' && typeof b === 'object') {
      lines.push(
        `| ${mode} | ratio Ansible/asr | ${(b.wallS / a.wallS).toFixed(2)}× slower | | ${(b.treeRssMB / a.treeRssMB).toFixed(2)} | ${(b.cpuS / a.cpuS).toFixed(2)} | ${(b.sentMB / Math.max(0.01, a.sentMB)).toFixed(2)} | | | |`,
      );
    }
  }
  const pa = rows.push?.asr;
  const la = rows.pull?.asr;
  if (typeof pa === 'object' && typeof la === 'object')
    lines.push(`| | ratio push/pull (asr) | ${(pa.wallS / la.wallS).toFixed(2)} | | | | ${(pa.sentMB / Math.max(0.01, la.sentMB)).toFixed(0)} | | | |`);
  lines.push('', `SSH crypto negotiated by asr-deploy: ${cryptoOf(home)}`, ...notes.map((n) => `- ${n}`));
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  serve?.kill('SIGTERM');
  await labDown(lab);
}
