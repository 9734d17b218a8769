import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { BIN, runCli } from '../../helpers/cli.ts';
import { DeployBench, PASSPHRASE, VAULT_KEY, installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';
const ACCEPT = ['reach-process-server', 'reach-configuration-server'];

/** Regular files directly in the workstation's temp folder or one level down (key copies would be there). */
function tempFiles(): Set<string> {
  const out = new Set<string>();
  for (const e of readdirSync(tmpdir(), { withFileTypes: true })) {
    const p = join(tmpdir(), e.name);
    if (e.isFile()) out.add(p);
    else if (e.isDirectory()) {
      try {
        for (const f of readdirSync(p, { withFileTypes: true })) if (f.isFile()) out.add(join(p, f.name));
      } catch {
        /* another user's or gone */
      }
    }
  }
  return out;
}

/**
 * Issue 12 item 8: secrets on targets go right after use; a crash leaves clean-ups that are
 * journalled, listed by `jobs show` / `jobs resume`, and done by `jobs resume`. One lab host each.
 */
describe.skipIf(!lab)(`target clean-ups: right after use, and after a crash by jobs resume (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({ installers: [{ version: V, osId: 'UBUNTU-22.04-64' }] });
  }, 120_000);
  afterAll(async () => b?.close());
  const cs = () => lab!.proxy?.endpoint?.address ?? lab!.bridgeAddress;

  it('after a successful apply no passphrase or staging is left on the host, and no key copy on the workstation', async () => {
    const h = await b.host();
    const key = readFileSync(lab!.users.root.keyPath, 'utf8').trim();
    const before = tempFiles();
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: b.source,
      hosts: h.name,
      cs: cs(),
      passphraseFile: b.passphraseFile,
      accept: ACCEPT,
    });
    const r = await b.call('apply.start', { planId: plan.planId });
    expect(r.hosts[0]).toMatchObject({ status: 'succeeded', version: V });
    expect((await onHost(h, 'ls -d /tmp/asr-deploy-* 2>/dev/null | wc -l')).trim()).toBe('0');
    // The passphrase is in no file anywhere a staging step could have put one.
    expect((await onHost(h, `grep -rlF -- '${PASSPHRASE}' /tmp /var/tmp /root /usr/local 2>/dev/null | wc -l`)).trim()).toBe('0');
    const added = [...tempFiles()].filter((f) => !before.has(f));
    const withKey = added.filter((f) => {
      try {
        return statSync(f).size < 1 << 20 && readFileSync(f, 'utf8').includes(key.split('\n')[1]!);
      } catch {
        return false;
      }
    });
    expect(withKey).toEqual([]);
    expect(b.store.journal.pendingCleanups(r.jobId).size).toBe(0);
  }, 120_000);

  it('killed while the passphrase is on the host: jobs show lists the clean-up, jobs resume removes it', async () => {
    const h = await b.host();
    // Registration takes 4 s: the kill lands while the passphrase file is on the host.
    await onHost(h, 'echo CONFIGURE_SLEEP=4 > /usr/local/asr-fixture.conf');
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: b.source,
      hosts: h.name,
      cs: cs(),
      passphraseFile: b.passphraseFile,
      accept: ACCEPT,
    });
    b.store.close(); // the CLI processes own the database from here
    const env = { ...process.env, ASR_DEPLOY_VAULT_KEY: VAULT_KEY, NO_COLOR: '1' };
    const child = spawn(process.execPath, [BIN, '--home', b.home, '--verbose', 'apply', plan.planId, '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`configure never started: ${stderr}`)), 60_000);
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/: configure…/.test(stderr)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const jobId = /job (j-[0-9a-f-]+)/.exec(stderr)![1]!;
    const secret = `/tmp/asr-deploy-${jobId}/passphrase`;
    expect((await onHost(h, `test -f ${secret} && echo present`)).trim()).toBe('present');

    const cli = (args: string[]) => runCli(args, { home: b.home, env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY }, timeoutMs: 90_000 });
    const show = await cli(['--json', 'jobs', 'show', jobId]);
    const shown = show.json() as { status: string; pendingCleanups: { host: string; kind: string; path: string }[] };
    expect(shown.status).toBe('interrupted');
    expect(shown.pendingCleanups).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ host: h.name, kind: 'secret', path: secret }),
        expect.objectContaining({ host: h.name, kind: 'staging', path: `/tmp/asr-deploy-${jobId}` }),
      ]),
    );
    const human = await cli(['jobs', 'show', jobId]);
    expect(human.stdout).toContain(`${h.name}: secret ${secret}`);

    const resume = await cli(['--json', 'jobs', 'resume', jobId]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stderr).toContain(`pending clean-up on ${h.name}: secret ${secret}`);
    const r = resume.json() as { hosts: { status: string }[]; cleanups: { path: string; done: boolean }[] };
    expect(r.hosts[0]!.status).toBe('succeeded');
    expect(r.cleanups).toEqual(expect.arrayContaining([expect.objectContaining({ path: secret, done: true })]));
    expect((await onHost(h, `test -e ${secret} || echo gone`)).trim()).toBe('gone');
    expect((await onHost(h, 'ls -d /tmp/asr-deploy-* 2>/dev/null | wc -l')).trim()).toBe('0');
    expect(await installCount(h)).toBe(1);
    expect(((await cli(['--json', 'jobs', 'show', jobId])).json() as { pendingCleanups: unknown[] }).pendingCleanups).toEqual([]);
  }, 240_000);
});
