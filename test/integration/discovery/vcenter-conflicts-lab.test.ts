import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createService } from '../../../src-main/service/service.ts';
import type { CommandInput, CommandName, CommandOutput } from '../../../src-main/service/contract.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { getLab } from '../../lab/inject.ts';

const { lab, reason } = getLab();
const vcReason = !lab ? reason : !lab.vcsim ? `no simulator in the lab: ${lab.unavailable['vcsim'] ?? 'not started'}` : 'simulator up';

/**
 * Discovery never corrupts what an admin verified (issue 15 item 5), against the lab's real vCenter
 * simulator, whose powered-on VMs share the lab hosts' addresses round robin (so two VMs have one
 * address, as after a clone whose guest address was not changed).
 */
describe.skipIf(!lab?.vcsim)(`vCenter discovery keeps what a person set or facts verified (${vcReason})`, () => {
  const home = mkdtempSync(join(tmpdir(), 'asr-vc-conflicts-'));
  const store = openStore(home, (db) => new LazyVaultStore(db, () => 'vcenter-conflicts-vault-key'));
  const service = createService(store);
  afterAll(() => store.close());
  const call = async <N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandOutput<N>> => {
    const r = await service.call(name, input);
    if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  const discover = (hostCredential: string) =>
    call('discover.vcenter', { server: lab!.vcsim!.url, credential: 'vc', fingerprint: lab!.vcsim!.fingerprintSha256, add: true, hostCredential });

  it('a verified host keeps name, OS, transport and credential; the differences are conflicts accepted one by one; two VMs with one address are a warning naming both', async () => {
    const vc = lab!.vcsim!;
    await call('credentials.add', { name: 'vc', user: vc.user, password: vc.password });
    await call('credentials.add', { name: 'admin-checked', user: 'root', password: 'x' });
    await call('credentials.add', { name: 'from-vcenter', user: 'deploy', password: 'y' });
    await call('credentials.add', { name: 'other', user: 'other', password: 'z' });

    // What the simulator says, before anything is stored.
    const vms = await call('discover.vcenter', { server: vc.url, credential: 'vc', fingerprint: vc.fingerprintSha256, add: false });
    const on = vms.filter((v) => v.powerState === 'poweredOn' && v.addresses.length);
    const byAddress = new Map<string, typeof on>();
    for (const v of on) byAddress.set(v.addresses[0]!, [...(byAddress.get(v.addresses[0]!) ?? []), v]);
    const shared = [...byAddress.values()].find((l) => l.length > 1);
    expect(shared, 'the lab simulator gives two VMs one address').toBeTruthy();

    // A person set this host by hand: name, OS (the other family than vCenter's guess), credential.
    const target = on[0]!;
    const address = target.addresses[0]!;
    const otherOs = target.family === 'windows' ? 'linux' : 'windows';
    await call('hosts.add', { address, name: 'db-verified', os: otherOs, credential: 'admin-checked', tags: [], source: 'manual' } as never);
    const before = store.hosts.get(address)!;

    const first = await discover('from-vcenter');
    const after = store.hosts.get(address)!;
    expect({ name: after.name, os: after.os, transport: after.transport, credential: after.credential, port: after.port }).toEqual({
      name: before.name,
      os: before.os,
      transport: before.transport,
      credential: before.credential,
      port: before.port,
    });
    const row = first.find((v) => v.uuid === target.uuid)!;
    const fields = (row.conflicts ?? []).map((c) => c.field).sort();
    expect(fields).toEqual(['credential', 'name', 'os', 'transport']);
    expect(row.conflicts!.every((c) => c.keptBecause === 'set by a person')).toBe(true);
    expect(row.conflicts!.find((c) => c.field === 'name')).toMatchObject({ current: 'db-verified', discovered: target.name.replace(/[\s,]+/g, '-') });

    // Two VMs with one address: a warning naming both; the second does not take over the first's row.
    const warned = first.filter((v) => v.warning);
    expect(warned.length).toBeGreaterThan(0);
    for (const w of warned) {
      const pair = byAddress.get(w.addresses[0]!)!;
      expect(pair.length).toBeGreaterThan(1);
      expect(w.warning).toContain(w.name);
      expect(w.warning).toMatch(/two VMs|belongs to/);
      expect(w.hostId).toBeUndefined();
    }
    const sharedWarning = warned.find((w) => w.addresses[0] === shared![0]!.addresses[0] && w.warning!.includes('two VMs'));
    if (sharedWarning) for (const v of shared!.slice(0, 2)) expect(sharedWarning.warning).toContain(v.name);
    expect(store.hosts.list().filter((h) => h.address === address)).toHaveLength(1);

    // Accept one conflict: only that field changes, and it is the operator's from then on.
    const open = await call('hosts.conflicts', { hosts: address });
    expect(open.map((c) => c.field).sort()).toEqual(['credential', 'name', 'os', 'transport']);
    const nameConflict = open.find((c) => c.field === 'name')!;
    await call('hosts.acceptConflict', { ids: [nameConflict.id] });
    const accepted = store.hosts.get(address)!;
    expect(accepted.name).toBe(nameConflict.discovered);
    expect({ os: accepted.os, credential: accepted.credential }).toEqual({ os: before.os, credential: before.credential });
    expect((await call('hosts.conflicts', { hosts: address })).map((c) => c.field).sort()).toEqual(['credential', 'os', 'transport']);
    await expect(call('hosts.acceptConflict', { ids: ['x-nope'] })).rejects.toThrow(/not_found/);

    // A host discovery added and facts then verified (a login worked): its credential is kept too.
    const plain = store.hosts.list().find((h) => h.source === 'vcenter' && h.credential === 'from-vcenter')!;
    store.hosts.setFacts(plain.id, JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/facts/linux-ubuntu-22.04.json'), 'utf8')));
    const again = await discover('other');
    expect(store.hosts.get(plain.id)!.credential).toBe('from-vcenter');
    const plainRow = again.find((v) => v.hostId === plain.id)!;
    expect(plainRow.conflicts).toEqual([
      expect.objectContaining({ field: 'credential', current: 'from-vcenter', discovered: 'other', keptBecause: 'verified by facts' }),
    ]);
    // A host neither a person nor facts vouched for follows vCenter.
    const unverified = store.hosts.list().find((h) => h.source === 'vcenter' && h.id !== plain.id && !h.facts && h.address !== address);
    if (unverified) expect(unverified.credential).toBe('other');
  }, 120_000);
});
