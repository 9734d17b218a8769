// facts.ps1 through the real PowerShell transport (node-powershell → pwsh → PSSession over SSH to
// the lab's pwsh host). The lab host is Linux, so this proves the path (script text as data, one JSON
// answer, the platform guard), not the Windows readings: those are the replayed transcripts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeFrom } from '../../../src-main/deploy/examine.ts';
import { gatherFacts } from '../../../src-main/facts/index.ts';
import { WINDOWS_FACTS_SCRIPT, WindowsObservationsSchema } from '../../../src-main/facts/windows.ts';
import { AsrFailure } from '../../../src-main/model/errors.ts';
import { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { getLabPwshHost } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { labPowerShellTransport } from '../powershell/pwsh-lab-helpers.ts';

const { lab, pwshHost, why } = getLabPwshHost();

describe.skipIf(!pwshHost)(`Windows facts over PowerShell remoting to the lab (${why})`, () => {
  const state = lab as LabState;
  const host = pwshHost as HostState;
  let t: PowerShellTransport;
  beforeAll(async () => {
    t = labPowerShellTransport(state, host);
    await t.connect();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs facts.ps1 in the session: one observations document, every Windows source a note', async () => {
    const started = Date.now();
    const out = await t.runScript(readFileSync(WINDOWS_FACTS_SCRIPT, 'utf8'), {}, { what: 'gather Windows facts' });
    console.log(`[measure] facts.ps1 over the PSSession: ${Date.now() - started} ms`);
    const obs = WindowsObservationsSchema.parse(out);
    expect(obs.platform).toBe('Unix');
    expect(obs.computerName).toBe(host.hostname);
    expect(obs.notes?.length).toBeGreaterThan(0);
  }, 120_000);

  it('gatherFacts("windows") refuses a PowerShell host that is not Windows, by name, with a remedy', async () => {
    try {
      await gatherFacts('windows', t);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AsrFailure);
      expect((e as AsrFailure).data).toMatchObject({ code: 'unsupported', host: host.name });
      expect((e as AsrFailure).data.remedy).toContain('OS family');
    }
  }, 120_000);

  it('tcp-probe.ps1 probes from the host itself: sshd on 22 answers, a closed port is refused with the reason', async () => {
    const probes = await probeFrom(t, [
      { target: host.address, port: 22 },
      { target: host.address, port: 9 },
    ]);
    expect(probes).toHaveLength(2);
    expect(probes[0]).toMatchObject({ target: host.address, port: 22, ok: true });
    expect(probes[1]).toMatchObject({ target: host.address, port: 9, ok: false });
    expect(probes[1]!.error).toMatch(/refused/i);
  }, 60_000);
});
