import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cloudsOfGroup,
  discoverHyperVHost,
  discoverVmm,
  hyperVToHostInput,
  mergeDiscoveredHosts,
  vmmToHostInputs,
} from '../../../../src-main/discovery/hyperv/index.ts';
import { LazyVaultStore } from '../../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../../src-main/store/store.ts';
import { FakePowerShell, loadTranscript } from '../../../helpers/fake-powershell.ts';
import { failureOf } from '../../../helpers/failure.ts';

const store = () => openStore(mkdtempSync(join(tmpdir(), 'asr-home-')), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));

describe('VMM discovery (replayed transcripts of discover-vmm.ps1)', () => {
  const vmm2016 = () => new FakePowerShell('vmm01.contoso.local', loadTranscript('discovery/vmm-2016'));

  it('reads a VMM 2016 server: host groups, clouds, a 2-node cluster, 4 hosts with their clouds and VM counts', async () => {
    const t = vmm2016();
    const inv = await discoverVmm(t, { server: 'vmm01.contoso.local' });
    expect(t.calls.map((c) => c.script)).toEqual(['discover-vmm.ps1']);
    expect(inv.server).toEqual({ name: 'VMM01', address: 'vmm01.contoso.local', fqdn: 'VMM01.contoso.local', version: '4.0.2413.0', port: 8100 });
    expect(inv.hostGroups.map((g) => g.path)).toEqual(['All Hosts', 'All Hosts\\Production', 'All Hosts\\Branch Offices']);
    expect(inv.clouds.map((c) => c.name)).toEqual(['Gold', 'Silver Branch']);
    expect(inv.hosts.map((h) => [h.address, h.cluster, h.clouds, h.vms])).toEqual([
      ['HV01.contoso.local', 'HVCL01', ['Gold'], 2],
      ['HV02.contoso.local', 'HVCL01', ['Gold'], 1],
      ['HV03.contoso.local', null, ['Gold'], 1],
      ['HV04.contoso.local', null, ['Silver Branch'], 1],
    ]);
    expect(inv.vms).toHaveLength(5);
  });

  it('a server without the virtualmachinemanager module is a named error with a remedy', async () => {
    const t = new FakePowerShell('fs01', loadTranscript('discovery/vmm-module-missing'));
    const e = await failureOf(discoverVmm(t, { server: 'fs01' }));
    expect(e.code).toBe('prerequisite_failed');
    expect(e.message).toContain('virtualmachinemanager');
    expect(e.details).toMatchObject({ reason: 'vmm_module_missing' });
    expect(e.remedy).toMatch(/VMM management server/);
  });

  it('a document the parser does not understand is command_failed, not a crash', async () => {
    const t = new FakePowerShell('vmm01', { 'discover-vmm.ps1': [{ answer: '{"ok":true,"server":{"name":"VMM01"}}' }] });
    const e = await failureOf(discoverVmm(t, { server: 'vmm01' }));
    expect(e.code).toBe('command_failed');
    expect(e.message).toContain('discover-vmm.ps1');
  });

  it('cloud membership follows host group paths, sub-groups included, case-insensitively', () => {
    const clouds = [{ name: 'Gold', id: null, hostGroups: ['All Hosts\\Production'] }];
    expect(cloudsOfGroup('All Hosts\\Production\\Rack 2', clouds)).toEqual(['Gold']);
    expect(cloudsOfGroup('all hosts\\production', clouds)).toEqual(['Gold']);
    expect(cloudsOfGroup('All Hosts\\Production2', clouds)).toEqual([]);
    expect(cloudsOfGroup(null, clouds)).toEqual([]);
  });

  it('--add: the VMM server and the 4 hosts become Windows/WinRM hosts with role, vmm, cloud, hostgroup and cluster tags', async () => {
    const s = store();
    const inv = await discoverVmm(vmm2016(), { server: 'vmm01.contoso.local' });
    const inputs = vmmToHostInputs(inv, { credential: 'vmm-admin' });
    const merged = mergeDiscoveredHosts(s.hosts, inputs);
    expect(merged.map((m) => m.outcome)).toEqual(['added', 'added', 'added', 'added', 'added']);
    const server = s.hosts.get('vmm01.contoso.local')!;
    expect(server).toMatchObject({ os: 'windows', transport: 'winrm', port: 5986, source: 'vmm', credential: 'vmm-admin' });
    expect(server.tags).toEqual(['role:vmm-server', 'cloud:Gold', 'cloud:Silver-Branch']);
    expect(s.hosts.get('HV01.contoso.local')!.tags).toEqual([
      'role:hyperv-host',
      'vmm:VMM01.contoso.local',
      'hostgroup:Production',
      'cluster:HVCL01',
      'cloud:Gold',
    ]);
    expect(s.hosts.get('HV04.contoso.local')!.tags).toEqual(['role:hyperv-host', 'vmm:VMM01.contoso.local', 'hostgroup:Branch-Offices', 'cloud:Silver-Branch']);
    expect(s.hosts.select('tag:cluster:HVCL01').map((h) => h.address)).toEqual(['HV01.contoso.local', 'HV02.contoso.local']);
    // Re-running merges: nothing new, nothing duplicated.
    expect(mergeDiscoveredHosts(s.hosts, inputs).map((m) => m.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(s.hosts.list()).toHaveLength(5);
    s.close();
  });

  it('--add merges with hosts already known by address or by short name, keeping their transport and credential', async () => {
    const s = store();
    const byName = s.hosts.upsert({ address: '10.0.0.21', name: 'HV02', os: 'windows', transport: 'ssh', port: 22, credential: 'key', tags: ['site:hq'] }).host;
    s.hosts.upsert({ address: 'HV03.contoso.local', tags: ['manual'] });
    const inv = await discoverVmm(vmm2016(), { server: 'vmm01.contoso.local' });
    const merged = mergeDiscoveredHosts(s.hosts, vmmToHostInputs(inv, { credential: 'vmm-admin' }));
    expect(merged[2]).toEqual({ hostId: byName.id, outcome: 'updated' });
    expect(s.hosts.list()).toHaveLength(5);
    const hv02 = s.hosts.get(byName.id)!;
    expect(hv02).toMatchObject({ address: '10.0.0.21', name: 'HV02', transport: 'ssh', port: 22, credential: 'key' });
    expect(hv02.tags).toEqual(['site:hq', 'role:hyperv-host', 'vmm:VMM01.contoso.local', 'hostgroup:Production', 'cluster:HVCL01', 'cloud:Gold']);
    expect(s.hosts.get('HV03.contoso.local')).toMatchObject({ os: 'windows', transport: 'winrm', credential: 'vmm-admin' });
    expect(s.hosts.get('HV03.contoso.local')!.tags).toContain('manual');
    s.close();
  });
});

describe('Hyper-V host discovery (replayed transcripts of discover-hyperv.ps1)', () => {
  it('reads a standalone 2012 R2 host: role, version, VMs; --add tags it role:hyperv-host without vmm:', async () => {
    const t = new FakePowerShell('hv-branch07', loadTranscript('discovery/hyperv-standalone-2012r2'));
    const inv = await discoverHyperVHost(t, { address: '10.20.7.5' });
    expect(inv).toMatchObject({ address: '10.20.7.5', computer: 'HV-BRANCH07', cluster: null, hyperv: { installed: true, version: '6.3.9600.18692' } });
    expect(inv.vms.map((v) => [v.name, v.state, v.generation])).toEqual([
      ['BR7-FS01', 'Running', 1],
      ['BR7-PRINT', 'Off', 2],
    ]);
    const s = store();
    mergeDiscoveredHosts(s.hosts, [hyperVToHostInput(inv, { credential: 'admin' })]);
    expect(s.hosts.get('10.20.7.5')).toMatchObject({ os: 'windows', transport: 'winrm', source: 'hyperv', tags: ['role:hyperv-host'] });
    s.close();
  });

  it('a computer without the Hyper-V role is a named error with the install remedy (transcript recorded from pwsh)', async () => {
    const t = new FakePowerShell('web01', loadTranscript('discovery/hyperv-role-missing'));
    const e = await failureOf(discoverHyperVHost(t, { address: 'web01' }));
    expect(e).toMatchObject({ code: 'prerequisite_failed', details: { reason: 'hyperv_role_missing' } });
    expect(e.remedy).toContain('Install-WindowsFeature Hyper-V');
  });
});
