import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import { identifyInstaller, type InstallerFile } from '../../../src-main/components/sources.ts';
import { describeHops, upgradePath } from '../../../src-main/components/upgrade-path.ts';
import { defaultVersion, versionWarnings } from '../../../src-main/components/version-choice.ts';

const c = loadCatalog();
const installer = (file: string): InstallerFile => {
  const id = identifyInstaller(c, file);
  if (!id) throw new Error(`not an installer name: ${file}`);
  return { ...id, path: `/src/${file}`, sha256: '0'.repeat(64), size: 1, hashStatus: 'unknown' };
};
const linux = (version: string, osId: string, date = '01Jan2026') => installer(`Microsoft-ASR_UA_${version}_${osId}_GA_${date}_release.tar.gz`);
const UBUNTU = 'UBUNTU-22.04-64';
const want = (osId: string | null, extra: { explicit?: string; sourceDir?: string } = {}) => ({
  component: 'mobility-service' as const,
  platform: 'linux' as const,
  osId,
  ...extra,
});

describe('the catalog keeps up: 9.66 and its kernel builds', () => {
  it('lists 9.66.7567.1 (GA 2025-09-20) with a link per OS id, the RHEL6 build 9.66.7569.1, and the later kernel builds', () => {
    const ga = c.find('mobility-service', '9.66.7567.1')!;
    expect(ga).toMatchObject({ released: '2025-09-20', generation: 'unified-9x' });
    expect(Object.keys(ga.downloads)).toHaveLength(25);
    expect(ga.downloads[UBUNTU]).toBe(
      'https://download.microsoft.com/download/4a31f77d-2851-43bf-8bdc-cca0bc890eab/Microsoft-ASR_UA_9.66.7567.1_UBUNTU-22.04-64_GA_20Sep2025_release.tar.gz',
    );
    expect(ga.downloads['RHEL6-64']).toBeUndefined();
    expect(c.find('mobility-service', '9.66.7569.1')).toMatchObject({ released: '2025-09-22', osIds: ['RHEL6-64'] });
    for (const build of ['9.66.7604.1', '9.66.7643.1']) expect(c.find('mobility-service', build)).toMatchObject({ downloads: {}, released: null });
    expect(c.find('mobility-service', '9.64.7374.1')?.released).toBe('2025-03-11');
    expect(Object.keys(c.find('mobility-service', '9.65.0.0')!.downloads)).toHaveLength(26);
    expect(c.latest('mobility-service').version).toBe('9.66.7643.1');
    expect(c.newestFor('mobility-service', 'RHEL6-64')?.version).toBe('9.66.7569.1');
    expect(c.newestFor('mobility-service', 'DEBIAN10-64')?.version).toBe('9.66.7567.1');
    expect(c.newestFor('mobility-service', UBUNTU)?.version).toBe('9.66.7643.1');
  });
});

describe('the version default comes from the installer source, per host', () => {
  const sources = [
    linux('9.60.6956.1', UBUNTU),
    linux('9.62.7096.1', UBUNTU),
    linux('9.66.7567.1', 'RHEL8-64', '20Sep2025'),
    installer('Microsoft-ASR_UA_9.61.7016.1_Windows_GA_01Jan2026_release.exe'),
  ];

  it('is the newest version the source holds for the host’s OS id, not the catalog’s newest', () => {
    expect(defaultVersion(c, sources, want(UBUNTU, { sourceDir: '/src' }))).toEqual({ version: '9.62.7096.1', versionSource: 'source' });
    expect(defaultVersion(c, sources, want('RHEL8-64', { sourceDir: '/src' }))).toEqual({ version: '9.66.7567.1', versionSource: 'source' });
    expect(defaultVersion(c, sources, { component: 'mobility-service', platform: 'windows', osId: 'Windows', sourceDir: '/src' })).toEqual({
      version: '9.61.7016.1',
      versionSource: 'source',
    });
  });

  it('warns when the catalog knows a newer version for that OS id, naming it and its link', () => {
    const w = versionWarnings(c, { component: 'mobility-service', version: '9.62.7096.1', versionSource: 'source', osId: UBUNTU, sourceDir: '/src' });
    expect(w.blocked).toBeUndefined();
    expect(w.warnings).toEqual([`the catalog knows a newer Mobility service for ${UBUNTU}: 9.66.7643.1 (no download link published); /src holds 9.62.7096.1`]);
    const rhel = versionWarnings(c, { component: 'mobility-service', version: '9.62.7096.1', versionSource: 'source', osId: 'RHEL8-64', sourceDir: '/src' });
    expect(rhel.warnings[0]).toContain(
      '9.66.7567.1 (https://download.microsoft.com/download/4a31f77d-2851-43bf-8bdc-cca0bc890eab/Microsoft-ASR_UA_9.66.7567.1_RHEL8-64_GA_20Sep2025_release.tar.gz)',
    );
    // Nothing to say when the source holds the newest, or when the admin chose the version.
    expect(
      versionWarnings(c, { component: 'mobility-service', version: '9.66.7567.1', versionSource: 'source', osId: 'RHEL8-64', sourceDir: '/src' }).warnings,
    ).toEqual([]);
    expect(versionWarnings(c, { component: 'mobility-service', version: '9.62.7096.1', versionSource: 'explicit', osId: UBUNTU }).warnings).toEqual([]);
  });

  it('blocks a host whose OS id has no installer in the source, saying what the source holds', () => {
    expect(defaultVersion(c, sources, want('DEBIAN12-64', { sourceDir: '/src' }))).toEqual({
      blocked: expect.stringMatching(
        /^no Mobility service installer for DEBIAN12-64 in \/src \(it holds 9\.60\.6956\.1 UBUNTU-22\.04-64, 9\.62\.7096\.1 UBUNTU-22\.04-64, 9\.66\.7567\.1 RHEL8-64, 9\.61\.7016\.1 Windows\)$/,
      ),
    });
    expect(defaultVersion(c, sources, want(null, { sourceDir: '/src' }))).toEqual({ blocked: expect.stringContaining('no installer OS id') });
  });

  it('takes --version as given, and the catalog’s newest for the OS id when there is no source (check only)', () => {
    expect(defaultVersion(c, sources, want(UBUNTU, { explicit: '9.60.6956.1', sourceDir: '/src' }))).toEqual({
      version: '9.60.6956.1',
      versionSource: 'explicit',
    });
    expect(defaultVersion(c, [], want('RHEL6-64'))).toEqual({ version: '9.66.7569.1', versionSource: 'catalog' });
    expect(defaultVersion(c, [], want(null))).toEqual({ version: '9.66.7643.1', versionSource: 'catalog' });
  });
});

describe('an installer newer than the catalog', () => {
  it('is chosen, accepted with a warning, and follows the rules (generation) of the newest known version', () => {
    const sources = [linux('9.62.7096.1', UBUNTU), linux('9.67.7803.1', UBUNTU)];
    expect(defaultVersion(c, sources, want(UBUNTU, { sourceDir: '/src' }))).toEqual({ version: '9.67.7803.1', versionSource: 'source' });
    expect(c.standing('mobility-service', '9.67.7803.1')).toMatchObject({ standing: 'newer-than-catalog', rulesOf: { version: '9.66.7643.1' } });
    expect(versionWarnings(c, { component: 'mobility-service', version: '9.67.7803.1', versionSource: 'source', osId: UBUNTU, sourceDir: '/src' })).toEqual({
      warnings: ['Mobility service 9.67.7803.1 is not in the catalog: rules of the newest known version (9.66.7643.1) apply'],
    });
    expect(c.commandLines('mobility-service', '9.67.7803.1', 'linux')).toEqual(c.commandLines('mobility-service', '9.66.7643.1', 'linux'));
  });

  it('a version between listed ones follows the nearest older one; one older than the catalog is refused', () => {
    expect(
      versionWarnings(c, { component: 'mobility-service', version: '9.63.7200.1', versionSource: 'source', osId: UBUNTU, sourceDir: '/src' }).warnings[0],
    ).toBe('Mobility service 9.63.7200.1 is not in the catalog: rules of the nearest older known version (9.62.7096.1) apply');
    expect(versionWarnings(c, { component: 'mobility-service', version: '7.0.0.0', versionSource: 'source', osId: UBUNTU, sourceDir: '/src' }).blocked).toMatch(
      /older than every version the catalog knows \(oldest: 8\.3\.0\.0\)/,
    );
  });
});

describe('N-4 upgrade hops and the reboot rule (service-updates-how-to.md)', () => {
  it('the documented examples: 9.16 → 9.20 direct; 9.16 → 9.21 via 9.20 with a reboot before 9.21; 9.16 → 9.24 via 9.20', () => {
    expect(upgradePath(['9.20.0.0'], '9.16.0.0', '9.20.0.0')).toEqual({
      direct: true,
      hops: [{ version: '9.20.0.0', upTo: '9.20', rebootBefore: false }],
      lastReboot: '9.16.0.0',
    });
    expect(upgradePath(['9.20.0.0'], '9.16.0.0', '9.21.0.0').hops).toEqual([
      { version: '9.20.0.0', upTo: '9.20', rebootBefore: false },
      { version: '9.21.0.0', upTo: '9.21', rebootBefore: true },
    ]);
    const p = upgradePath(['9.18.0.0', '9.20.0.0'], '9.16.0.0', '9.24.0.0');
    expect(p.direct).toBe(false);
    expect(describeHops('9.16.0.0', p)).toBe('9.16.0.0 → 9.20.0.0 → reboot, 9.24.0.0');
  });

  it('a hop with no known version names its range; the catalog’s gap 9.25 → 9.60 takes eight hops', () => {
    const versions = c.versions('mobility-service').map((v) => v.version);
    const p = upgradePath(versions, '9.25.5241.1', '9.66.7567.1');
    expect(p.hops.map((h) => h.version ?? `≤${h.upTo}`)).toEqual([
      '≤9.29',
      '≤9.33',
      '≤9.37',
      '≤9.41',
      '≤9.45',
      '≤9.49',
      '≤9.53',
      '≤9.57',
      '9.61.7016.1',
      '9.65.0.0',
      '9.66.7567.1',
    ]);
    expect(p.hops.filter((h) => h.rebootBefore)).toHaveLength(10);
    expect(upgradePath(versions, '9.62.7096.1', '9.66.7643.1')).toMatchObject({ direct: true });
  });

  it('counts the reboot from the agent at the last reboot, not the installed one', () => {
    // Installed 9.62 without a reboot since 9.60: going to 9.65 is within four of 9.62, but five from 9.60.
    expect(upgradePath([], '9.62.7096.1', '9.65.0.0', '9.60.6956.1')).toEqual({
      direct: true,
      hops: [{ version: '9.65.0.0', upTo: '9.65', rebootBefore: true }],
      lastReboot: '9.60.6956.1',
    });
    expect(upgradePath([], '9.62.7096.1', '9.64.7374.1', '9.60.6956.1').hops[0]!.rebootBefore).toBe(false);
    // 8.x → 9.x: no document gives hops; one step.
    expect(upgradePath([], '8.4.0.0', '9.66.7567.1')).toMatchObject({ direct: true });
  });
});
