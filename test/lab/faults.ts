// Fault switches of the lab hosts. Each one acts on one host only, inside its namespaces:
//   sshd-stop / sshd-start  stop or start the host's sshd listener (connects get ECONNREFUSED;
//                           sessions already open stay, like `systemctl stop sshd`)
//   drop-22 / undrop-22     nftables table `inet asrlab_fault` in the host's network namespace
//                           drops every packet to TCP port 22 (handshakes time out)
//   disk-full / disk-free   a 2 MiB tmpfs, filled up, over /tmp, /var/tmp and /usr/local of the
//                           host (writes there fail with ENOSPC)
//   rekey                   new ed25519 host key, sshd re-executed (SIGHUP); state, host.json
//                           and known_hosts get the new fingerprint
//   hang / unhang           SIGSTOP / SIGCONT every sshd process of the host (listener and
//                           sessions): TCP stays up, an in-flight command and new logins stop answering

import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostExec, hostProcs, hostRecords, sshdListener } from './hosts.ts';
import type { FaultName, FaultResult, HostState, LabState } from './types.ts';
import { readJson, run, sleep, sshFingerprint, tcpProbe, waitFor, waitForPort, which, writeJsonAtomic } from './util.ts';

export const FAULTS: FaultName[] = ['sshd-stop', 'sshd-start', 'drop-22', 'undrop-22', 'disk-full', 'disk-free', 'rekey', 'hang', 'unhang'];

/** Paths that the disk-full fault covers. */
export function diskFullPaths(): string[] {
  return ['/tmp', '/var/tmp', '/usr/local'];
}

/** Finds a host of the lab (base or scratch) by name, host name or address. */
export function findHost(state: LabState, key: string | HostState): HostState {
  const k = typeof key === 'string' ? key : key.name;
  const all: HostState[] = [...state.hosts];
  for (const r of hostRecords(state.stateDir)) if (!all.some((h) => h.name === r.name)) all.push(r);
  const h = all.find((x) => x.name === k || x.hostname === k || x.address === k);
  if (!h) throw new Error(`no host ${k} in lab ${state.id} (hosts: ${all.map((x) => x.name).join(', ')})`);
  // host.json has the current fingerprint (rekey); prefer it.
  const rec = hostRecords(state.stateDir).find((r) => r.name === h.name);
  return rec ? { ...h, hostKeyFingerprint: rec.hostKeyFingerprint, hostPublicKey: rec.hostPublicKey, initPid: rec.initPid } : h;
}

function sshdProcs(host: HostState): ReturnType<typeof hostProcs> {
  return hostProcs(host).filter((p) => p.cmdline.startsWith('sshd:') || p.cmdline.startsWith('/usr/sbin/sshd'));
}

async function keyscan(address: string): Promise<string | undefined> {
  const r = await run('ssh-keyscan', ['-T', '2', '-t', 'ed25519', address], { allowFail: true, timeoutMs: 5000 });
  const line = r.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
  return line ? sshFingerprint(line.split(/\s+/).slice(1).join(' ')) : undefined;
}

async function recordNewKey(state: LabState, host: HostState, publicKey: string): Promise<void> {
  const fp = sshFingerprint(publicKey);
  const hostJson = join(host.dir, 'host.json');
  if (existsSync(hostJson)) {
    const rec = readJson<Record<string, unknown>>(hostJson);
    writeJsonAtomic(hostJson, { ...rec, hostKeyFingerprint: fp, hostPublicKey: publicKey });
  }
  const stateJson = join(state.stateDir, 'state.json');
  if (existsSync(stateJson)) {
    const s = readJson<LabState>(stateJson);
    const h = s.hosts.find((x) => x.name === host.name);
    if (h) {
      h.hostKeyFingerprint = fp;
      h.hostPublicKey = publicKey;
      writeJsonAtomic(stateJson, s);
    }
  }
  const inMemory = state.hosts.find((x) => x.name === host.name);
  if (inMemory) {
    inMemory.hostKeyFingerprint = fp;
    inMemory.hostPublicKey = publicKey;
  }
  let kh = '';
  try {
    kh = readFileSync(state.knownHostsPath, 'utf8');
  } catch {
    /* none yet */
  }
  const lines = kh.split('\n').filter((l) => l && !l.startsWith(`${host.address} `));
  lines.push(`${host.address} ${publicKey}`);
  writeFileSync(state.knownHostsPath, lines.join('\n') + '\n', { mode: 0o600 });
}

/** Applies one fault to one host. */
export async function fault(state: LabState, hostKey: string | HostState, name: FaultName): Promise<FaultResult> {
  const host = findHost(state, hostKey);
  const result = (detail: string, fp = host.hostKeyFingerprint): FaultResult => ({ host: host.name, fault: name, hostKeyFingerprint: fp, detail });
  switch (name) {
    case 'sshd-stop': {
      const l = sshdListener(host);
      if (!l) return result('sshd was not running');
      process.kill(l.pid, 'SIGTERM');
      await waitFor('sshd to stop', () => (sshdListener(host) ? undefined : true), 5000, 10);
      return result(`stopped sshd listener (pid ${l.pid})`);
    }
    case 'sshd-start': {
      if (sshdListener(host)) return result('sshd was already running');
      const r = await hostExec(host, ['/usr/sbin/sshd', '-f', host.sshdConfigPath, '-E', host.sshdLogPath]);
      if (r.code !== 0) throw new Error(`sshd-start on ${host.name}: ${r.stderr.trim()}`);
      await waitFor('sshd to start', () => sshdListener(host), 5000, 10);
      if (!existsSync(join(host.dir, 'dropped'))) await waitForPort(host.address, 22, true, 5000);
      return result('started sshd');
    }
    case 'drop-22':
    case 'undrop-22': {
      if (!which('nft')) throw new Error('nft is not installed (apt-get install -y nftables)');
      if (name === 'drop-22') {
        const rules = 'table inet asrlab_fault {\n  chain input {\n    type filter hook input priority -10; policy accept;\n    tcp dport 22 drop\n  }\n}\n';
        const r = await run('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], { input: rules, allowFail: true });
        if (r.code !== 0) throw new Error(`drop-22 on ${host.name}: ${r.stderr.trim()}`);
        writeFileSync(join(host.dir, 'dropped'), '');
        return result('nft: tcp dport 22 drop in the host namespace');
      }
      await run('ip', ['netns', 'exec', host.ns, 'nft', 'delete', 'table', 'inet', 'asrlab_fault'], { allowFail: true });
      rmSync(join(host.dir, 'dropped'), { force: true });
      return result('nft table removed');
    }
    case 'disk-full': {
      const script = diskFullPaths()
        .map((p) => {
          const mode = p === '/usr/local' ? '755' : '1777';
          return (
            `if [ "$(findmnt -n -o SOURCE --mountpoint ${p} | tail -1)" != asrlab-diskfull ]; then ` +
            `mount -t tmpfs -o size=2m,mode=${mode} asrlab-diskfull ${p} && ` +
            `{ dd if=/dev/zero of=${p}/.asrlab-diskfull bs=64k 2>/dev/null || true; dd if=/dev/zero of=${p}/.asrlab-diskfull2 bs=4k 2>/dev/null || true; }; fi`
          );
        })
        .join('\n');
      const r = await hostExec(host, ['/bin/sh', '-c', `set -e\n${script}\ndf -k ${diskFullPaths().join(' ')}`]);
      if (r.code !== 0) throw new Error(`disk-full on ${host.name}: ${r.stderr.trim()}`);
      return result(`full 2 MiB tmpfs over ${diskFullPaths().join(', ')}\n${r.stdout.trim()}`);
    }
    case 'disk-free': {
      const script = diskFullPaths()
        .map((p) => `while [ "$(findmnt -n -o SOURCE --mountpoint ${p} | tail -1)" = asrlab-diskfull ]; do umount -l ${p}; done`)
        .join('\n');
      const r = await hostExec(host, ['/bin/sh', '-c', script]);
      if (r.code !== 0) throw new Error(`disk-free on ${host.name}: ${r.stderr.trim()}`);
      return result(`tmpfs removed from ${diskFullPaths().join(', ')}`);
    }
    case 'rekey': {
      const key = join(host.dir, 'ssh_host_ed25519_key');
      rmSync(`${key}.new`, { force: true });
      rmSync(`${key}.new.pub`, { force: true });
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `host@${host.name}`, '-f', `${key}.new`]);
      renameSync(`${key}.new.pub`, `${key}.pub`);
      renameSync(`${key}.new`, key);
      const publicKey = readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      const fp = sshFingerprint(publicKey);
      await recordNewKey(state, host, publicKey);
      const l = sshdListener(host);
      if (l) {
        process.kill(l.pid, 'SIGHUP'); // sshd re-executes itself and reads the new key
        if (!existsSync(join(host.dir, 'dropped'))) {
          await waitFor('sshd to present the new key', async () => ((await keyscan(host.address)) === fp ? true : undefined), 10_000, 50);
        } else await sleep(200);
      }
      return result(`new host key ${fp}`, fp);
    }
    case 'hang': {
      const procs = sshdProcs(host);
      for (const p of procs) process.kill(p.pid, 'SIGSTOP');
      return result(`SIGSTOP ${procs.length} sshd processes (${procs.map((p) => p.pid).join(' ')})`);
    }
    case 'unhang': {
      const procs = sshdProcs(host);
      for (const p of procs) process.kill(p.pid, 'SIGCONT');
      return result(`SIGCONT ${procs.length} sshd processes`);
    }
    default:
      throw new Error(`unknown fault ${String(name)} (faults: ${FAULTS.join(', ')})`);
  }
}

/** tcp probe helper for callers: is port 22 of the host answering a TCP handshake? */
export function sshPortOpen(host: HostState, timeoutMs = 1000): Promise<boolean> {
  return tcpProbe(host.address, 22, timeoutMs);
}
