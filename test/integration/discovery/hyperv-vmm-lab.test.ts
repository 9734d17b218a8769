// discover-vmm.ps1 / discover-hyperv.ps1 run for real in pwsh on the lab's PowerShell-remoting host
// (Linux: no virtualmachinemanager module, no Hyper-V): the missing-module/role paths are the real
// ones, through the real transport, parsed by the real schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHyperVHost, discoverVmm } from '../../../src-main/discovery/hyperv/index.ts';
import { AsrFailure, type AsrError } from '../../../src-main/model/errors.ts';
import { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { getLab } from '../../lab/inject.ts';

const { lab, reason } = getLab();
const pwshHost = lab?.pwsh?.hosts.length ? lab.hosts.find((h) => h.name === lab.pwsh!.hosts[0] && h.powershell) : undefined;
const why = !lab ? `needs the lab: ${reason}` : !pwshHost ? `needs a lab host with the powershell subsystem: ${lab.unavailable.pwsh ?? 'none in this lab'}` : 'lab pwsh host';

async function failureOf(p: Promise<unknown>): Promise<AsrError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AsrFailure) return e.data;
    throw e;
  }
  throw new Error('expected a failure');
}

describe.skipIf(!pwshHost)(`VMM / Hyper-V discovery scripts on a real pwsh (${why})`, () => {
  let t: PowerShellTransport;
  beforeAll(async () => {
    t = new PowerShellTransport({ host: pwshHost!.name, address: pwshHost!.address, pwshPath: lab!.pwsh!.path, connection: { kind: 'ssh', user: 'root', keyFilePath: lab!.users.root.keyPath, knownHostsPath: lab!.knownHostsPath }, openTimeoutMs: 20_000 });
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
