import { mkdtempSync, readFileSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog, parseCatalog, supportStatus } from '../../../src-main/components/catalog.ts';
import { renderArgv } from '../../../src-main/components/recipe.ts';
import { chooseInstaller, identifyInstaller, scanSources } from '../../../src-main/components/sources.ts';
import { compareVersions, parseVersion } from '../../../src-main/components/version.ts';
import { resourcePath } from '../../../src-main/model/resources.ts';
import { openDatabase } from '../../../src-main/store/db.ts';
import { InstallerHashRepository } from '../../../src-main/store/installer-hashes.ts';

describe('versions', () => {
  it('compares four-part ASR versions numerically', () => {
    expect(compareVersions('9.62.7096.1', '9.61.7016.1')).toBe(1);
    expect(compareVersions('5.24.0614.1', '5.24.0317.5')).toBe(1);
    expect(compareVersions('9.9.0.0', '9.10.0.0')).toBe(-1);
    expect(compareVersions('2.0.9919.0', '2.0.9919')).toBe(0);
    expect(parseVersion('9.x')).toBeNull();
  });
});

describe('catalog', () => {
  const c = loadCatalog();
  it('holds the three components with their platforms, seeded from the documents', () => {
    expect(c.components.map((x) => x.id).sort()).toEqual(['mars-agent', 'mobility-service', 'provider']);
    expect(c.component('mobility-service').platforms).toEqual(['linux', 'windows']);
    expect(c.find('mobility-service', '8.3.0.0')?.downloads['RHEL6-64']).toMatch(/Microsoft-ASR_UA_8\.3\.0\.0_RHEL6-64_GA_03Jul2015_release\.tar\.gz$/);
    expect(c.find('provider', '5.24.0614.1')?.rollup).toBe('UR74');
    expect(c.find('mars-agent', '2.0.9919.0')).toBeDefined();
    expect(c.latest('mobility-service').version).toBe('9.66.7643.1');
  });

  it('gives the documented command lines per generation', () => {
    expect(c.commandLines('mobility-service', '9.62.7096.1', 'linux').install).toEqual(['./install', '-d', '{installDir}', '-r', 'MS', '-v', 'VmWare', '-q']);
    expect(c.commandLines('mobility-service', '8.4.0.0', 'linux').install).toContain('-P');
    expect(c.commandLines('mars-agent', '2.0.9919.0', 'windows').install).toEqual(['{installer}', '/q', '/nu']);
  });

  it('rejects a whole catalog when one document is invalid, naming the file and path', () => {
    const good = JSON.parse(readFileSync(resourcePath('catalog', 'provider.json'), 'utf8'));
    const bad = structuredClone(good);
    bad.versions[0].generation = 'nope';
    expect(() =>
      parseCatalog([
        { file: 'good.json', data: good },
        { file: 'bad.json', data: bad },
      ]),
    ).toThrow(/bad\.json.*versions\.0\.generation.*unknown generation/);
    const badVersion = structuredClone(good);
    badVersion.versions[0].version = 'latest';
    expect(() => parseCatalog([{ file: 'v.json', data: badVersion }])).toThrow(/v\.json.*version/);
    expect(() =>
      parseCatalog([
        { file: 'a.json', data: good },
        { file: 'b.json', data: good },
      ]),
    ).toThrow(/twice/);
  });

  it('judges support by the N-4 rule', () => {
    expect(supportStatus(c, 'mobility-service', '9.66.7643.1')).toBe('current');
    expect(supportStatus(c, 'mobility-service', '9.62.7096.1')).toBe('supported');
    expect(supportStatus(c, 'mobility-service', '9.61.7016.1')).toBe('out-of-support');
    expect(supportStatus(c, 'mobility-service', '9.61.7016.1', '9.65.0.0')).toBe('supported');
    expect(supportStatus(c, 'mobility-service', '9.60.6956.1', '9.65.0.0')).toBe('out-of-support');
    expect(supportStatus(c, 'mobility-service', '8.4.0.0')).toBe('out-of-support');
    expect(supportStatus(c, 'provider', '5.24.0117.5')).toBe('supported');
    expect(supportStatus(c, 'provider', '5.1.4300.0')).toBe('out-of-support');
    expect(supportStatus(c, 'mobility-service', null)).toBe('unknown');
  });

  it('renders argv templates one element per argument, never through a shell', () => {
    expect(renderArgv(['./install', '-d', '{installDir}', '-P', '{passphraseFile}'], { installDir: '/opt/a b', passphraseFile: "/tmp/x'; rm -rf /" })).toEqual([
      './install',
      '-d',
      '/opt/a b',
      '-P',
      "/tmp/x'; rm -rf /",
    ]);
  });
});

describe('installer sources', () => {
  const c = loadCatalog();
  it('identifies installers by their documented file names', () => {
    expect(identifyInstaller(c, 'Microsoft-ASR_UA_9.30.0.0_UBUNTU-16.04-64_GA_22Oct2019_release.tar.gz')).toMatchObject({
      component: 'mobility-service',
      platform: 'linux',
      osId: 'UBUNTU-16.04-64',
      version: '9.30.0.0',
    });
    expect(identifyInstaller(c, 'Microsoft-ASR_UA_8.4.0.0_SLES11-SP3-64_GA_28Jul2015_release.tar.gz')).toMatchObject({
      osId: 'SLES11-SP3-64',
      version: '8.4.0.0',
    });
    expect(identifyInstaller(c, 'Microsoft-ASR_UA_8.4.0.0_Windows_GA_28Jul2015_release.exe')).toMatchObject({ platform: 'windows', osId: 'Windows' });
    expect(identifyInstaller(c, 'AzureSiteRecoveryProvider.exe')).toMatchObject({ component: 'provider' });
    expect(identifyInstaller(c, 'MARSAgentInstaller.exe')).toMatchObject({ component: 'mars-agent' });
    expect(identifyInstaller(c, 'readme.txt')).toBeNull();
  });

  it('hashes once (cached by size and mtime), flags a catalog hash mismatch, and refuses a missing folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'src-'));
    const f = join(dir, 'Microsoft-ASR_UA_9.62.7096.1_RHEL8-64_GA_01Jan2026_release.tar.gz');
    writeFileSync(f, 'installer bytes');
    // Whole seconds: a Date's milliseconds do not survive utimes' float conversion exactly.
    utimesSync(f, 1_700_000_000, 1_700_000_000);
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'db-')));
    const first = await scanSources(c, dir, new InstallerHashRepository(db));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ osId: 'RHEL8-64', hashStatus: 'unknown', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Same size+mtime: the cached hash is used even if the bytes changed (so it is computed once).
    writeFileSync(f, 'INSTALLER BYTES');
    utimesSync(f, 1_700_000_000, 1_700_000_000);
    expect((await scanSources(c, dir, new InstallerHashRepository(db)))[0]!.sha256).toBe(first[0]!.sha256);
    const withHash = parseCatalog(
      c.components.map((comp) => ({
        file: comp.id,
        data:
          comp.id === 'mobility-service'
            ? { ...comp, versions: comp.versions.map((v) => (v.version === '9.62.7096.1' ? { ...v, sha256: { 'RHEL8-64': '0'.repeat(64) } } : v)) }
            : comp,
      })),
    );
    const scanned = await scanSources(withHash, dir);
    expect(scanned[0]).toMatchObject({ hashStatus: 'mismatch', expectedSha256: '0'.repeat(64) });
    expect(chooseInstaller(scanned, { component: 'mobility-service', platform: 'linux', osId: 'RHEL8-64' })?.file).toMatch(/RHEL8-64/);
    expect(chooseInstaller(scanned, { component: 'mobility-service', platform: 'linux', osId: 'RHEL7-64' })).toBeNull();
    await expect(scanSources(c, join(dir, 'missing'))).rejects.toThrow(/Cannot read the source folder/);
  });
});

describe('catalog: Windows generations', () => {
  const c = loadCatalog();
  const values = {
    installer: 'X.exe',
    extractDir: 'C:\\E',
    installDir: 'C:\\I',
    configuratorDir: 'C:\\B',
    friendlyName: 'F',
    vaultCredentialsFile: 'C:\\v.VaultCredentials',
    csAddress: '10.0.0.5',
    csPort: 443,
    passphraseFile: 'C:\\p',
    logFile: 'C:\\l.txt',
    setupProgram: 'UnifiedAgentInstaller.exe',
    configFile: 'C:\\c.json',
  };
  const documented: Record<string, { install: string[]; configure: string[] | null }> = {
    'provider-5x': {
      install: ['setupdr.exe', '/i'],
      configure: ['C:\\B\\DRConfigurator.exe', '/r', '/Friendlyname', 'F', '/Credentials', 'C:\\v.VaultCredentials'],
    },
    'mars-2x': { install: ['X.exe', '/q', '/nu'], configure: null },
    'unified-9x': {
      install: ['UnifiedAgent.exe', '/Role', 'MS', '/InstallLocation', 'C:\\I', '/Platform', 'VmWare', '/Silent'],
      configure: ['C:\\I\\agent\\UnifiedAgentConfigurator.exe', '/CSEndPoint', '10.0.0.5', '/PassphraseFilePath', 'C:\\p'],
    },
    // vmware-physical-mobility-service-overview.md (command prompt, preview) / upgrade-mobility-service-modernized.md
    'csprime-9x': {
      install: ['UnifiedAgentInstaller.exe', '/Platform', 'vmware', '/Silent', '/Role', 'MS', '/CSType', 'CSPrime', '/InstallLocation', 'C:\\I'],
      configure: ['C:\\I\\agent\\UnifiedAgentConfigurator.exe', '/SourceConfigFilePath', 'C:\\c.json', '/CSType', 'CSPrime'],
    },
    'legacy-8x': {
      install: [
        'X.exe',
        '-ip',
        '10.0.0.5',
        '-port',
        '443',
        '-mode',
        'UA',
        '/LOG=C:\\l.txt',
        '/DIR=C:\\I',
        '/VERYSILENT',
        '/SUPPRESSMSGBOXES',
        '/norestart',
        '-usesysvolumes',
        '/CommunicationMode',
        'https',
        '/PassphrasePath',
        'C:\\p',
      ],
      configure: null,
    },
  };
  it('every Windows generation renders its documented argv, with no placeholder left', () => {
    let seen = 0;
    for (const comp of c.components) {
      for (const [gen, g] of Object.entries(comp.generations)) {
        if (!g.windows) continue;
        seen++;
        const doc = documented[gen];
        expect(doc, `${comp.id}/${gen} has documented lines in this test`).toBeDefined();
        expect(renderArgv(g.windows.install, values)).toEqual(doc!.install);
        expect(g.windows.configure ? renderArgv(g.windows.configure, values) : null).toEqual(doc!.configure);
        for (const line of [g.windows.install, g.windows.upgrade, g.windows.configure ?? [], g.windows.extract ?? []])
          expect(renderArgv(line, values).join(' ')).not.toMatch(/\{[A-Za-z]+\}/);
        expect(g.windows.detect?.services.length).toBeGreaterThan(0);
      }
    }
    expect(seen).toBe(5);
    expect(c.commandLines('provider', '5.24.0614.1', 'windows').vmm?.service).toBe('SCVMMService');
    expect(c.commandLines('mobility-service', '8.3.0.0', 'windows').extract).toBeUndefined();
    expect(c.commandLines('mobility-service', '9.65.0.0', 'windows').detect?.productCode).toBe('{275197FC-14FD-4560-A5EB-38217F80CBD1}');
  });

  it('rejects a Windows generation whose detection names no service', () => {
    const good = JSON.parse(readFileSync(resourcePath('catalog', 'mars-agent.json'), 'utf8'));
    const bad = structuredClone(good);
    bad.generations['mars-2x'].windows.detect.services = [];
    expect(() => parseCatalog([{ file: 'm.json', data: bad }])).toThrow(/m\.json.*detect\.services/);
  });
});
