import { describe, expect, it } from 'vitest';
import { FactsSchema } from '../../../src-main/model/facts.ts';
import { fixtureNames, loadFacts } from '../checks/facts-fixtures.ts';

describe('facts fixtures', () => {
  it('has the lab OS profiles and the odd hosts', () => {
    expect(fixtureNames()).toEqual(
      expect.arrayContaining([
        'linux-centos-6.6.json',
        'linux-ol-6.5-uek3.json',
        'linux-sles-11-sp3.json',
        'linux-rhel-8.6.json',
        'linux-ubuntu-22.04.json',
        'linux-bad-etc-hosts.json',
        'linux-non-english-hostname.json',
        'linux-sparse.json',
        'windows-2012r2.json',
        'windows-dynamic-disk.json',
        'windows-firewall-off.json',
        'windows-local-account-no-latfp.json',
        'windows-sparse.json',
      ]),
    );
  });

  it.each(fixtureNames())('%s validates against FactsSchema', (name) => {
    const parsed = FactsSchema.safeParse(loadFacts(name));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });
});
