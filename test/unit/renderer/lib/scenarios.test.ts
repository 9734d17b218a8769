import { describe, expect, it } from 'vitest';
import { SCENARIOS, SEED_DATE } from '../../../../src-renderer/lib/scenarios.ts';

describe('scenario texts: today next to the 2015 seed, each with its date', () => {
  it('every scenario says which architecture it uses today, as of when, from which documents', () => {
    expect(SEED_DATE).toBe('2015-08-10');
    for (const s of SCENARIOS) {
      expect(s.today.asOf, s.id).toMatch(/^\d{4}-\d{2}$/);
      expect(s.today.architecture.length, s.id).toBeGreaterThan(5);
      expect(s.today.sources, s.id).toMatch(/\.md/);
      // The seed's text stays.
      expect(s.summary.length, s.id).toBeGreaterThan(10);
    }
  });
  it('VMware/physical today: the replication appliance on 443 and 9443; the 2015 text keeps 9080', () => {
    const v = SCENARIOS.find((s) => s.id === 'vmware-physical-to-azure')!;
    expect(v.today.architecture).toMatch(/replication appliance/);
    expect(v.today.network).toMatch(/443/);
    expect(v.today.network).toMatch(/9443/);
    expect(v.today.summary).toMatch(/2026-03-30/);
    expect(v.network).toMatch(/9080/);
    expect(SCENARIOS.find((s) => s.id === 'vmm-to-vmm')!.today.architecture).toMatch(/deprecated/);
  });
});
