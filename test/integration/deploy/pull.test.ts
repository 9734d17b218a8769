import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRepositoryServer, type RepositoryServer } from '../../../src-main/components/repository-server.ts';
import { getLab } from '../../lab/inject.ts';
import type { HostState } from '../../lab/lab.ts';
import { DeployBench, installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';
const OS = 'UBUNTU-22.04-64';
const MB = 1024 * 1024;

/** nftables in the host's own network namespace (a lab namespace of this test). */
function nft(h: HostState, rules: string): void {
  const r = spawnSync('ip', ['netns', 'exec', h.ns, 'nft', '-f', '-'], { input: rules, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft: ${r.stderr}`);
}

/** Bytes the host received on its sshd port since the counter was made: what the workstation sent over SSH. */
function sshBytesIn(h: HostState): number {
  const r = spawnSync('ip', ['netns', 'exec', h.ns, 'nft', '-j', 'list', 'table', 'inet', 'asrpull_count'], { encoding: 'utf8' });
  const doc = JSON.parse(r.stdout) as { nftables: { rule?: { expr: { counter?: { bytes: number } }[] } }[] };
  return doc.nftables.flatMap((x) => x.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.bytes ?? 0), 0);
}

describe.skipIf(!lab)(`pull staging: targets fetch from a repository and verify SHA-256 (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  let repo: RepositoryServer;
  const served: string[] = [];
  let installerFile: string;
  let installerBytes: number;
  let python: ChildProcess | undefined;

  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({ installers: [{ version: V, osId: OS, bytes: 6 * MB }] });
    installerFile = readdirSync(b.source).find((f) => f.includes(OS))!;
    installerBytes = statSync(join(b.source, installerFile)).size;
    // The admin pins the file once (no document publishes ASR hashes); the repository's copy is then trusted by content and name.
    await b.call('sources.trust', { dir: b.source, files: [installerFile] });
    repo = await startRepositoryServer({ dir: b.source, host: lab!.bridgeAddress, port: 0, log: (l) => served.push(l) });
    await b.call('trust.approve', { targets: [`${lab!.bridgeAddress}:${repo.port}`], fingerprint: repo.fingerprint, replace: false });
  }, 120_000);
  afterAll(async () => {
    python?.kill('SIGTERM');
    await repo?.close();
    await b?.close();
  });

  it('plans pull for a host that reaches `sources serve` and push (saying why) for one that cannot; both install; the puller gets only commands over SSH', async () => {
    const [puller, isolated] = await Promise.all([b.host(), b.host()]);
    // The isolated host's packets to the repository port are refused in its own namespace.
    nft(isolated, `table inet asrpull_block {\n chain output { type filter hook output priority 0; tcp dport ${repo.port} reject with tcp reset; }\n}\n`);
    nft(puller, 'table inet asrpull_count {\n chain input { type filter hook input priority 0; tcp dport 22 counter; }\n}\n');

    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: repo.url,
      hosts: `${puller.name},${isolated.name}`,
      accept: [],
    });
    const by = Object.fromEntries(plan.items.map((i) => [i.host, i]));
    expect(plan.repository).toMatchObject({ url: repo.url, pin: { fingerprint: repo.fingerprint } });
    expect(by[puller.name]).toMatchObject({
      action: 'install',
      staging: { mode: 'pull', tool: 'curl', url: `${repo.url}${installerFile}` },
      installer: { file: installerFile, url: `${repo.url}${installerFile}` },
    });
    expect(by[isolated.name]).toMatchObject({ action: 'install', staging: { mode: 'push' } });
    expect(by[isolated.name]!.staging!.reason).toMatch(/cannot pull from .* \(unreachable: .*\); the workstation fetches the installer once/);
    // Planning read the index only: no host and not the workstation fetched the installer.
    expect(served.filter((l) => l.includes(installerFile))).toEqual([]);

    const before = sshBytesIn(puller);
    const result = await b.call('apply.start', { planId: plan.planId, concurrency: 2, retries: 1 });
    expect(result.hosts.map((h) => [h.host, h.status]).sort()).toEqual(
      [
        [isolated.name, 'succeeded'],
        [puller.name, 'succeeded'],
      ].sort(),
    );
    const sshBytes = sshBytesIn(puller) - before;
    process.stdout.write(
      `pull staging: ${(sshBytes / MB).toFixed(3)} MB over SSH to the pulling host for a ${(installerBytes / MB).toFixed(1)} MB installer\n`,
    );
    expect(sshBytes).toBeLessThan(MB);
    expect(sshBytes).toBeLessThan(installerBytes / 4);
    const stage = (host: string) =>
      b.store.journal.step(result.jobId, plan.items.find((i) => i.host === host)!.hostId, 'stage')?.detail as Record<string, unknown>;
    expect(stage(puller.name)).toMatchObject({ method: 'pull-curl', url: `${repo.url}${installerFile}`, bytes: installerBytes });
    // A planned push of a .tar.gz streams it into tar on the host (tar-stream); the apply-time fallback below stages the file.
    expect(String(stage(isolated.name).method)).toBe('tar-stream');
    expect(await installCount(puller)).toBe(1);
    expect(await installCount(isolated)).toBe(1);
    // The repository's log says who fetched what: the pulling host, and the workstation once (for the host that pushed).
    const fetched = served.filter((l) => l.includes(`GET /${installerFile} 200 ${installerBytes} bytes`));
    expect(fetched.filter((l) => l.includes(` ${puller.address} `))).toHaveLength(1);
    expect(fetched.filter((l) => l.includes(` ${isolated.address} `))).toHaveLength(0);
    expect(fetched).toHaveLength(2);
  }, 240_000);

  it('falls back to push when the repository became unreachable after planning: said in the journal, jobs show, the report and the host log; the other host still pulls; resume leaves both alone', async () => {
    const [puller, cutOff] = await Promise.all([b.host(), b.host()]);
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: repo.url,
      hosts: `${puller.name},${cutOff.name}`,
      accept: [],
    });
    // Both reached the repository when planned.
    for (const i of plan.items) expect(i).toMatchObject({ action: 'install', staging: { mode: 'pull' } });
    // Then the repository port is refused from one host's namespace, before apply.
    nft(cutOff, `table inet asrpull_block {\n chain output { type filter hook output priority 0; tcp dport ${repo.port} reject with tcp reset; }\n}\n`);
    const result = await b.call('apply.start', { planId: plan.planId, concurrency: 2, retries: 1 });
    expect(Object.fromEntries(result.hosts.map((h) => [h.host, h.status]))).toEqual({ [puller.name]: 'succeeded', [cutOff.name]: 'succeeded' });
    const hostId = (name: string) => plan.items.find((i) => i.host === name)!.hostId;
    const stage = (name: string) => b.store.journal.step(result.jobId, hostId(name), 'stage')?.detail as Record<string, unknown>;
    expect(stage(puller.name)).toMatchObject({ method: 'pull-curl', url: `${repo.url}${installerFile}` });
    expect(stage(puller.name)!.fellBack).toBeUndefined();
    expect(String(stage(cutOff.name).method)).toMatch(/^sftp|exec-cat/);
    expect(String(stage(cutOff.name).fellBack)).toMatch(/could not fetch from the repository \(.+\); pushed instead/);
    expect(await installCount(puller)).toBe(1);
    expect(await installCount(cutOff)).toBe(1);

    // Where an admin looks: jobs show, the report, the host's log.
    const shown = await b.call('jobs.show', { jobId: result.jobId });
    const byHost = Object.fromEntries(shown.hosts.map((h) => [h.host, h]));
    expect(byHost[puller.name]!.staging).toEqual({ method: 'pull-curl', url: `${repo.url}${installerFile}` });
    expect(byHost[cutOff.name]!.staging).toMatchObject({ fellBack: stage(cutOff.name).fellBack });
    const report = JSON.parse((await b.call('report.create', { id: result.jobId, format: 'json' })).content!) as {
      hosts: { host: string; staging?: { method: string; fellBack?: string } }[];
    };
    expect(report.hosts.find((h) => h.host === cutOff.name)!.staging!.fellBack).toMatch(/pushed instead/);
    expect(report.hosts.find((h) => h.host === puller.name)!.staging).toMatchObject({ method: 'pull-curl' });
    const logs = await b.call('jobs.logs', { jobId: result.jobId, host: cutOff.name });
    expect(logs.map((l) => l.text).join('\n')).toMatch(/\[stage\] the host could not fetch from the repository .*pushed instead/);

    // Resume after the fallback: both hosts are done, nothing is staged or installed again.
    const fetchedBefore = served.filter((l) => l.includes(`GET /${installerFile} 200`)).length;
    const resumed = await b.call('jobs.resume', { jobId: result.jobId, retries: 1 });
    expect(Object.fromEntries(resumed.hosts.map((h) => [h.host, h.status]))).toEqual({ [puller.name]: 'succeeded', [cutOff.name]: 'succeeded' });
    expect(await installCount(puller)).toBe(1);
    expect(await installCount(cutOff)).toBe(1);
    expect(served.filter((l) => l.includes(`GET /${installerFile} 200`)).length).toBe(fetchedBefore);
    expect((await b.call('jobs.show', { jobId: result.jobId })).hosts.find((h) => h.host === cutOff.name)!.staging!.fellBack).toMatch(/pushed instead/);
  }, 240_000);

  it('refuses a file whose SHA-256 is not the trusted one on the target, before anything runs (plain HTTP server with a listing, started here)', async () => {
    const tampered = join(b.home, 'tampered');
    mkdirSync(tampered);
    writeFileSync(join(tampered, installerFile), 'not the installer the admin pinned\n');
    // A real, unrelated HTTP server: Python's http.server (directory listing, no index.json, no hashes).
    python = spawn('python3', ['-m', 'http.server', '0', '--bind', lab!.bridgeAddress, '--directory', tampered], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d;
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      };
      python!.stdout!.on('data', onData);
      python!.stderr!.on('data', onData);
      python!.on('exit', () => reject(new Error(`http.server exited: ${out}`)));
    });
    const h = await b.host();
    const url = `http://${lab!.bridgeAddress}:${port}/`;
    const plan = await b.call('plan.create', { component: 'mobility-service', version: V, source: url, hosts: h.name, accept: [] });
    expect(plan.items[0]).toMatchObject({ action: 'install', staging: { mode: 'pull' } });
    expect(plan.items[0]!.warnings?.join(' ')).toMatch(/plain HTTP/);
    const result = await b.call('apply.start', { planId: plan.planId, retries: 1 });
    expect(result.hosts[0]).toMatchObject({ status: 'failed', error: { code: 'hash_mismatch' } });
    expect(result.hosts[0]!.error!.message).toMatch(/not the trusted [0-9a-f]{64}; the file was removed and nothing ran/);
    const steps = b.store.journal.steps(result.jobId, plan.items[0]!.hostId).map((s) => `${s.step}:${s.status}`);
    expect(steps).toEqual(['stage:failed']);
    expect(await installCount(h)).toBe(0);
    expect((await onHost(h, 'ls -A /tmp/asr-deploy-* 2>/dev/null; true')).trim()).toBe('');
  }, 180_000);
});
