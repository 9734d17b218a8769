import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadCatalog } from '../../../../src-main/components/catalog.ts';
import { recipeFor } from '../../../../src-main/components/recipes.ts';
import type { RecipeTarget } from '../../../../src-main/components/recipe.ts';
import type { PlanDocument } from '../../../../src-main/deploy/plan.ts';
import type { Host } from '../../../../src-main/model/host.ts';
import { LazyVaultStore } from '../../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../../src-main/store/store.ts';
import { FakePowerShell, type RecordedCall, type Transcript } from '../../../helpers/fake-powershell.ts';

const fakes = new Map<string, FakePowerShell>();
vi.mock('../../../../src-main/deploy/connect.ts', () => ({
  hostSecrets: () => ({ kind: 'password', user: 'CONTOSO\\asr', password: 'Host-Pw-1' }),
  transportFor: (_s: unknown, host: Host) => fakes.get(host.name)!,
}));
const { runJob, createJobFromPlan } = await import('../../../../src-main/deploy/runner.ts');
const { acceptConfigFiles, configRequests } = await import('../../../../src-main/deploy/config-files.ts');

const catalog = loadCatalog();
const V = '9.65.0.0';
const FILE = `Microsoft-ASR_UA_${V}_Windows_GA_23Apr2025_release.exe`;
// A stand-in package on disk: apply hashes it again (against the plan's trusted SHA-256) before anything reaches a host.
const SRC = mkdtempSync(join(tmpdir(), 'asr-csprime-src-'));
writeFileSync(join(SRC, FILE), 'stand-in package');
const SHA = createHash('sha256').update('stand-in package').digest('hex');
const DIR = 'C:\\ProgramData\\asr-deploy\\J';
const INSTALL_DIR = 'C:\\Program Files (x86)\\Microsoft Azure Site Recovery';
const REQUEST = 'eyJtYWNoaW5lIjoid2ViMDEtYmlvcy00MiJ9';
const CONFIG = JSON.stringify({ opaque: Buffer.from('{"machine":"web01-bios-42"}').toString('base64'), secretToken: 'RCM-TOKEN-never-logged-7f' });

const detect = (installed: boolean, configured: boolean | null) => ({
  answer: {
    installed,
    version: installed ? V : null,
    configured,
    service: installed ? 'running' : 'absent',
    installDir: installed ? INSTALL_DIR : null,
    services: {},
    markers: [],
    versionFile: null,
    vmm: null,
  },
});
const transcript = (): Transcript => ({
  'component-detect.ps1': [detect(false, null), detect(true, false), detect(true, false), detect(true, false), detect(true, true)],
  'prepare-staging.ps1': [{ answer: { dir: DIR, freeBytes: 10 * 1024 ** 3 } }],
  'find-setup-program.ps1': [{ answer: { found: 'UnifiedAgent.exe', present: ['UnifiedAgent.exe'] } }],
  'run-step.ps1': [
    { answer: { state: 'done', exitCode: 0, how: 'started', output: 'extracted' } },
    { answer: { state: 'done', exitCode: 0, how: 'started', output: `Installation succeeded.\r\nAgent Config Input: ${REQUEST}\r\n` } },
    { answer: { state: 'done', exitCode: 0, how: 'started', output: 'Registration succeeded.' } },
  ],
  'write-secret-file.ps1': [{ answer: {} }],
  'remove-files.ps1': [{ answer: { removed: [`${DIR}\\config.json`], left: [] } }],
  'fetch-logs.ps1': [{ answer: { logs: [] } }],
});

let home: string;
let store: Store;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'asr-csprime-'));
  store = openStore(home, (db) => new LazyVaultStore(db, () => 'unit-vault-key'));
  fakes.clear();
});
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

function target(action: 'install' | 'upgrade'): RecipeTarget {
  const host = { id: 'h1', name: 'web01', address: 'web01.contoso.local', os: 'windows' } as Host;
  return {
    host,
    action,
    version: V,
    installer: {
      file: FILE,
      path: join(SRC, FILE),
      sha256: SHA,
      size: 1,
      osId: 'Windows',
      version: V,
      component: 'mobility-service',
      platform: 'windows',
      hashStatus: 'unknown',
    },
    csAddress: null,
    csPort: null,
    passphrase: null,
    appliance: '10.0.0.250',
  };
}

describe('Mobility service on Windows with the modernized replication appliance (CSPrime)', () => {
  it('plans the documented lines: extract, setup /CSType CSPrime, configurator /SourceConfigFilePath', () => {
    const r = recipeFor('mobility-service', 'windows')!;
    const [extract, install, configure] = r.commandLines(catalog, target('install'));
    expect(extract).toEqual([FILE, '/q', '/x:%ProgramData%\\asr-deploy\\JOB\\x']);
    expect(install).toEqual([
      'UnifiedAgentInstaller.exe',
      '/Platform',
      'vmware',
      '/Silent',
      '/Role',
      'MS',
      '/CSType',
      'CSPrime',
      '/InstallLocation',
      INSTALL_DIR,
    ]);
    expect(configure).toEqual([
      `${INSTALL_DIR}\\agent\\UnifiedAgentConfigurator.exe`,
      '/SourceConfigFilePath',
      '%ProgramData%\\asr-deploy\\JOB\\config.json',
      '/CSType',
      'CSPrime',
    ]);
    expect(r.commandLines(catalog, target('upgrade'))[1]).toEqual([
      'UnifiedAgentInstaller.exe',
      '/Role',
      'MS',
      '/Platform',
      'VmWare',
      '/Silent',
      '/InstallationType',
      'Upgrade',
      '/CSType',
      'CSPrime',
      '/InstallLocation',
      INSTALL_DIR,
    ]);
    const linux = recipeFor('mobility-service', 'linux')!.commandLines(catalog, {
      ...target('install'),
      host: { ...target('install').host, os: 'linux' } as Host,
    });
    expect(linux.slice(1)).toEqual([
      ['./install', '-q', '-r', 'MS', '-v', 'VmWare', '-c', 'CSPrime', '-d', '/usr/local/ASR'],
      ['/usr/local/ASR/Vx/bin/AzureRcmCli', '--getagentconfiginput'],
      ['/usr/local/ASR/Vx/bin/UnifiedAgentConfigurator.sh', '-c', 'CSPrime', '-S', '/tmp/asr-deploy-JOB/config.json', '-q'],
    ]);
    expect(
      recipeFor('mobility-service', 'linux')!.commandLines(catalog, { ...target('upgrade'), host: { ...target('upgrade').host, os: 'linux' } as Host })[1],
    ).toEqual(['./install', '-q', '-r', 'MS', '-v', 'VmWare', '-a', 'Upgrade', '-c', 'CSPrime']);
    // 8.x has no appliance generation: refused by data, not by code.
    expect(() => catalog.commandLines('mobility-service', '8.4.0.0', 'windows', 'appliance')).toThrow(/modernized replication appliance/);
  });

  it('runs the setup program the package holds, waits in awaiting_config, then configures with the file as a secret only', async () => {
    const host = store.hosts.upsert({ address: 'web01.contoso.local', name: 'web01', os: 'windows', credential: 'win', tags: [], source: 'manual' }).host;
    const log: RecordedCall[] = [];
    fakes.set('web01', new FakePowerShell('web01', transcript(), log));
    const planId = 'p-csprime1';
    const doc: PlanDocument = {
      planId,
      createdAt: new Date().toISOString(),
      component: 'mobility-service',
      version: V,
      source: '/src',
      cs: null,
      csPort: null,
      appliance: '10.0.0.250',
      passphraseRef: null,
      accepted: [],
      items: [
        {
          host: 'web01',
          hostId: host.id,
          action: 'install',
          from: null,
          to: V,
          reason: 'install',
          osId: 'Windows',
          installer: { file: FILE, path: join(SRC, FILE), sha256: SHA, size: 1, osId: 'Windows', version: V },
        },
      ],
    };
    store.db
      .prepare('INSERT INTO plans (id, created_at, component, version, document) VALUES (?, ?, ?, ?, ?)')
      .run(planId, doc.createdAt, doc.component, V, JSON.stringify(doc));
    const jobId = createJobFromPlan(store, doc, { retries: 1 });
    const first = await runJob(store, jobId);
    expect(first.status).toBe('awaiting_config');
    expect(first.hosts[0]!.status).toBe('awaiting_config');
    expect(store.journal.step(jobId, host.id, 'install')?.detail).toMatchObject({ setupProgram: 'UnifiedAgent.exe', configRequest: REQUEST });
    expect(configRequests(store, jobId).map((r) => [r.file, r.request])).toEqual([['web01.txt', REQUEST]]);
    const install = log.filter((c) => c.script === 'run-step.ps1')[1]!;
    expect(install.params).toMatchObject({
      Exe: 'UnifiedAgent.exe',
      ArgList: ['/Platform', 'vmware', '/Silent', '/Role', 'MS', '/CSType', 'CSPrime', '/InstallLocation', INSTALL_DIR],
    });

    expect(acceptConfigFiles(store, jobId, [{ name: 'web01.json', content: CONFIG }]).matched).toEqual([
      { name: 'web01.json', host: 'web01', matchedBy: 'identity' },
    ]);
    const second = await runJob(store, jobId);
    expect(second.status).toBe('succeeded');
    const configure = log.filter((c) => c.script === 'run-step.ps1')[2]!;
    expect(configure.params).toMatchObject({
      Exe: `${INSTALL_DIR}\\agent\\UnifiedAgentConfigurator.exe`,
      ArgList: ['/SourceConfigFilePath', `${DIR}\\config.json`, '/CSType', 'CSPrime'],
    });
    const writes = log.filter((c) => c.script === 'write-secret-file.ps1');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.params).toEqual({ Path: `${DIR}\\config.json` });
    expect(writes[0]!.secrets).toEqual({ Secret: CONFIG });
    // The file is removed right after the configurator, and the secret is in no parameter, log, journal or event.
    expect(log.findIndex((c) => c.script === 'remove-files.ps1' && JSON.stringify(c.params).includes('config.json'))).toBeGreaterThan(log.indexOf(configure));
    for (const c of log) expect(JSON.stringify(c.params)).not.toContain('RCM-TOKEN');
    const journal = JSON.stringify([store.journal.steps(jobId), store.journal.events(jobId), store.journal.hosts(jobId)]);
    expect(journal).not.toContain('RCM-TOKEN');
    const { readFileSync, readdirSync } = await import('node:fs');
    for (const f of readdirSync(join(home, 'logs', jobId))) expect(readFileSync(join(home, 'logs', jobId, f), 'utf8')).not.toContain('RCM-TOKEN');
    expect(store.secrets.has(`job/${jobId}/config/${host.id}`)).toBe(false);
  });
});
