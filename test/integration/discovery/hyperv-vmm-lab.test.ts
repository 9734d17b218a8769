// discover-vmm.ps1 / discover-hyperv.ps1 run for real in pwsh on the lab's PowerShell-remoting host
// (Linux: no virtualmachinemanager module, no Hyper-V): the missing-module/role paths are the real
// ones, through the real transport, parsed by the real schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHyperVHost, discoverVmm } from '../../../src-main/discovery/hyperv/index.ts';
import { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { getLabPwshHost } from '../../lab/inject.ts';
import { DeployBench } from '../deploy/lab-deploy.ts';
import { failureOf } from '../../helpers/failure.ts';
import { labPowerShellTransport } from '../powershell/pwsh-lab-helpers.ts';

const { lab, pwshHost, why } = getLabPwshHost();

describe.skipIf(!pwshHost)(`VMM / Hyper-V discovery scripts on a real pwsh (${why})`, () => {
  let t: PowerShellTransport;
  beforeAll(async () => {
    t = labPowerShellTransport(lab!, pwshHost!, { openTimeoutMs: 20_000 });
    await t.connect();
  });
  afterAll(async () => t?.close());

  it('a server without the virtualmachinemanager module: prerequisite_failed vmm_module_missing with the remedy', async () => {
    const e = await failureOf(discoverVmm(t, { server: pwshHost!.address }));
    expect(e).toMatchObject({ code: 'prerequisite_failed', host: pwshHost!.name, details: { reason: 'vmm_module_missing' } });
    expect(e.message).toContain('virtualmachinemanager');
    expect(e.message).toContain(pwshHost!.hostname);
    expect(e.remedy).toMatch(/VMM management server/);
  });

  it('a computer without Hyper-V: prerequisite_failed hyperv_role_missing with the install remedy', async () => {
    const e = await failureOf(discoverHyperVHost(t, { address: pwshHost!.address }));
    expect(e).toMatchObject({ code: 'prerequisite_failed', details: { reason: 'hyperv_role_missing' } });
    expect(e.remedy).toContain('Install-WindowsFeature Hyper-V');
  });
});

describe.skipIf(!pwshHost)(`discover vmm / discover hyperv through the service, the host reached through its inventory row (${why})`, () => {
  let b: DeployBench;
  const before = process.env.ASR_DEPLOY_PWSH;
  beforeAll(async () => {
    process.env.ASR_DEPLOY_PWSH = lab!.pwsh!.path;
    b = new DeployBench(lab!);
    await b.setup({ installers: [] });
    // A Windows host reached by PowerShell remoting over SSH: key credential, pinned host key.
    await b.call('hosts.add', { address: pwshHost!.address, name: pwshHost!.name, os: 'windows', transport: 'ssh', credential: 'root', source: 'manual' });
    await b.call('trust.approve', { targets: [pwshHost!.address], timeoutMs: 5000 });
  }, 60_000);
  afterAll(async () => {
    if (before === undefined) delete process.env.ASR_DEPLOY_PWSH;
    else process.env.ASR_DEPLOY_PWSH = before;
    await b?.close();
  });

  it('discover.hyperv reports the missing role per host, stores nothing, and names an unknown credential', async () => {
    const rows = await b.call('discover.hyperv', { hosts: [pwshHost!.address], credential: 'root', add: true });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ok: false, error: { code: 'prerequisite_failed', details: { reason: 'hyperv_role_missing' } } });
    expect((await b.call('hosts.list', {})).map((h) => h.tags)).toEqual([[]]);
    await expect(b.call('discover.hyperv', { hosts: [pwshHost!.address], credential: 'nobody' })).rejects.toMatchObject({ data: { code: 'not_found' } });
  }, 120_000);

  it('discover.vmm on a server without the VMM console fails with the remedy and stores nothing', async () => {
    await expect(b.call('discover.vmm', { server: pwshHost!.address, credential: 'root', add: true })).rejects.toMatchObject({
      data: { code: 'prerequisite_failed', details: { reason: 'vmm_module_missing' } },
    });
    expect(await b.call('hosts.list', {})).toHaveLength(1);
  }, 120_000);
});
