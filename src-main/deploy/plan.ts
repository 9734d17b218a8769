import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { z } from 'zod';
import pLimit from 'p-limit';
import { loadCatalog, type Catalog, type ComponentId, type Registration } from '../components/catalog.ts';
import { recipeFor } from '../components/recipes.ts';
import { chooseInstaller, scanSources, type InstallerFile } from '../components/sources.ts';
import { compareVersions } from '../components/version.ts';
import { fail, toAsrError, type AsrError } from '../model/errors.ts';
import type { Host } from '../model/host.ts';
import { nowIso } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import { providerOrder, providerWaves } from '../components/provider/roles.ts';
import { examineHost } from './examine.ts';
import { proxyAccount, requireProxy, type ProxyRecord } from '../proxy/proxies.ts';
import { registrationSettings, resolveRegistration } from './registration.ts';

export const PlanItemSchema = z.object({
  host: z.string(),
  hostId: z.string(),
  action: z.enum(['install', 'upgrade', 'skip', 'blocked']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string(),
  /** Failing check ids (blocked), the checks accepted by --accept, and any transport error. */
  failedChecks: z.array(z.string()).optional(),
  acceptedChecks: z.array(z.string()).optional(),
  error: z.custom<AsrError>().optional(),
  osId: z.string().nullable().optional(),
  installer: z.object({ file: z.string(), path: z.string(), sha256: z.string(), size: z.number(), osId: z.string().nullable(), version: z.string().nullable() }).optional(),
  commandLines: z.array(z.array(z.string())).optional(),
});
export type PlanItem = z.infer<typeof PlanItemSchema>;

export const AcceptanceSchema = z.object({ check: z.string(), by: z.string().nullable(), at: z.string(), hosts: z.array(z.string()) });
export type Acceptance = z.infer<typeof AcceptanceSchema>;

export const PlanDocumentSchema = z.object({
  planId: z.string(),
  createdAt: z.string(),
  component: z.string(),
  version: z.string(),
  source: z.string().nullable(),
  cs: z.string().nullable(),
  csPort: z.number().nullable(),
  /** Modernized replication appliance (CSPrime): hosts install, print a config request, wait for their config file. */
  appliance: z.string().nullable().optional(),
  passphraseRef: z.string().nullable(),
  /** Provider registration key (vault credentials file), stored encrypted like the passphrase. */
  vaultCredentialsRef: z.string().nullable().optional(),
  friendlyName: z.string().nullable().optional(),
  /** A proxy defined with `proxy set` (Provider, MARS agent): resolved, with its account, at apply time. */
  proxy: z.string().nullable().optional(),
  /** Host ids that must finish before the rest start (the active node of a VMM cluster). */
  waves: z.array(z.array(z.string())).optional(),
  accepted: z.array(z.string()),
  /** Each accepted failing check (`--accept`): who accepted it, when, and on which hosts it failed. */
  acceptances: z.array(AcceptanceSchema).optional(),
  items: z.array(PlanItemSchema),
  /** Hosts per action (what `apply` asks about); recomputed from the items when a plan is loaded. */
  counts: z.object({ install: z.number(), upgrade: z.number(), skip: z.number(), blocked: z.number() }).optional(),
});
export type PlanDocument = z.infer<typeof PlanDocumentSchema>;
export type PlanCounts = NonNullable<PlanDocument['counts']>;

export function planCounts(items: readonly { action: PlanItem['action'] }[]): PlanCounts {
  const c: PlanCounts = { install: 0, upgrade: 0, skip: 0, blocked: 0 };
  for (const i of items) c[i.action]++;
  return c;
}

/** "4 install, 1 upgrade, 0 skip, 1 blocked" */
export const formatPlanCounts = (c: PlanCounts): string => `${c.install} install, ${c.upgrade} upgrade, ${c.skip} skip, ${c.blocked} blocked`;

export interface PlanInput {
  component: ComponentId;
  version?: string;
  /** Installer folder; without one (sweep --check) hosts to upgrade are listed, not blocked. */
  source?: string;
  hosts?: string;
  cs?: string;
  /** Modernized replication appliance address (CSPrime registration with a per-machine config file). */
  appliance?: string;
  passphraseFile?: string;
  /** Vault credentials (registration key) file for the Provider's DRConfigurator /Credentials. */
  vaultCredentialsFile?: string;
  /** DRConfigurator /Friendlyname; only for a single host (default: each host's name). */
  friendlyName?: string;
  /** `proxy set` name for the Provider / MARS agent switches. */
  proxy?: string;
  accept?: string[];
  /** Who accepts the failing checks (the OS user, and the front end when it is not the CLI). */
  acceptedBy?: string;
  concurrency?: number;
  /** Only hosts behind the target version (update sweeps). */
  upgradesOnly?: boolean;
}

export interface PlanCallbacks {
  signal?: AbortSignal;
  onHost?: (item: PlanItem) => void;
}

/**
 * Check mode: decides install / upgrade / skip / blocked per host from live facts, checks and
 * detection, changing nothing on any host. The plan is stored; `apply` runs it.
 */
export async function createPlan(store: Store, input: PlanInput, cb: PlanCallbacks = {}): Promise<PlanDocument> {
  const catalog = loadCatalog();
  const comp = catalog.component(input.component);
  const registration = resolveRegistration({ cs: input.cs, appliance: input.appliance });
  if (registration.appliance && input.component !== 'mobility-service') fail('usage', `--appliance is where the Mobility service registers; ${comp.name} does not use it.`, { remedy: 'Leave --appliance out, or use it with --component mobility-service.', details: { reason: 'appliance_not_for_component' } });
  if (registration.appliance && input.passphraseFile) fail('usage', 'The replication appliance takes no passphrase: each machine registers with its own config file.', { remedy: 'Leave --passphrase-file out; after apply, use `asr-deploy jobs config-requests JOB --out DIR` and `jobs configure JOB --from DIR`.', details: { reason: 'passphrase_with_appliance' } });
  const version = input.version ?? catalog.latest(input.component).version;
  if (!catalog.find(input.component, version)) {
    fail('validation', `${comp.name} ${version} is not in the catalog.`, { remedy: `Known versions: ${catalog.versions(input.component).map((v) => v.version).join(', ')}.` });
  }
  if (registration.appliance && !catalog.supportsRegistration(input.component, version, 'appliance')) {
    fail('validation', `${comp.name} ${version} has no command lines for the modernized replication appliance in the catalog.`, {
      remedy: `Use a version the catalog marks for the appliance (${catalog.versions(input.component).filter((v) => v.applianceGeneration).map((v) => v.version).join(', ')}), or a classic configuration server (--cs).`,
      details: { reason: 'no_appliance_generation' },
    });
  }
  const sources = input.source ? await scanSources(catalog, input.source, store.db) : [];
  const hosts = store.hosts.select(input.hosts ?? 'all');
  if (!hosts.length) fail('validation', 'No hosts are selected.', { remedy: 'Add hosts with `asr-deploy hosts add`, or check --hosts.' });
  const accepted = [...new Set(input.accept ?? [])];
  let passphrase: string | null = null;
  if (input.passphraseFile) {
    try {
      passphrase = readFileSync(input.passphraseFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      fail('validation', `Cannot read the passphrase file ${input.passphraseFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!passphrase) fail('validation', `The passphrase file ${input.passphraseFile} is empty.`);
  }
  let vaultCredentials: string | null = null;
  if (input.vaultCredentialsFile) {
    try {
      vaultCredentials = readFileSync(input.vaultCredentialsFile, 'utf8');
    } catch (e) {
      fail('validation', `Cannot read the vault credentials file ${input.vaultCredentialsFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { remedy: 'Download the registration key from the Recovery Services vault (it is valid for five days) and give its path.' });
    }
    if (!vaultCredentials.trim()) fail('validation', `The vault credentials file ${input.vaultCredentialsFile} is empty.`, { remedy: 'Download the registration key again from the Recovery Services vault.' });
  }
  if (input.friendlyName !== undefined) {
    if (!/^[^\0\r\n"]{1,64}$/.test(input.friendlyName)) fail('validation', `The friendly name "${input.friendlyName}" is not 1-64 characters without quotes or line breaks.`, { remedy: 'Give a short name, as it should show in the vault.' });
    if (hosts.length !== 1) fail('validation', `--friendly-name names one server, but ${hosts.length} hosts are selected.`, { remedy: 'Select one host with --hosts, or leave --friendly-name out (each host registers under its own name).' });
  }
  let proxy: ProxyRecord | null = null;
  if (input.proxy) {
    if (input.component === 'mobility-service') fail('usage', 'The Mobility service takes no proxy: it talks to the configuration and process servers on your network.', { remedy: 'Leave --proxy out, or use it with --component provider or mars-agent.' });
    proxy = requireProxy(store, input.proxy);
    // The proxy's password is read at apply time; a plan whose account has none cannot finish.
    if (proxy.credential) {
      try {
        proxyAccount(store, proxy);
      } catch (e) {
        const err = toAsrError(e);
        if (err.code === 'vault_locked' || err.code === 'vault_key_wrong') throw e;
        fail('missing_secret', `The proxy ${proxy.name} authenticates as "${proxy.credential}", but that credential ${err.code === 'not_found' ? 'does not exist' : 'has no password'}: the proxy settings could not be configured.`, {
          remedy: `Store the proxy account's password: \`printf '%s' "$PW" | asr-deploy credentials add ${proxy.credential} --user USER --password-stdin\`, then plan again.`,
          details: { need: 'proxy_password', proxy: proxy.name, credential: proxy.credential },
        });
      }
    }
  }
  const planId = `p-${randomBytes(4).toString('hex')}`;
  const limit = pLimit(input.concurrency ?? 8);
  const items = await Promise.all(
    hosts.map((h) =>
      limit(async () => {
        const item = await planHost(store, catalog, h, { ...input, version, cs: registration.cs ?? undefined, appliance: registration.appliance ?? undefined }, sources, accepted, vaultCredentials !== null, proxy, cb.signal);
        cb.onHost?.(item);
        return item;
      }),
    ),
  );
  refuseIfIncomplete(items, { component: comp.name, cs: input.cs ?? null });
  const passphraseRef = passphrase ? `plan/${planId}/passphrase` : null;
  if (passphrase && passphraseRef) store.secrets.put(passphraseRef, passphrase);
  const vaultCredentialsRef = vaultCredentials ? `plan/${planId}/vault-credentials` : null;
  if (vaultCredentials && vaultCredentialsRef) store.secrets.put(vaultCredentialsRef, vaultCredentials);
  // VMM clusters: the active node goes first and finishes before the other nodes start.
  const byId = new Map(hosts.map((h) => [h.id, h]));
  if (input.component === 'provider') items.sort((a, b) => providerOrder(byId.get(a.hostId)!) - providerOrder(byId.get(b.hostId)!));
  const waves = input.component === 'provider' ? providerWaves(items.filter((i) => i.action === 'install' || i.action === 'upgrade').map((i) => ({ hostId: i.hostId, host: byId.get(i.hostId)! }))) : [];
  const at = nowIso();
  const acceptances = accepted.map((check) => ({ check, by: input.acceptedBy ?? whoAmI(), at, hosts: items.filter((i) => i.acceptedChecks?.includes(check)).map((i) => i.host) }));
  const doc: PlanDocument = {
    planId,
    createdAt: nowIso(),
    component: input.component,
    version,
    source: input.source ?? null,
    cs: registration.cs,
    csPort: null,
    ...(registration.appliance ? { appliance: registration.appliance } : {}),
    passphraseRef,
    ...(vaultCredentialsRef ? { vaultCredentialsRef } : {}),
    ...(input.friendlyName ? { friendlyName: input.friendlyName } : {}),
    ...(proxy ? { proxy: proxy.name } : {}),
    ...(waves.length ? { waves } : {}),
    accepted,
    ...(acceptances.length ? { acceptances } : {}),
    items,
    counts: planCounts(items),
  };
  store.db.prepare('INSERT INTO plans (id, created_at, component, version, document) VALUES (?, ?, ?, ?, ?)').run(planId, doc.createdAt, doc.component, version, JSON.stringify(doc));
  if (acceptances.length) store.journal.event(null, null, 'checks-accepted', { planId, acceptances });
  return doc;
}

/** The OS account running ASR Deploy (the one who accepts overrides here). */
export function whoAmI(): string | null {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? null;
  }
}

export function loadPlan(store: Store, planId: string): PlanDocument {
  const r = store.db.prepare('SELECT document FROM plans WHERE id = ?').get(planId) as { document: string } | undefined;
  if (!r) fail('not_found', `No plan ${planId}.`, { remedy: 'Create one with `asr-deploy plan`.' });
  const doc = PlanDocumentSchema.parse(JSON.parse(r.document));
  return { ...doc, counts: planCounts(doc.items) };
}

type SecretNeed = 'passphrase' | 'cs' | 'vault_credentials';

const missingSecret = (need: SecretNeed, host: string): AsrError => ({ code: 'missing_secret', message: `needs ${need}`, host, retryable: false, details: { need } });

/**
 * What the steps this host will run need, read from the catalog's command lines: a line with
 * `{passphraseFile}` needs the passphrase, one with `{csAddress}` the configuration server.
 * The configure line runs only with --cs (without it the agent is installed, not registered).
 * Config files of the replication appliance come later by design (`awaiting_config`), not here.
 */
function secretsNeeded(catalog: Catalog, component: ComponentId, version: string, os: 'linux' | 'windows', action: 'install' | 'upgrade', cs: string | null, registration: Registration = 'cs'): SecretNeed[] {
  if (component !== 'mobility-service') return [];
  // The appliance's lines need no passphrase: each machine's config file comes after the install.
  const cl = catalog.commandLines(component, version, os, registration);
  const lines = [action === 'upgrade' ? cl.upgrade : cl.install, ...(cs && cl.configure ? [cl.configure] : [])].flat();
  const needs: SecretNeed[] = [];
  if (lines.some((a) => a.includes('{csAddress}')) && !cs) needs.push('cs');
  if (lines.some((a) => a.includes('{passphraseFile}'))) needs.push('passphrase');
  return needs;
}

/**
 * A plan that cannot finish is refused before it is stored: hosts whose configure step needs a
 * secret the plan does not have would be installed and then stay unregistered (issue 15).
 */
function refuseIfIncomplete(items: readonly PlanItem[], ctx: { component: string; cs: string | null }): void {
  const by = new Map<SecretNeed, string[]>();
  for (const i of items) {
    if (i.error?.code !== 'missing_secret') continue;
    const need = i.error.details?.need as SecretNeed;
    by.set(need, [...(by.get(need) ?? []), i.host]);
  }
  if (!by.size) return;
  const list = (hosts: string[]) => (hosts.length > 5 ? `${hosts.slice(0, 5).join(', ')} and ${hosts.length - 5} more` : hosts.join(', '));
  const [need, hosts] = [...by][0]!;
  const what = {
    passphrase: [`registering with the configuration server ${ctx.cs ?? ''} needs its passphrase, and the plan has none`, 'Give the passphrase file: `--passphrase-file FILE` (on the configuration server: `genpassphrase.exe -v`). It is stored encrypted with the plan.'],
    cs: [`${ctx.component} of this version registers during install and needs the configuration server`, 'Give `--cs ADDRESS --passphrase-file FILE`.'],
    vault_credentials: ['the Provider registers with the Recovery Services vault, and the plan has no vault credentials', 'Download the registration key from the vault (valid five days) and give `--vault-credentials FILE`.'],
  }[need];
  fail('missing_secret', `The plan cannot finish: ${what[0]} (${list(hosts)}). Nothing was planned.`, { remedy: what[1], details: { need, hosts } });
}

async function planHost(store: Store, catalog: Catalog, host: Host, input: PlanInput & { version: string }, sources: InstallerFile[], accepted: string[], hasVaultCredentials: boolean, proxy: ProxyRecord | null, signal?: AbortSignal): Promise<PlanItem> {
  const base = { host: host.name, hostId: host.id, from: null as string | null, to: input.version };
  const blocked = (reason: string, extra: Partial<PlanItem> = {}): PlanItem => ({ ...base, action: 'blocked', reason, ...extra });
  if (!host.os || !host.transport) return blocked('The host’s OS family is unknown: add it with --os, or discover it.');
  const recipe = recipeFor(input.component, host.os);
  if (!recipe) return blocked(`${catalog.component(input.component).name} has no ${host.os} recipe in this build.`);
  const ex = await examineHost(store, host, { component: input.component, version: input.version, settings: registrationSettings(catalog, { cs: input.cs ?? null, ps: null, appliance: input.appliance ?? null }), detect: true, ...(signal ? { signal } : {}) });
  if (ex.error) return blocked(`${ex.error.code}: ${ex.error.message}${ex.error.remedy ? ` — ${ex.error.remedy}` : ''}`, { error: ex.error });
  const installed = ex.installed!;
  const from = installed.installed ? installed.version : null;
  const osId = host.os === 'windows' ? 'Windows' : ex.checks.installerOsId;
  const failing = ex.checks.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
  const unaccepted = failing.filter((id) => !accepted.includes(id));
  const acceptedHere = failing.filter((id) => accepted.includes(id));
  const acc = acceptedHere.length ? { acceptedChecks: acceptedHere } : {};
  const registers = !!(input.cs || input.appliance);
  if (from && compareVersions(from, input.version) >= 0 && (installed.configured || !registers)) {
    return { ...base, from, action: 'skip', reason: compareVersions(from, input.version) === 0 ? 'already current' : `a newer version (${from}) is installed`, osId, ...acc };
  }
  if (input.upgradesOnly && !from) return { ...base, action: 'skip', reason: 'not installed (an update sweep only upgrades)', osId };
  if (unaccepted.length) return blocked(`prerequisite checks failed: ${unaccepted.join(', ')}`, { from, failedChecks: unaccepted, osId, ...acc });
  if (!osId) return blocked('no installer OS id matches this host’s OS in the support matrix', { from });
  const installer = chooseInstaller(sources, { component: input.component, platform: host.os, osId, version: input.version });
  if (!installer && !input.source) {
    const action = from && compareVersions(from, input.version) < 0 ? 'upgrade' : 'install';
    return { ...base, from, action, reason: `${action} to ${input.version} (no installer folder given: check only)`, osId, ...acc };
  }
  if (!installer) return blocked(`no ${catalog.component(input.component).name} ${input.version} installer for ${osId} in ${input.source}`, { from, osId });
  if (installer.hashStatus === 'mismatch') return blocked(`hash_mismatch: ${installer.file} has SHA-256 ${installer.sha256}, the catalog says ${installer.expectedSha256}; it will not be staged`, { from, osId });
  const action = from && compareVersions(from, input.version) < 0 ? 'upgrade' : 'install';
  if (input.component === 'provider' && !hasVaultCredentials && !installed.configured) {
    return blocked('the Provider registers with the vault: plan with --vault-credentials FILE (the registration key, valid five days)', { from, osId, error: missingSecret('vault_credentials', host.name) });
  }
  const needs = secretsNeeded(catalog, input.component, input.version, host.os, action, input.cs ?? null, input.appliance ? 'appliance' : 'cs');
  if (needs.includes('cs')) return blocked(`${catalog.component(input.component).name} ${input.version} registers during ${action}: it needs --cs (the configuration server)`, { from, osId, error: missingSecret('cs', host.name) });
  if (needs.includes('passphrase') && !input.passphraseFile) return blocked(`registering with ${input.cs ?? 'the configuration server'} needs its passphrase: plan with --passphrase-file FILE`, { from, osId, error: missingSecret('passphrase', host.name) });
  const target = { host, action, version: input.version, installer, csAddress: input.cs ?? null, appliance: input.appliance ?? null, csPort: null, passphrase: null, friendlyName: input.friendlyName ?? null, vaultCredentials: hasVaultCredentials ? '[redacted]' : null, proxy: proxy ? { address: proxy.host, port: proxy.port, user: proxy.credential ? (store.credentials.info(proxy.credential)?.user ?? null) : null, password: proxy.credential ? '[redacted]' : null } : null } as const;
  const commandLines = recipe.commandLines(catalog, target);
  const reason =
    action === 'upgrade'
      ? `upgrade ${from} → ${input.version}${input.appliance && !installed.configured ? ` and register with the replication appliance ${input.appliance} (config file after the upgrade)` : ''}`
      : `install ${input.version}${input.appliance ? ` and register with the replication appliance ${input.appliance} (config file after the install)` : input.cs ? ` and register with ${input.cs} (classic)` : ' (no --appliance or --cs: installed, not registered)'}`;
  const { file, path, sha256, size, version } = installer;
  return { ...base, from, action, reason, osId, installer: { file, path, sha256, size, osId: installer.osId, version }, commandLines, ...acc };
}
