import { describe, expect, it } from 'vitest';
import { matrixFor } from '../../../src-main/checks/matrix.ts';
import { installerOsId, normaliseArchitecture, versionMatches, windowsRelease } from '../../../src-main/checks/os.ts';
import { loadFacts } from './facts-fixtures.ts';

const M8 = matrixFor('mobility-service', '8.4.0.0')!;
const M9 = matrixFor('mobility-service', '9.65.0.0')!;

describe('version specs', () => {
  it.each([
    ['6.6', '6', true],
    ['6.6', '6.6', true],
    ['6.6.1', '6.6', true],
    ['6', '6.6', false],
    ['6.7', '6.4-6.6', false],
    ['6.10', '6.1-6.10', true],
    ['6.5', '6.4-6.6', true],
    ['22.04', '22.04', true],
    ['22.10', '22.04', false],
    ['7.9', '8', false],
  ])('%s under %s → %s', (v, spec, want) => expect(versionMatches(v, spec)).toBe(want));
});

describe('installerOsId', () => {
  it.each([
    ['linux-centos-6.6', M8, 'RHEL6-64'],
    ['linux-ol-6.5-uek3', M8, 'OL6-64'],
    ['linux-sles-11-sp3', M8, 'SLES11-SP3-64'],
    ['linux-rhel-8.6', M8, null],
    ['linux-ubuntu-22.04', M8, null],
    ['windows-2012r2', M8, 'Windows'],
    ['linux-centos-6.6', M9, 'RHEL6-64'],
    ['linux-rhel-8.6', M9, 'RHEL8-64'],
    ['linux-ubuntu-22.04', M9, 'UBUNTU-22.04-64'],
    ['linux-sles-11-sp3', M9, 'SLES11-SP3-64'],
    ['linux-sparse', M9, null],
  ] as const)('%s under %s', (fixture, matrix, want) => {
    expect(installerOsId(loadFacts(fixture), matrix)).toBe(want);
  });

  it('maps every 9.x distribution row to its package', () => {
    const cases: [string, string, string][] = [
      ['rhel', '7.9', 'RHEL7-64'],
      ['centos', '7.9', 'RHEL7-64'],
      ['rhel', '9.2', 'RHEL9-64'],
      ['ol', '8.8', 'OL8-64'],
      ['ol', '9.1', 'OL9-64'],
      ['sles', '12.5', 'SLES12-64'],
      ['sles', '15.4', 'SLES15-64'],
      ['debian', '12', 'DEBIAN12-64'],
      ['debian', '7.11', 'DEBIAN7-64'],
      ['ubuntu', '20.04', 'UBUNTU-20.04-64'],
      ['ubuntu', '24.04', 'UBUNTU-24.04-64'],
    ];
    for (const [id, version, want] of cases) {
      const facts = loadFacts('linux-rhel-8.6');
      facts.os = { ...facts.os, id, version };
      expect(installerOsId(facts, M9), `${id} ${version}`).toBe(want);
    }
  });

  it('folds the SLES service pack into the version (SuSE-release VERSION + PATCHLEVEL)', () => {
    const facts = loadFacts('linux-sles-11-sp3');
    facts.os.servicePack = '4';
    expect(installerOsId(facts, M8)).toBeNull();
    expect(installerOsId(facts, M9)).toBe('SLES11-SP4-64');
    facts.os.version = '11.3';
    facts.os.servicePack = null;
    expect(installerOsId(facts, M8)).toBe('SLES11-SP3-64');
  });

  it('needs RHCK or UEK3 on Oracle Linux 6 under the 2015 matrix', () => {
    const facts = loadFacts('linux-ol-6.5-uek3');
    facts.os.kernel = '2.6.39-400.17.1.el6uek.x86_64'; // UEK2
    expect(installerOsId(facts, M8)).toBeNull();
    facts.os.kernelFlavor = 'rhck';
    facts.os.kernel = '2.6.32-431.el6.x86_64';
    expect(installerOsId(facts, M8)).toBe('OL6-64');
  });

  it('returns null for a 32-bit host', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.os.architecture = 'i686';
    expect(installerOsId(facts, M8)).toBeNull();
  });

  it('honours sinceVersion: Windows Server 2019 from 9.22', () => {
    const facts = loadFacts('windows-2012r2');
    facts.os.name = 'Microsoft Windows Server 2019 Datacenter';
    expect(installerOsId(facts, M9, '9.21.0.0')).toBeNull();
    expect(installerOsId(facts, M9, '9.22.5109.1')).toBe('Windows');
    expect(installerOsId(facts, M8)).toBeNull();
  });
});

describe('Windows release and architecture normalisation', () => {
  it.each([
    ['Microsoft Windows Server 2012 R2 Standard', 'Windows Server 2012 R2'],
    ['Microsoft Windows Server 2012 Datacenter', 'Windows Server 2012'],
    ['Microsoft Windows Server 2008 R2 Enterprise', 'Windows Server 2008 R2'],
    ['Microsoft Windows 8.1 Pro', 'Windows 8.1'],
    ['Microsoft Windows 10 Enterprise', 'Windows 10'],
    ['Microsoft Windows Server 2022 Standard', 'Windows Server 2022'],
  ])('%s → %s', (caption, release) => {
    const facts = loadFacts('windows-2012r2');
    facts.os.name = caption;
    expect(windowsRelease(facts)).toBe(release);
  });

  it.each([
    ['x86_64', 'x86_64'],
    ['AMD64', 'x86_64'],
    ['64-bit', 'x86_64'],
    ['i686', 'x86'],
    ['32-bit', 'x86'],
    ['aarch64', 'aarch64'],
  ])('%s → %s', (raw, want) => expect(normaliseArchitecture(raw)).toBe(want));
});
