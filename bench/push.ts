// Push benchmark (`npm run bench -- push [--sizes 10,20] [--mb 100]`): push a 100 MB Mobility
// service installer (the test fixture) and run its install on N lab hosts, measured in the same
// run against (a) OpenSSH `scp` + `ssh` in parallel (xargs -P N) and (b) Ansible (`copy` +
// `shell`, forks = N). Each tool's wall time, aggregate MB/s and peak RSS (GNU time, largest
// process) are reported, with the ratios and the load average at each start. Then one more,
// untimed asr-deploy run under `--cpu-prof` says where the workstation's CPU went (its top
// frames), and the job logs say which SSH crypto was negotiated. Lab hosts only (network
// namespaces on this machine).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { buildFixtureInstaller } from '../test/fixtures/mobility-installer/build.ts';
import { cryptoOf, topFrames } from './cpu-profile.ts';
import { hostExec, labDown, labUp, type HostState } from '../test/lab/lab.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,20' },
    mb: { type: 'string', default: '100' },
    repeat: { type: 'string', default: '1' },
    // Unset: asr-deploy's default (tar-stream: the .tar.gz is unpacked on the target as it arrives).
    'upload-method': { type: 'string', default: '' },
    profile: { type: 'boolean', default: true },
  },
});
const sizes = values.sizes.split(',').map(Number);
const mb = Number(values.mb);
const VERSION = '9.62.7096.1';
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'asr-bench-push-'));
const src = join(work, 'source');
const installer = buildFixtureInstaller({ dir: src, version: VERSION, osId: 'UBUNTU-22.04-64', payloadBytes: mb * 1024 * 1024 });
const installerMB = readFileSync(installer).length / 1048576;

interface Measure {
  wallS: number;
  rssMB: number;
  ok: number;
  load: string;
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Runs a command under GNU time; returns wall seconds and the largest process's peak RSS. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): { wallS: number; rssMB: number; code: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', join(work, 'time.out'), cmd, ...args], {
    env,
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const rssKB = Number(readFileSync(join(work, 'time.out'), 'utf8').trim().split('\n').at(-1));
  return { wallS, rssMB: rssKB / 1024, code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

async function reset(hosts: HostState[]): Promise<void> {
  await Promise.all(
    hosts.map((h) =>
      hostExec(h, [
        'sh',
        '-c',
        'pkill -x svagents; rm -rf /usr/local/ASR /usr/local/.vx_version /usr/local/.asr-fixture-installs /tmp/asr-* /tmp/bench-* 2>/dev/null; true',
      ]),
    ),
  );
}

async function installed(hosts: HostState[]): Promise<number> {
  const r = await Promise.all(hosts.map((h) => hostExec(h, ['sh', '-c', `grep -q VERSION=${VERSION} /usr/local/.vx_version && echo yes`])));
  return r.filter((x) => (x as { stdout: string }).stdout.includes('yes')).length;
}

// Hosts after the sixth are Ubuntu 22.04 clones, so every run size finds enough hosts that install.
const lab = await labUp({ hosts: Math.max(...sizes) + 6, clones: 'ubuntu-22.04', vcsim: false, proxy: false, pwsh: false });
try {
  const pool = lab.hosts.filter((h) => h.profile === 'ubuntu-22.04' && !h.nonEnglishName && h.sftp);
  const home = join(work, 'home');
  const env = { ...process.env, ASR_DEPLOY_VAULT_KEY: 'bench-vault-key', NO_COLOR: '1' };
  const cli = (...args: string[]) => execFileSync(process.execPath, [join(root, 'bin/asr-deploy.mjs'), '--home', home, ...args], { env, encoding: 'utf8' });
  cli('credentials', 'add', 'root', '--user', 'root', '--key-file', lab.users.root.keyPath);
  for (const h of pool) cli('hosts', 'add', h.address, '--name', h.name, '--os', 'linux', '--credential', 'root', '--tag', 'bench');
  cli('trust', 'approve', ...pool.map((h) => h.address));
  cli('sources', 'trust', installer);
  const sshOpts = ['-i', lab.users.root.keyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
  const rows: string[] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    const hosts = pool.slice(0, n);
    if (hosts.length < n) throw new Error(`only ${hosts.length} lab hosts for a run of ${n}`);
    const results: Record<string, Measure> = {};

    // (1) asr-deploy: plan (not timed: it is the check step), then apply timed as a whole process.
    await reset(hosts);
    const plan = JSON.parse(
      cli('--json', 'plan', '--component', 'mobility-service', '--version', VERSION, '--source', src, '--hosts', hosts.map((h) => h.name).join(',')),
    ) as { planId: string };
    const applyArgs = (planId: string) => [
      join(root, 'bin/asr-deploy.mjs'),
      '--home',
      home,
      '--quiet',
      'apply',
      planId,
      '--yes',
      '--concurrency',
      String(n),
      ...(values['upload-method'] ? ['--upload-method', values['upload-method']] : []),
    ];
    let load = loadavg();
    const ours = timed(process.execPath, applyArgs(plan.planId), env);
    results.asr = { wallS: ours.wallS, rssMB: ours.rssMB, ok: await installed(hosts), load };

    // (2) OpenSSH: scp then ssh per host, all hosts in parallel.
    await reset(hosts);
    const script = join(work, 'openssh.sh');
    writeFileSync(
      script,
      `set -e\naddr=$1; shift\nscp -q ${sshOpts.join(' ')} "${installer}" root@$addr:/tmp/bench-installer.tgz\nssh ${sshOpts.join(' ')} root@$addr 'mkdir -p /tmp/bench-x && tar -xzf /tmp/bench-installer.tgz -C /tmp/bench-x && cd /tmp/bench-x && ./install -d /usr/local/ASR -r MS -v VmWare -q >/dev/null'\n`,
    );
    load = loadavg();
    const o = timed('sh', ['-c', `printf '%s\\n' ${hosts.map((h) => h.address).join(' ')} | xargs -P ${n} -n 1 sh ${script}`]);
    results.openssh = { wallS: o.wallS, rssMB: o.rssMB, ok: await installed(hosts), load };

    // (2b) The same loop plus what asr-deploy also does: the installer's SHA-256 checked on the target.
    await reset(hosts);
    const sha = execFileSync('sha256sum', [installer], { encoding: 'utf8' }).split(' ')[0];
    const scriptV = join(work, 'openssh-verify.sh');
    writeFileSync(
      scriptV,
      `set -e\naddr=$1; shift\nscp -q ${sshOpts.join(' ')} "${installer}" root@$addr:/tmp/bench-installer.tgz\nssh ${sshOpts.join(' ')} root@$addr 'echo "${sha}  /tmp/bench-installer.tgz" | sha256sum -c --quiet && mkdir -p /tmp/bench-x && tar -xzf /tmp/bench-installer.tgz -C /tmp/bench-x && cd /tmp/bench-x && ./install -d /usr/local/ASR -r MS -v VmWare -q >/dev/null'\n`,
    );
    load = loadavg();
    const ov = timed('sh', ['-c', `printf '%s\\n' ${hosts.map((h) => h.address).join(' ')} | xargs -P ${n} -n 1 sh ${scriptV}`]);
    results['openssh+sha256'] = { wallS: ov.wallS, rssMB: ov.rssMB, ok: await installed(hosts), load };

    // (3) Ansible: copy + shell, forks = n.
    await reset(hosts);
    const inv = join(work, `inventory-${n}.ini`);
    writeFileSync(
      inv,
      `[targets]\n${hosts.map((h) => `${h.name} ansible_host=${h.address}`).join('\n')}\n[targets:vars]\nansible_user=root\nansible_ssh_private_key_file=${lab.users.root.keyPath}\nansible_ssh_common_args='-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes'\nansible_python_interpreter=/usr/bin/python3\n`,
    );
    const play = join(work, 'push.yml');
    writeFileSync(
      play,
      `- hosts: targets\n  gather_facts: false\n  tasks:\n    - copy: { src: "${installer}", dest: /tmp/bench-installer.tgz }\n    - shell: mkdir -p /tmp/bench-x && tar -xzf /tmp/bench-installer.tgz -C /tmp/bench-x && cd /tmp/bench-x && ./install -d /usr/local/ASR -r MS -v VmWare -q\n`,
    );
    load = loadavg();
    const a = timed('ansible-playbook', ['-i', inv, '-f', String(n), play], { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1' });
    results.ansible = { wallS: a.wallS, rssMB: a.rssMB, ok: await installed(hosts), load };
    if (a.code !== 0) process.stderr.write(a.out.slice(-2000));

    // (4) Untimed: asr-deploy again under --cpu-prof (the profiler's overhead stays out of the timed run).
    if (values.profile) {
      await reset(hosts);
      const again = JSON.parse(
        cli('--json', 'plan', '--component', 'mobility-service', '--version', VERSION, '--source', src, '--hosts', hosts.map((h) => h.name).join(',')),
      ) as { planId: string };
      const dir = join(work, `prof-${n}`);
      load = loadavg();
      const p = timed(process.execPath, [`--cpu-prof`, `--cpu-prof-dir=${dir}`, ...applyArgs(again.planId)], env);
      const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (prof) {
        const t = topFrames(join(dir, prof), 8);
        notes.push(
          `${n} hosts, asr-deploy under --cpu-prof (untimed, ${p.wallS.toFixed(1)} s wall, load ${load}): ${(t.totalMs / 1000).toFixed(0)} s sampled, ${((t.idleMs / t.totalMs) * 100).toFixed(0)}% idle; top frames: ${t.frames.map((f) => `${(f.share * 100).toFixed(1)}% ${f.frame}`).join('; ')}`,
        );
      }
    }

    const tot = installerMB * n;
    for (const [tool, m] of Object.entries(results))
      rows.push(`| ${n} | ${tool} | ${m.wallS.toFixed(2)} | ${(tot / m.wallS).toFixed(0)} | ${m.rssMB.toFixed(0)} | ${m.ok}/${n} | ${m.load} |`);
    // Throughput ratios (peer's wall time / ours): above 1.0 means asr-deploy moved the bytes faster.
    rows.push(`| ${n} | throughput asr vs ansible | ${(results.ansible!.wallS / results.asr!.wallS).toFixed(2)}× | | | | |`);
    rows.push(`| ${n} | throughput asr vs openssh | ${(results.openssh!.wallS / results.asr!.wallS).toFixed(2)}× | | | | |`);
    rows.push(`| ${n} | throughput asr vs openssh+sha256 | ${(results['openssh+sha256']!.wallS / results.asr!.wallS).toFixed(2)}× | | | | |`);
  }
  const native = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean };
  process.stdout.write(
    `\nPush of a ${installerMB.toFixed(0)} MB installer + install, per run (wall s, aggregate MB/s, peak RSS of the largest process); ssh2 crypto: ${native.bindingAvailable ? 'native binding' : 'JavaScript fallback (run scripts/setup.sh to rebuild the binding for this Node)'}:\n\n| hosts | tool | wall s | MB/s | peak RSS MB | installed | load at start |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\nSSH crypto negotiated by asr-deploy: ${cryptoOf(home)}\n${notes.map((x) => `- ${x}\n`).join('')}`,
  );
} finally {
  await labDown(lab);
}
