import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import { providerOrder, providerWaves, vmmClusterNode } from '../../../src-main/components/provider/roles.ts';
import type { RecipeTarget } from '../../../src-main/components/recipe.ts';
import { recipeFor } from '../../../src-main/components/recipes.ts';
import type { Host } from '../../../src-main/model/host.ts';
import type { PlanDocument } from '../../../src-main/deploy/plan.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { setProxy } from '../../../src-main/proxy/proxies.ts';
import { loadTranscript, MICROSOFT_SUBJECT, FakePowerShell, type RecordedCall, type Transcript } from '../../helpers/fake-powershell.ts';
import { isMicrosoftSigner } from '../../../src-main/components/windows/common.ts';

// The runner reaches hosts through deploy/connect.ts: here each host gets a transport replaying its transcript.
const fakes = new Map<string, FakePowerShell>();
vi.mock('../../../src-main/deploy/connect.ts', () => ({
  hostSecrets: () => ({ kind: 'password', user: 'CONTOSO\\asr', password: 'Host-Pw-1' }),
  transportFor: (_s: unknown, host: Host) => {
    const t = fakes.get(host.name);
    if (!t) throw new Error(`no fake for ${host.name}`);
    return t;
  },
}));
const { runJob, createJobFromPlan } = await import('../../../src-main/deploy/runner.ts');

const VAULT = '<?xml version="1.0"?><ASRVaultCreds><Key>vault-secret-KEY-42</Key></ASRVaultCreds>\n';
const PASSPHRASE = 'Cs-Passphrase-9f3';
const catalog = loadCatalog();

let home: string;
let store: Store;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'asr-winrecipes-'));
  store = openStore(home, (db) => new LazyVaultStore(db, () => 'unit-vault-key'));
  fakes.clear();
});
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

function addHost(name: string, tags: string[] = [], evidence?: Record<string, unknown>): Host {
  return store.hosts.upsert({
    address: `${name}.contoso.local`,
    name,
    os: 'windows',
    credential: 'win',
    tags,
    source: 'manual',
    ...(evidence ? { evidence } : {}),
  }).host;
}

/** A stand-in package on disk (apply hashes it again before anything reaches a host), trusted by the plan as a pin. */
const SRC = mkdtempSync(join(tmpdir(), 'asr-winrecipes-src-'));
function installer(component: string, file: string, version: string) {
  const bytes = `stand-in ${file}`;
  writeFileSync(join(SRC, file), bytes);
  return {
    file,
    path: join(SRC, file),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: 50 * 1024 * 1024,
    osId: 'Windows',
    version,
    component,
    platform: 'windows',
    hashStatus: 'pinned',
  } as const;
}

/** A stored plan (as plan.create writes it), with the secrets in the secret store. */
function storePlan(
  component: string,
  version: string,
  hosts: Host[],
  file: string,
  extra: Partial<PlanDocument> = {},
  secrets: { vault?: string; passphrase?: string } = {},
): PlanDocument {
  const planId = `p-${Math.random().toString(16).slice(2, 10)}`;
  const items = hosts.map((h) => ({
    host: h.name,
    hostId: h.id,
    action: 'install' as const,
    from: null,
    to: version,
    reason: 'install',
    osId: 'Windows',
    installer: installer(component, file, version),
  }));
  if (secrets.vault) store.secrets.put(`plan/${planId}/vault-credentials`, secrets.vault);
  if (secrets.passphrase) store.secrets.put(`plan/${planId}/passphrase`, secrets.passphrase);
  const doc: PlanDocument = {
    planId,
    createdAt: new Date().toISOString(),
    component,
    version,
    source: '/src',
    cs: null,
    csPort: null,
    passphraseRef: secrets.passphrase ? `plan/${planId}/passphrase` : null,
    ...(secrets.vault ? { vaultCredentialsRef: `plan/${planId}/vault-credentials` } : {}),
    accepted: [],
    items,
    ...extra,
  };
  store.db
    .prepare('INSERT INTO plans (id, created_at, component, version, document) VALUES (?, ?, ?, ?, ?)')
    .run(planId, doc.createdAt, component, version, JSON.stringify(doc));
  return doc;
}

function fake(name: string, transcript: Transcript, log: RecordedCall[] = []): FakePowerShell {
  const t = new FakePowerShell(name, transcript, log);
  fakes.set(name, t);
  return t;
}

async function apply(plan: PlanDocument) {
  const jobId = createJobFromPlan(store, plan, { retryBaseMs: 1, stepTimeoutMs: 60_000 });
  return { jobId, result: await runJob(store, jobId, { retryBaseMs: 1 }) };
}

/** No secret value may appear in any script text or ordinary parameter: only in the secrets channel. */
function expectSecretsOnlyOnTheSecretsChannel(log: RecordedCall[], secrets: string[]) {
  for (const c of log) {
    const visible = JSON.stringify(c.params) + c.text;
    for (const s of secrets) expect(visible).not.toContain(s.trim());
  }
}

describe('Provider on a VMM server (replayed transcript)', () => {
  it('stops the VMM service, runs the documented lines, registers with the vault credentials file, starts VMM again', async () => {
    const h = addHost('vmm01', ['role:vmm-server']);
    const t = fake('vmm01', loadTranscript('recipes/provider-vmm-success'));
    const plan = storePlan('provider', '5.24.0614.1', [h], 'AzureSiteRecoveryProvider.exe', {}, { vault: VAULT });
    const { result } = await apply(plan);
    expect(result.hosts[0]).toMatchObject({ host: 'vmm01', status: 'succeeded', version: '5.24.0614.1' });

    const seq = t.log.map((c) =>
      c.script === 'service-control.ps1' ? `vmm:${c.params.Action}` : c.script === 'run-step.ps1' ? `run:${c.params.Name}` : c.script,
    );
    const at = (s: string) => seq.indexOf(s);
    expect(at('vmm:stop')).toBeGreaterThan(-1);
    expect(at('vmm:stop')).toBeLessThan(at('run:extract'));
    expect(at('run:install')).toBeLessThan(at('run:configure'));
    expect(seq.lastIndexOf('vmm:start')).toBeGreaterThan(at('run:configure'));

    const runs = t.log.filter((c) => c.script === 'run-step.ps1');
    const dir = 'C:\\ProgramData\\asr-deploy\\JOB';
    expect(runs.map((r) => [r.params.Exe, ...(r.params.ArgList as string[])])).toEqual([
      [`${dir}\\AzureSiteRecoveryProvider.exe`, '/x:.', '/q'],
      ['setupdr.exe', '/i'],
      [
        'C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin\\DRConfigurator.exe',
        '/r',
        '/Friendlyname',
        'vmm01',
        '/Credentials',
        `${dir}\\vault.VaultCredentials`,
        '/startvmmservice',
      ],
    ]);
    expect(runs[2]!.params.Cwd).toBe('C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin');

    // The vault credentials reach the host only as an ACL'd file written from the secrets channel, removed after use.
    const writes = t.log.filter((c) => c.script === 'write-secret-file.ps1');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.params).toEqual({ Path: `${dir}\\vault.VaultCredentials` });
    expect(writes[0]!.secrets).toEqual({ Secret: VAULT });
    expectSecretsOnlyOnTheSecretsChannel(t.log, [VAULT, 'vault-secret-KEY-42']);
    const removals = t.log.filter((c) => c.script === 'remove-files.ps1');
    expect(removals[0]!.params.Paths).toEqual([`${dir}\\vault.VaultCredentials`]);
    expect(removals.at(-1)!.params).toMatchObject({ Job: expect.stringMatching(/^j/) });
  });

  it('a Hyper-V host of a Hyper-V site: no VMM service is touched; configurator in the Provider folder', async () => {
    const h = addHost('hv01');
    const t = fake('hv01', loadTranscript('recipes/provider-hyperv-success'));
    const plan = storePlan('provider', '5.24.0614.1', [h], 'AzureSiteRecoveryProvider.exe', { friendlyName: 'HV-Site-Host-1' }, { vault: VAULT });
    const { result } = await apply(plan);
    expect(result.hosts[0]).toMatchObject({ status: 'succeeded' });
    expect(t.log.some((c) => c.script === 'service-control.ps1')).toBe(false);
    const cfg = t.log.filter((c) => c.script === 'run-step.ps1').at(-1)!;
    expect([cfg.params.Exe, ...(cfg.params.ArgList as string[])]).toEqual([
      'C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe',
      '/r',
      '/Friendlyname',
      'HV-Site-Host-1',
      '/Credentials',
      'C:\\ProgramData\\asr-deploy\\JOB\\vault.VaultCredentials',
    ]);
  });

  it('runs the active node of a VMM cluster to the end before the other nodes start', async () => {
    const passive = addHost('vmmnode2', ['vmm-cluster:VMMHA']);
    const active = addHost('vmmnode1', [], { vmmCluster: { name: 'VMMHA', activeNode: true } });
    const shared: RecordedCall[] = [];
    fake('vmmnode2', loadTranscript('recipes/provider-vmm-success'), shared);
    fake('vmmnode1', loadTranscript('recipes/provider-vmm-success'), shared);
    expect(vmmClusterNode(active)).toEqual({ cluster: 'VMMHA', active: true });
    expect([passive, active].sort((a, b) => providerOrder(a) - providerOrder(b)).map((h) => h.name)).toEqual(['vmmnode1', 'vmmnode2']);
    const waves = providerWaves([passive, active].map((h) => ({ hostId: h.id, host: h })));
    expect(waves).toEqual([[active.id]]);
    const plan = storePlan('provider', '5.24.0614.1', [passive, active], 'AzureSiteRecoveryProvider.exe', { waves }, { vault: VAULT });
    const { result } = await apply(plan);
    expect(result.hosts.every((x) => x.status === 'succeeded')).toBe(true);
    const lastOfActive = shared.map((c) => c.host).lastIndexOf('vmmnode1');
    const firstOfPassive = shared.map((c) => c.host).indexOf('vmmnode2');
    expect(lastOfActive).toBeLessThan(firstOfPassive);
  });

  it('is blocked without the vault credentials at configure time, with a remedy', async () => {
    const h = addHost('hv02');
    fake('hv02', loadTranscript('recipes/provider-hyperv-success'));
    const plan = storePlan('provider', '5.24.0614.1', [h], 'AzureSiteRecoveryProvider.exe');
    const { result } = await apply(plan);
    expect(result.hosts[0]).toMatchObject({ status: 'failed', error: { code: 'validation', remedy: expect.stringContaining('--vault-credentials') } });
  });
});

describe('MARS agent (replayed transcripts)', () => {
  it('exit 3010 is success with a restart warning', async () => {
    const h = addHost('hvhost1');
    const t = fake('hvhost1', loadTranscript('recipes/mars-reboot'));
    const { result } = await apply(storePlan('mars-agent', '2.0.9919.0', [h], 'MARSAgentInstaller.exe'));
    expect(result.hosts[0]).toMatchObject({ status: 'succeeded_with_warnings', version: '2.0.9919.0', warning: expect.stringMatching(/3010.*restart/) });
    const run = t.log.find((c) => c.script === 'run-step.ps1')!;
    expect([run.params.Exe, ...(run.params.ArgList as string[])]).toEqual(['C:\\ProgramData\\asr-deploy\\JOB\\MARSAgentInstaller.exe', '/q', '/nu']);
  });

  it('a plan made with --proxy runs the proxy switches; the password, read from the credential store at apply time, reaches the host only as a secret file', async () => {
    store.credentials.add({ name: 'proxy-account', user: 'CONTOSO\\svc-proxy', password: 'Proxy-Apply-Pw-3' });
    setProxy(store, { name: 'corp', url: 'http://proxy.contoso.local:8080', credential: 'proxy-account' });
    const h = addHost('hvhost3');
    const t = fake('hvhost3', loadTranscript('recipes/mars-proxy'));
    const { jobId, result } = await apply(storePlan('mars-agent', '2.0.9919.0', [h], 'MARSAgentInstaller.exe', { proxy: 'corp' }));
    expect(result.hosts[0], JSON.stringify(result.hosts[0])).toMatchObject({ status: 'succeeded_with_warnings' });
    const run = t.log.find((c) => c.script === 'run-step.ps1')!;
    expect([run.params.Exe, ...(run.params.ArgList as string[])].slice(1)).toEqual([
      '/q',
      '/nu',
      '/ph',
      'proxy.contoso.local',
      '/po',
      '8080',
      '/pu',
      'CONTOSO\\svc-proxy',
      '/pw',
      '[redacted]',
    ]);
    expect(t.log.some((c) => c.script === 'write-secret-file.ps1' && c.secrets?.Secret === 'Proxy-Apply-Pw-3')).toBe(true);
    expectSecretsOnlyOnTheSecretsChannel(t.log, ['Proxy-Apply-Pw-3']);
    const logs = readFileSync(join(home, 'logs', jobId, 'hvhost3.log'), 'utf8');
    expect(logs).not.toContain('Proxy-Apply-Pw-3');
  });

  it('exit 1618 (another installation in progress) is retried from a fresh start, then succeeds', async () => {
    const h = addHost('hvhost2');
    const t = fake('hvhost2', loadTranscript('recipes/mars-busy-then-ok'));
    const { jobId, result } = await apply(storePlan('mars-agent', '2.0.9919.0', [h], 'MARSAgentInstaller.exe'));
    expect(result.hosts[0]).toMatchObject({ status: 'succeeded' });
    expect(store.journal.hosts(jobId)[0]!.attempts).toBe(2);
    const runs = t.log.filter((c) => c.script === 'run-step.ps1');
    expect(runs).toHaveLength(2);
    // The recorded 1618 result is dropped before the retry, so run-step.ps1 starts the installer again.
    const forget = t.log.find((c) => c.script === 'remove-files.ps1' && (c.params.Paths as string[]).some((p) => p.endsWith('install.exit.json')));
    expect(forget).toBeDefined();
    expect(t.log.indexOf(forget!)).toBeLessThan(t.log.indexOf(runs[1]!));
    expect(t.uploads).toHaveLength(1);
  });
});

describe('Mobility service on Windows (replayed transcript)', () => {
  it('a failed registration fetches the setup logs and removes the passphrase file', async () => {
    const h = addHost('web01');
    const t = fake('web01', loadTranscript('recipes/mobility-9x-configure-fails'));
    const plan = storePlan(
      'mobility-service',
      '9.62.7096.1',
      [h],
      'Microsoft-ASR_UA_9.62.7096.1_Windows_GA_10Jun2024_release.exe',
      { cs: '10.0.0.5' },
      { passphrase: PASSPHRASE },
    );
    const { jobId, result } = await apply(plan);
    expect(result.hosts[0]).toMatchObject({ status: 'failed', error: { code: 'install_failed' } });
    expect(t.log.some((c) => c.script === 'fetch-logs.ps1')).toBe(true);
    const hostLog = readFileSync(join(home, 'logs', jobId, 'web01.log'), 'utf8');
    expect(hostLog).toContain('Passphrase validation failed');
    expect(hostLog).not.toContain(PASSPHRASE);
    const dir = 'C:\\ProgramData\\asr-deploy\\JOB';
    const write = t.log.find((c) => c.script === 'write-secret-file.ps1')!;
    expect(write.secrets).toEqual({ Secret: PASSPHRASE });
    const cfg = t.log.filter((c) => c.script === 'run-step.ps1').at(-1)!;
    expect(t.log.find((c, i) => i > t.log.indexOf(cfg) && c.script === 'remove-files.ps1')?.params.Paths).toEqual([`${dir}\\connection.passphrase`]);
    expect(t.log.at(-1)).toMatchObject({ script: 'remove-files.ps1', params: { Job: jobId } });
    expectSecretsOnlyOnTheSecretsChannel(t.log, [PASSPHRASE]);
  });
});

describe('documented command lines (plan view, secrets redacted)', () => {
  const host = (name: string, tags: string[] = []): Host => ({
    id: 'h1',
    name,
    address: name,
    os: 'windows',
    transport: 'winrm',
    port: 5986,
    credential: 'c',
    tags,
    source: 'manual',
    uuid: null,
    evidence: null,
    facts: null,
  });
  const target = (component: string, version: string, file: string, extra: Partial<RecipeTarget> = {}): RecipeTarget => ({
    host: host('srv1'),
    action: 'install',
    version,
    installer: installer(component, file, version) as never,
    csAddress: null,
    csPort: null,
    passphrase: null,
    ...extra,
  });

  it('Provider on a VMM server with an authenticated proxy', () => {
    const r = recipeFor('provider', 'windows')!;
    const lines = r.commandLines(
      catalog,
      target('provider', '5.24.0614.1', 'AzureSiteRecoveryProvider.exe', {
        host: host('vmm1', ['role:vmm-server']),
        vaultCredentials: VAULT,
        proxy: { address: 'http://proxy.contoso.local', port: 3128, user: 'CONTOSO\\proxy', password: 'Proxy-Pw-7' },
      }),
    );
    expect(lines).toEqual([
      ['AzureSiteRecoveryProvider.exe', '/x:.', '/q'],
      ['setupdr.exe', '/i'],
      [
        'C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin\\DRConfigurator.exe',
        '/r',
        '/Friendlyname',
        'vmm1',
        '/Credentials',
        '%ProgramData%\\asr-deploy\\JOB\\vault.VaultCredentials',
        '/proxyAddress',
        'http://proxy.contoso.local',
        '/proxyport',
        '3128',
        '/proxyUsername',
        'CONTOSO\\proxy',
        '/proxyPassword',
        '[redacted]',
        '/startvmmservice',
      ],
    ]);
    expect(JSON.stringify(lines)).not.toContain('Proxy-Pw-7');
  });

  it('Provider on a Hyper-V host (hyper-v-azure-tutorial.md)', () => {
    const lines = recipeFor('provider', 'windows')!.commandLines(
      catalog,
      target('provider', '5.24.0614.1', 'AzureSiteRecoveryProvider.exe', { vaultCredentials: VAULT, friendlyName: 'FriendlyName of the Server' }),
    );
    expect(lines.at(-1)).toEqual([
      'C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe',
      '/r',
      '/Friendlyname',
      'FriendlyName of the Server',
      '/Credentials',
      '%ProgramData%\\asr-deploy\\JOB\\vault.VaultCredentials',
    ]);
  });

  it('MARS agent with proxy switches', () => {
    const lines = recipeFor('mars-agent', 'windows')!.commandLines(
      catalog,
      target('mars-agent', '2.0.9919.0', 'MARSAgentInstaller.exe', { proxy: { address: 'proxy1', port: 8080, user: 'u', password: 'Proxy-Pw-7' } }),
    );
    expect(lines).toEqual([['MARSAgentInstaller.exe', '/q', '/nu', '/ph', 'proxy1', '/po', '8080', '/pu', 'u', '/pw', '[redacted]']]);
  });

  it('Mobility service 9.x and the 8.x legacy line, as the catalog generation says', () => {
    const r = recipeFor('mobility-service', 'windows')!;
    const nine = r.commandLines(
      catalog,
      target('mobility-service', '9.62.7096.1', 'Microsoft-ASR_UA_9.62.7096.1_Windows_GA_10Jun2024_release.exe', {
        csAddress: '10.0.0.5',
        passphrase: PASSPHRASE,
      }),
    );
    expect(nine).toEqual([
      ['Microsoft-ASR_UA_9.62.7096.1_Windows_GA_10Jun2024_release.exe', '/q', '/x:%ProgramData%\\asr-deploy\\JOB\\x'],
      ['UnifiedAgent.exe', '/Role', 'MS', '/InstallLocation', 'C:\\Program Files (x86)\\Microsoft Azure Site Recovery', '/Platform', 'VmWare', '/Silent'],
      [
        'C:\\Program Files (x86)\\Microsoft Azure Site Recovery\\agent\\UnifiedAgentConfigurator.exe',
        '/CSEndPoint',
        '10.0.0.5',
        '/PassphraseFilePath',
        '%ProgramData%\\asr-deploy\\JOB\\connection.passphrase',
      ],
    ]);
    const eight = r.commandLines(
      catalog,
      target('mobility-service', '8.3.0.0', 'Microsoft-ASR_UA_8.3.0.0_Windows_GA_03Jul2015_release.exe', {
        csAddress: '104.40.75.37',
        csPort: 62519,
        passphrase: PASSPHRASE,
      }),
    );
    expect(eight).toEqual([
      [
        'Microsoft-ASR_UA_8.3.0.0_Windows_GA_03Jul2015_release.exe',
        '-ip',
        '104.40.75.37',
        '-port',
        '62519',
        '-mode',
        'UA',
        '/LOG=%ProgramData%\\asr-deploy\\JOB\\ua-install.log',
        '/DIR=C:\\Program Files (x86)\\Microsoft Azure Site Recovery',
        '/VERYSILENT',
        '/SUPPRESSMSGBOXES',
        '/norestart',
        '-usesysvolumes',
        '/CommunicationMode',
        'https',
        '/PassphrasePath',
        '%ProgramData%\\asr-deploy\\JOB\\connection.passphrase',
      ],
    ]);
    expect(JSON.stringify([nine, eight])).not.toContain(PASSPHRASE);
  });
});

describe('Authenticode on the target before a Windows package runs (issue 12 item 4)', () => {
  it('a Valid signature by Microsoft Corporation passes, and the stage step records it', async () => {
    const h = addHost('hvhost7');
    const t = fake('hvhost7', loadTranscript('recipes/mars-reboot'));
    const { jobId, result } = await apply(storePlan('mars-agent', '2.0.9919.0', [h], 'MARSAgentInstaller.exe'));
    expect(result.hosts[0]!.status).toBe('succeeded_with_warnings');
    const scripts = t.log.map((c) => c.script);
    // Checked after the upload, before anything runs.
    expect(scripts.indexOf('verify-signature.ps1')).toBeGreaterThan(-1);
    expect(scripts.indexOf('verify-signature.ps1')).toBeLessThan(scripts.indexOf('run-step.ps1'));
    expect(store.journal.step(jobId, h.id, 'stage')?.detail).toMatchObject({ signature: { status: 'Valid', subject: MICROSOFT_SUBJECT } });
  });

  it.each([
    ['not signed', { Status: 'NotSigned', StatusMessage: 'The file is not digitally signed.', SignerCertificate: null }, /Authenticode signature is NotSigned/],
    ['changed after signing', { Status: 'HashMismatch', SignerCertificate: { Subject: MICROSOFT_SUBJECT } }, /Authenticode signature is HashMismatch/],
    [
      'signed by someone else (valid chain)',
      { Status: 'Valid', SignerCertificate: { Subject: 'CN=Microsoft Corporation Fan Club, O=Contoso Ltd, C=US' } },
      /signed by CN=Microsoft Corporation Fan Club.*not Microsoft Corporation/,
    ],
    [
      'a self-made "Microsoft" certificate (untrusted root)',
      { Status: 'UnknownError', SignerCertificate: { Subject: MICROSOFT_SUBJECT } },
      /Authenticode signature is UnknownError/,
    ],
  ])('%s: signature_invalid, the package is removed and nothing runs', async (_what, sig, message) => {
    const h = addHost('hvhost8');
    const t = fake('hvhost8', loadTranscript('recipes/mars-reboot'));
    t.signatures.set('MARSAgentInstaller.exe', sig);
    const { result } = await apply(storePlan('mars-agent', '2.0.9919.0', [h], 'MARSAgentInstaller.exe'));
    expect(result.hosts[0]).toMatchObject({
      status: 'failed',
      error: { code: 'signature_invalid', message: expect.stringMatching(message), remedy: expect.stringMatching(/Microsoft/) },
    });
    expect(t.log.some((c) => c.script === 'run-step.ps1')).toBe(false);
    expect(
      t.log.some(
        (c) =>
          c.script === 'remove-files.ps1' && (c.params.Paths as string[] | undefined)?.includes('C:\\ProgramData\\asr-deploy\\JOB\\MARSAgentInstaller.exe'),
      ),
    ).toBe(true);
  });

  it('reads a subject by its parts: CN and O must both be Microsoft Corporation', () => {
    expect(isMicrosoftSigner(MICROSOFT_SUBJECT)).toBe(true);
    expect(isMicrosoftSigner('CN=Microsoft Corporation, O=Microsoft Corporation')).toBe(true);
    expect(isMicrosoftSigner('CN=Microsoft Corporation, O=Evil Inc')).toBe(false);
    expect(isMicrosoftSigner('CN="Microsoft Corporation, O=Microsoft Corporation", O=Evil')).toBe(false);
    expect(isMicrosoftSigner('O=Microsoft Corporation')).toBe(false);
    expect(isMicrosoftSigner(null)).toBe(false);
  });
});
