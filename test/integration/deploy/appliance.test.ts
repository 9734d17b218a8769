import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../../helpers/cli.ts';
import { makeConfigFiles, readRequestsCsv } from '../../lab/appliance.ts';
import { getLab } from '../../lab/inject.ts';
import type { HostState } from '../../lab/lab.ts';
import { DeployBench, VAULT_KEY, installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.65.0.0';
const env = { ASR_DEPLOY_VAULT_KEY: VAULT_KEY };
const configCount = async (h: HostState): Promise<number> => Number((await onHost(h, 'cat /usr/local/.asr-fixture-configs 2>/dev/null | wc -l')).trim());

/** Starts a CLI command and kill -9s it once `n` hosts have started `step` (progress on stderr with --verbose). */
async function killDuring(args: string[], home: string, step: string, n: number): Promise<string> {
  const child = spawn(process.execPath, [BIN, '--home', home, '--verbose', ...args], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${step} started: ${stderr}`)), 60_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      if ((stderr.match(new RegExp(`: ${step}…`, 'g')) ?? []).length >= n) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  return stderr;
}

describe.skipIf(!lab || !lab.appliance)(
  `modernized replication appliance: plan → apply → config-requests → configure on 4 hosts (needs the lab with its stand-in appliance: ${reason})`,
  () => {
    let b: DeployBench;
    let hosts: HostState[] = [];
    let jobId = '';
    let planId = '';
    beforeAll(async () => {
      b = new DeployBench(lab!);
      await b.setup({
        installers: [
          { version: V, osId: 'UBUNTU-22.04-64', bytes: 1 << 20 },
          { version: V, osId: 'RHEL8-64' },
        ],
      });
      hosts = await Promise.all([b.host(), b.host(), b.host(), b.host({ profile: 'rhel-8.6' })]);
      // Installs and registrations take 2 s, so each kill lands while they run on the targets.
      for (const h of hosts) await onHost(h, 'printf "SLEEP=2\\nCONFIGURE_SLEEP=2\\n" > /usr/local/asr-fixture.conf');
      b.store.close(); // the CLI processes own the database from here
    }, 120_000);
    afterAll(async () => b?.close());

    it('plan records the appliance; reachability on 443 and 9443 passes from every host', async () => {
      const r = await runCli(
        [
          '--json',
          '--verbose',
          'plan',
          '--component',
          'mobility-service',
          '--version',
          V,
          '--source',
          b.source,
          '--hosts',
          'tag:it',
          '--appliance',
          lab!.appliance!.address,
        ],
        { home: b.home, env, timeoutMs: 90_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const plan = r.json() as { planId: string; appliance: string; cs: string | null; items: { action: string; commandLines: string[][] }[] };
      planId = plan.planId;
      expect(plan.appliance).toBe(lab!.appliance!.address);
      expect(plan.cs).toBeNull();
      expect(plan.items.map((i) => i.action)).toEqual(['install', 'install', 'install', 'install']);
      expect(plan.items[0]!.commandLines).toContainEqual(['./install', '-q', '-r', 'MS', '-v', 'VmWare', '-c', 'CSPrime', '-d', '/usr/local/ASR']);
      expect(plan.items[0]!.commandLines).toContainEqual([
        '/usr/local/ASR/Vx/bin/UnifiedAgentConfigurator.sh',
        '-c',
        'CSPrime',
        '-S',
        '/tmp/asr-deploy-JOB/config.json',
        '-q',
      ]);

      const check = await runCli(
        ['--json', 'check', '--component', 'mobility-service', '--version', V, '--hosts', 'tag:it', '--appliance', lab!.appliance!.address],
        { home: b.home, env, timeoutMs: 90_000 },
      );
      const doc = check.json() as { hosts: { checks: { id: string; verdict: string }[] }[] };
      for (const h of doc.hosts) {
        const ids = Object.fromEntries(h.checks.map((c) => [c.id, c.verdict]));
        expect(ids).toMatchObject({ 'reach-appliance-control': 'pass', 'reach-appliance-data': 'pass' });
        expect(ids['reach-configuration-server']).toBeUndefined();
        expect(ids['classic-retired']).toBeUndefined();
      }
    }, 120_000);

    it('apply installs every host once and leaves it awaiting its config file (kill -9 mid-install, then resume)', async () => {
      const stderr = await killDuring(['apply', planId, '--yes', '--concurrency', '2'], b.home, 'install', 2);
      jobId = /job (j-[0-9a-f-]+)/.exec(stderr)![1]!;
      const resume = await runCli(['--json', 'jobs', 'resume', jobId], { home: b.home, env, timeoutMs: 120_000 });
      expect(resume.code, resume.stderr).toBe(0);
      const r = resume.json() as { status: string; hosts: { status: string }[] };
      expect(r.status).toBe('awaiting_config');
      expect(r.hosts.map((h) => h.status)).toEqual(['awaiting_config', 'awaiting_config', 'awaiting_config', 'awaiting_config']);
      for (const h of hosts) {
        expect(await installCount(h)).toBe(1);
        expect(await onHost(h, 'cat /usr/local/.vx_version')).toMatch(
          /CS_TYPE=CSPrime\nAGENT_CONFIGURATION_STATUS=NotConfigured|AGENT_CONFIGURATION_STATUS=NotConfigured\nCS_TYPE=CSPrime/,
        );
      }
    }, 180_000);

    it('config-requests writes <host>.txt with exactly the Agent Config Input string, and requests.csv', async () => {
      const out = join(b.home, 'requests');
      const r = await runCli(['--json', 'jobs', 'config-requests', jobId, '--out', out], { home: b.home, env });
      expect(r.code, r.stderr).toBe(0);
      const rows = readRequestsCsv(readFileSync(join(out, 'requests.csv'), 'utf8'));
      expect(rows.map((x) => x.host).sort()).toEqual(hosts.map((h) => h.name).sort());
      for (const h of hosts) {
        const row = rows.find((x) => x.host === h.name)!;
        expect(row).toEqual({ host: h.name, address: h.address, file: `${h.name}.txt` });
        const printed = (await onHost(h, '/usr/local/ASR/Vx/bin/AzureRcmCli --getagentconfiginput')).trim().replace(/^getagentconfiginput:/, '');
        expect(readFileSync(join(out, row.file), 'utf8')).toBe(printed);
      }
    });

    it('a config file made for another machine is a named error and changes nothing', async () => {
      const good = join(b.home, 'configs-good');
      makeConfigFiles(join(b.home, 'requests'), { appliance: lab!.appliance!.address, outDir: good });
      const bad = join(b.home, 'configs-bad');
      mkdirSync(bad);
      const [a, c] = hosts;
      for (const f of readdirSync(good)) cpSync(join(good, f), join(bad, f));
      // a's file saved under c's name.
      writeFileSync(join(bad, `${c!.name}.json`), readFileSync(join(good, `${a!.name}.json`)));
      const r = await runCli(['--json', 'jobs', 'configure', jobId, '--from', bad], { home: b.home, env });
      expect(r.code).toBe(2);
      const err = JSON.parse(r.stdout || r.stderr) as { error?: { details?: { reason?: string } }; details?: { reason?: string } };
      expect(err.error?.details?.reason ?? err.details?.reason).toBe('config_mismatch');
      const unmatched = join(b.home, 'configs-unmatched');
      mkdirSync(unmatched);
      writeFileSync(join(unmatched, 'nobody.json'), '{}');
      const r2 = await runCli(['--json', 'jobs', 'configure', jobId, '--from', unmatched], { home: b.home, env });
      expect(r2.code).toBe(2);
      expect(r2.stdout + r2.stderr).toMatch(/config_file_unmatched|matches no host/);
      for (const h of hosts) expect(await configCount(h)).toBe(0);
      const show = await runCli(['--json', 'jobs', 'show', jobId], { home: b.home, env });
      expect((show.json() as { hosts: { status: string }[] }).hosts.every((h) => h.status === 'awaiting_config')).toBe(true);
    }, 60_000);

    it('configure registers every host with CSPrime exactly once (kill -9 mid-configure, then configure again); the files are secrets', async () => {
      const good = join(b.home, 'configs-good');
      await killDuring(['jobs', 'configure', jobId, '--from', good, '--concurrency', '2'], b.home, 'configure', 2);
      const again = await runCli(['--json', 'jobs', 'configure', jobId, '--from', good], { home: b.home, env, timeoutMs: 120_000 });
      expect(again.code, again.stderr).toBe(0);
      const r = again.json() as { status: string; hosts: { status: string }[] };
      expect(r.status).toBe('succeeded');
      expect(r.hosts.map((h) => h.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
      for (const h of hosts) {
        expect(await installCount(h)).toBe(1);
        expect(await configCount(h)).toBe(1);
        const vx = await onHost(h, 'cat /usr/local/.vx_version');
        expect(vx).toMatch('AGENT_CONFIGURATION_STATUS=Succeeded');
        expect(vx).toMatch(`APPLIANCE=${lab!.appliance!.address}`);
        // Staged 0600 and removed after use.
        expect(await onHost(h, 'ls /tmp/asr-deploy-* 2>/dev/null; echo end')).toBe('end\n');
      }
      // Never logged, never in plaintext in the data directory.
      const machineIds = await Promise.all(hosts.map(async (h) => (await onHost(h, 'cat /usr/local/.asr-fixture-machine-id')).trim()));
      const logs = await runCli(['--json', 'jobs', 'logs', jobId], { home: b.home, env });
      const db = readFileSync(join(b.home, 'asr-deploy.db'), 'latin1') + readFileSync(join(b.home, 'asr-deploy.db-wal'), { encoding: 'latin1', flag: 'a+' });
      const clientRequestIds = readdirSync(good).map((f) => (JSON.parse(readFileSync(join(good, f), 'utf8')) as { clientRequestId: string }).clientRequestId);
      for (const id of clientRequestIds) {
        expect(logs.stdout).not.toContain(id);
        expect(db).not.toContain(id);
      }
      expect(machineIds.every((m) => m.length === 32)).toBe(true);
      // Configured hosts are not touched again.
      const third = await runCli(['--json', 'jobs', 'configure', jobId, '--from', good], { home: b.home, env, timeoutMs: 60_000 });
      expect(third.code, third.stderr).toBe(0);
      for (const h of hosts) expect(await configCount(h)).toBe(1);
    }, 240_000);
  },
);
