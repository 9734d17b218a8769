import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { addHost, fault, type HostState } from '../../lab/lab.ts';
import { runCli } from '../../helpers/cli.ts';
import type { ServiceEvent } from '../../../src-main/service/contract.ts';
import { DeployBench, VAULT_KEY, installCount, onHost } from '../deploy/lab-deploy.ts';

const { lab, reason } = getLab();
const OLD = '9.60.6956.1';
const NEW = '9.62.7096.1';
const chromium = '/usr/bin/chromium';

describe.skipIf(!lab)(`update sweeps against the lab (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  let old1: HostState, old2: HostState, current: HostState, offline: HostState, fresh: HostState;

  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({
      installers: [
        { version: OLD, osId: 'UBUNTU-22.04-64' },
        { version: NEW, osId: 'UBUNTU-22.04-64' },
      ],
    });
    [old1, old2, current, offline, fresh] = await Promise.all([b.host(), b.host(), b.host(), b.host(), b.host()]);
    const install = async (hosts: HostState[], version: string) => {
      const plan = await b.call('plan.create', {
        component: 'mobility-service',
        version,
        source: b.source,
        hosts: hosts.map((h) => h.name).join(','),
        accept: [],
      });
      const r = await b.call('apply.start', { planId: plan.planId });
      expect(r.hosts.every((h) => h.status === 'succeeded')).toBe(true);
    };
    await install([old1, old2, offline], OLD);
    await install([current], NEW);
    await fault(lab!, offline, 'sshd-stop');
  }, 180_000);
  afterAll(async () => b?.close());

  it('sweep --check lists exactly the outdated hosts, puts the offline one on the retry list, changes nothing', async () => {
    const r = await b.call('sweep.run', { hosts: 'tag:it', check: true, version: NEW });
    expect(r.outdated.sort()).toEqual([old1.name, old2.name].sort());
    const by = Object.fromEntries(r.items.map((i) => [i.host, i]));
    expect(by[current.name]).toMatchObject({ action: 'skip', from: NEW });
    expect(by[fresh.name]).toMatchObject({ action: 'skip' });
    expect(by[offline.name]).toMatchObject({ action: 'blocked', error: { code: 'unreachable' } });
    expect(r.retry.map((x) => x.host)).toEqual([offline.name]);
    expect(r.jobId).toBeUndefined();
    expect(await onHost(old1, 'cat /usr/local/.vx_version')).toMatch(`VERSION=${OLD}`);

    // N-4: against the catalog's newest (9.66.7643.1) a 9.60 host is six versions behind: two hops, and the
    // reboot rule counts from the agent at the last reboot (the journal's install of 9.60 after the boot).
    const n4 = await b.call('sweep.run', { hosts: old1.name, check: true });
    expect(n4.items[0]).toMatchObject({
      action: 'upgrade',
      from: OLD,
      to: '9.66.7643.1',
      versionSource: 'catalog',
      hops: [
        { version: '9.64.7374.1', upTo: '9.64', rebootBefore: false },
        { version: '9.66.7643.1', upTo: '9.66', rebootBefore: true },
      ],
      lastReboot: { version: OLD, basis: 'journal' },
    });
    expect(n4.items[0]!.warnings!.join('\n')).toContain('crosses more than 4 versions');
    const [v] = await b.call('versions.query', { hosts: old1.name });
    expect(v!.components[0]).toMatchObject({
      version: OLD,
      support: 'out-of-support',
      n4: {
        latest: '9.66.7643.1',
        behind: 6,
        directUpgrade: false,
        rebootDue: false,
        hops: [{ version: '9.64.7374.1' }, { version: '9.66.7643.1', rebootBefore: true }],
      },
    });
  }, 60_000);

  it('sweep upgrades the outdated hosts, copies nothing to current ones, keeps the report, posts the webhook; the offline host is upgraded by the next sweep', async () => {
    const posted: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const events: ServiceEvent[] = [];
    // No --version: each host gets the newest version the source holds for its OS (9.62, older than the
    // catalog's 9.66), with a warning naming the newer one the catalog knows.
    const r = await b.call('sweep.run', { hosts: 'tag:it', source: b.source, schedule: 'nightly', webhook: `http://127.0.0.1:${port}/hook` }, (e) =>
      events.push(e),
    );
    server.close();
    const planned = Object.fromEntries(r.items.map((i) => [i.host, i]));
    expect(planned[old1.name]).toMatchObject({ action: 'upgrade', from: OLD, to: NEW, versionSource: 'source' });
    expect(planned[old1.name]!.reason).toContain(`the newest Mobility service installer for UBUNTU-22.04-64 in ${b.source}`);
    expect(planned[old1.name]!.warnings).toEqual([
      `the catalog knows a newer Mobility service for UBUNTU-22.04-64: 9.66.7643.1 (no download link published); ${b.source} holds ${NEW}`,
    ]);
    expect(planned[current.name]).toMatchObject({ action: 'skip', from: NEW });
    const st = Object.fromEntries((r.hosts ?? []).map((h) => [h.host, h]));
    expect(st[old1.name]).toMatchObject({ status: 'succeeded', version: NEW });
    expect(st[old2.name]).toMatchObject({ status: 'succeeded', version: NEW });
    expect(st[current.name]).toMatchObject({ status: 'skipped' });
    expect(st[offline.name]).toBeUndefined();
    expect(r.status).toBe('succeeded');
    // Nothing was uploaded to the current host: no stage step, and its install count is still 1.
    expect(events.some((e) => e.type === 'host-step' && e.host === current.name && e.step === 'stage')).toBe(false);
    expect(await installCount(current)).toBe(1);
    expect(await installCount(old1)).toBe(2);
    expect(posted).toMatchObject([{ kind: 'asr-deploy.sweep', status: 'succeeded', retry: [offline.name], counts: { succeeded: 2 } }]);
    expect(r.report).toMatch(/reports\/nightly\.html$/);
    expect(existsSync(r.report!)).toBe(true);

    // The report opens in Chromium: a screenshot is kept with the test artifacts.
    if (existsSync(chromium)) {
      const { chromium: pw } = await import('playwright-core');
      const dir = join(import.meta.dirname, '../../artifacts/updates');
      mkdirSync(dir, { recursive: true });
      const browser = await pw.launch({
        executablePath: chromium,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = await browser.newPage();
      await page.goto(`file://${r.report}`);
      expect(await page.textContent('h1')).toMatch(/Update sweep/);
      await page.screenshot({ path: join(dir, 'sweep-report.png'), fullPage: true });
      await browser.close();
    }

    await fault(lab!, offline, 'sshd-start');
    const next = await b.call('sweep.run', { hosts: old1.name, source: b.source, version: NEW });
    expect((next.hosts ?? []).find((h) => h.host === offline.name)).toMatchObject({ status: 'succeeded', version: NEW });
    expect(next.retry).toEqual([]);
    expect(await onHost(offline, 'cat /usr/local/.vx_version')).toMatch(`VERSION=${NEW}`);
  }, 120_000);

  it('the CLI: sweep --check --json prints the plan document; a schedule writes a real cron entry that runs sweep with the data directory and key file', async () => {
    b.store.close();
    const env = { ASR_DEPLOY_VAULT_KEY: VAULT_KEY };
    const check = await runCli(['--json', 'sweep', '--check', '--hosts', 'tag:it', '--version', NEW], { home: b.home, env });
    expect(check.code).toBe(0);
    const doc = check.json() as { planId: string; items: { action: string }[]; outdated: string[] };
    expect(doc.planId).toMatch(/^p-/);
    expect(doc.outdated).toEqual([]);

    const keyFile = join(b.home, 'vault.key');
    writeFileSync(keyFile, VAULT_KEY, { mode: 0o600 });
    const name = `it-${Date.now().toString(36)}`;
    const add = await runCli(
      [
        '--json',
        'schedule',
        'add',
        name,
        '--every',
        'daily',
        '--at',
        '02:30',
        '--vault-key-file',
        keyFile,
        '--',
        '--source',
        b.source,
        '--hosts',
        'tag:it',
        '--version',
        NEW,
      ],
      { home: b.home, env },
    );
    expect(add.code, add.stderr).toBe(0);
    const s = add.json() as { backend: string; files: string[]; cron: string };
    expect(s.cron).toBe('30 2 * * *');
    if (s.backend === 'cron') {
      const text = readFileSync(s.files[0]!, 'utf8');
      expect(text).toMatch(/^30 2 \* \* \* root /m);
      expect(text).toContain(`--home ${b.home}`);
      expect(text).toContain(`sweep --schedule ${name} --source ${b.source} --hosts tag:it`);
      expect(text).toContain(`ASR_DEPLOY_VAULT_KEY_FILE=${keyFile}`);
      expect(text).not.toContain(VAULT_KEY);
      // Run the scheduled command line exactly as cron would (sh -c), and see it recorded in the journal.
      const line = text.split('\n').find((l) => l.startsWith('30 2'))!;
      const cmd = line.replace(/^(\S+\s+){5}root\s+/, '').replace(/\\%/g, '%');
      const { execFileSync } = await import('node:child_process');
      execFileSync('sh', ['-c', cmd], { env: { PATH: process.env.PATH } });
      const jobs = (await runCli(['--json', 'jobs', 'list'], { home: b.home })).json() as { kind: string }[];
      expect(jobs.length).toBeGreaterThan(0);
      expect(existsSync(join(b.home, 'logs', `schedule-${name}.log`))).toBe(true);
    }
    const list = (await runCli(['--json', 'schedule', 'list'], { home: b.home })).json() as { name: string; installed: boolean }[];
    expect(list).toMatchObject([{ name, installed: true }]);
    expect((await runCli(['schedule', 'remove', name], { home: b.home })).code).toBe(0);
    for (const f of s.files) if (f.startsWith('/')) expect(existsSync(f)).toBe(false);
    // A key file others can read is refused.
    writeFileSync(keyFile, VAULT_KEY, { mode: 0o644 });
    const { chmodSync } = await import('node:fs');
    chmodSync(keyFile, 0o644);
    const bad = await runCli(['schedule', 'add', `${name}x`, '--every', 'daily', '--vault-key-file', keyFile], { home: b.home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/chmod 600/);
  }, 120_000);

  it('a sweep killed midway (kill -9) is finished by jobs resume; each host upgraded exactly once', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../../helpers/cli.ts');
    // The data directory belongs to CLI processes from here (the previous test closed b.store).
    const env = { ...process.env, ASR_DEPLOY_VAULT_KEY: VAULT_KEY, NO_COLOR: '1' };
    const cli = (args: string[]) => runCli(args, { home: b.home, env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY }, timeoutMs: 90_000 });
    const a = await addHost(lab!, {});
    const c = await addHost(lab!, {});
    b.scratch.push(a, c);
    for (const h of [a, c]) expect((await cli(['hosts', 'add', h.address, '--name', h.name, '--os', 'linux', '--credential', 'root'])).code).toBe(0);
    expect((await cli(['trust', 'approve', a.address, c.address])).code).toBe(0);
    const planOld = (
      await cli(['--json', 'plan', '--component', 'mobility-service', '--version', OLD, '--source', b.source, '--hosts', `${a.name},${c.name}`])
    ).json() as { planId: string };
    expect((await cli(['apply', planOld.planId, '--yes'])).code).toBe(0);
    for (const h of [a, c]) await onHost(h, 'echo SLEEP=3 > /usr/local/asr-fixture.conf');
    const child = spawn(
      process.execPath,
      [BIN, '--home', b.home, '--verbose', 'sweep', '--hosts', `${a.name},${c.name}`, '--source', b.source, '--version', NEW],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no upgrade started: ${err}`)), 60_000);
      child.stderr.on('data', (d) => {
        err += d;
        if ((err.match(/: upgrade…/g) ?? []).length >= 2) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const jobId = [...err.matchAll(/job (j-[0-9a-f-]+)/g)].at(-1)![1]!;
    expect((await cli(['--json', 'jobs', 'show', jobId])).json() as { status: string; kind: string }).toMatchObject({ status: 'interrupted', kind: 'sweep' });
    const resumed = await cli(['--json', 'jobs', 'resume', jobId]);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const h of [a, c]) {
      expect(await onHost(h, 'cat /usr/local/.vx_version')).toMatch(`VERSION=${NEW}`);
      expect(await installCount(h)).toBe(2); // the 9.60 install, then exactly one upgrade
    }
  }, 150_000);
});
