import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { loadCatalog, type Catalog, type ComponentId, type Registration } from '../components/catalog.ts';
import { recipeFor } from '../components/recipes.ts';
import { chooseInstaller, scanSources, untrustedReason, type InstallerFile } from '../components/sources.ts';
import { isRepositoryUrl, scanRepository, type RepositorySource } from '../components/repository-sources.ts';
import { defaultVersion, versionWarnings } from '../components/version-choice.ts';
import { compareVersions, isVersion, parseVersion } from '../components/version.ts';
import { describeHops, upgradePath } from '../components/upgrade-path.ts';
import { runChecks } from '../checks/index.ts';
import { fail, toAsrError, type AsrError } from '../model/errors.ts';
import { forEachHost, valuesOrThrow } from '../model/for-each-host.ts';
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
  installer: z
    .object({
      file: z.string(),
      path: z.string(),
      sha256: z.string(),
      size: z.number(),
      osId: z.string().nullable(),
      version: z.string().nullable(),
      /** Why these bytes may run: the catalog's hash (a document), or the admin's pin (who, when). */
      trust: z.object({ basis: z.enum(['catalog', 'pin']), by: z.string().nullable().optional(), at: z.string().optional() }).optional(),
      /** A repository's file (pull staging): the URL the target fetches; `path` is the same URL. */
      url: z.string().optional(),
    })
    .optional(),
  commandLines: z.array(z.array(z.string())).optional(),
  /** How the installer reaches this host: pull from the repository, or push (with why, when the source is a repository the host cannot reach). */
  staging: z.object({ mode: z.enum(['pull', 'push']), url: z.string().optional(), tool: z.string().optional(), reason: z.string() }).optional(),
  /** The version this host gets (cli.md), and how it was chosen: --version, the installer source, or the catalog (check only). */
  version: z.string().nullable().optional(),
  versionSource: z.enum(['explicit', 'source', 'catalog']).optional(),
  /** Things the admin should know that do not block: a version not in the catalog, a newer one the catalog knows. */
  warnings: z.array(z.string()).optional(),
  /** Mobility service upgrades across more than four versions: the documented hops (service-updates-how-to.md). */
  hops: z.array(z.object({ version: z.string().nullable(), upTo: z.string(), rebootBefore: z.boolean() })).optional(),
  /** The agent version the reboot rule counts from, and where that came from. */
  lastReboot: z.object({ version: z.string(), basis: z.enum(['installed', 'journal']) }).optional(),
});
export type PlanItem = z.infer<typeof PlanItemSchema>;

export const AcceptanceSchema = z.object({ check: z.string(), by: z.string().nullable(), at: z.string(), hosts: z.array(z.string()) });
export type Acceptance = z.infer<typeof AcceptanceSchema>;

export const PlanDocumentSchema = z.object({
  planId: z.string(),
  createdAt: z.string(),
  component: z.string(),
  /** --version, else the newest version any host gets (each item says its own). */
  version: z.string(),
  /** explicit: --version for every host; per-host: each host the newest version the source holds for its OS. */
  versionChoice: z.enum(['explicit', 'per-host']).optional(),
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
  /** A repository source (`--source https://…/`): its URL and the certificate pin the targets check. */
  repository: z.object({ url: z.string(), pin: z.object({ spkiSha256: z.string(), fingerprint: z.string(), pem: z.string() }).nullable() }).optional(),
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
  if (registration.appliance && input.component !== 'mobility-service')
    fail('usage', `--appliance is where the Mobility service registers; ${comp.name} does not use it.`, {
      remedy: 'Leave --appliance out, or use it with --component mobility-service.',
      details: { reason: 'appliance_not_for_component' },
    });
  if (registration.appliance && input.passphraseFile)
    fail('usage', 'The replication appliance takes no passphrase: each machine registers with its own config file.', {
      remedy: 'Leave --passphrase-file out; after apply, use `asr-deploy jobs config-requests JOB --out DIR` and `jobs configure JOB --from DIR`.',
      details: { reason: 'passphrase_with_appliance' },
    });
  if (input.version !== undefined) {
    const standing = isVersion(input.version) ? catalog.standing(input.component, input.version) : null;
    // A version the catalog does not list is accepted only from an installer source (its file names carry it).
    if (!standing || standing.standing === 'older-than-catalog' || (standing.standing !== 'listed' && !input.source)) {
      fail('validation', `${comp.name} ${input.version} is not in the catalog.`, {
        remedy: `Known versions: ${catalog
          .versions(input.component)
          .map((v) => v.version)
          .join(', ')}. A newer version is accepted when --source holds its installer; or load a newer catalog with \`asr-deploy catalog update\`.`,
      });
    }
  }
  if (registration.appliance && input.version && !catalog.supportsRegistration(input.component, input.version, 'appliance')) {
    fail('validation', `${comp.name} ${input.version} has no command lines for the modernized replication appliance in the catalog.`, {
      remedy: `Use a version the catalog marks for the appliance (${catalog
        .versions(input.component)
        .filter((v) => v.applianceGeneration)
        .map((v) => v.version)
        .join(', ')}), or a classic configuration server (--cs).`,
      details: { reason: 'no_appliance_generation' },
    });
  }
  // A repository (https/http URL): read from the workstation (a few KB); the targets fetch the installers themselves.
  const repo: RepositorySource | null =
    input.source && isRepositoryUrl(input.source)
      ? await scanRepository(catalog, input.source, { trust: store.trust, pins: store.installerPins }, cb.signal)
      : null;
  const sources = repo ? repo.files : input.source ? await scanSources(catalog, input.source, store.installerHashes, store.installerPins) : [];
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
      fail('validation', `Cannot read the vault credentials file ${input.vaultCredentialsFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        remedy: 'Download the registration key from the Recovery Services vault (it is valid for five days) and give its path.',
      });
    }
    if (!vaultCredentials.trim())
      fail('validation', `The vault credentials file ${input.vaultCredentialsFile} is empty.`, {
        remedy: 'Download the registration key again from the Recovery Services vault.',
      });
  }
  if (input.friendlyName !== undefined) {
    if (!/^[^\0\r\n"]{1,64}$/.test(input.friendlyName))
      fail('validation', `The friendly name "${input.friendlyName}" is not 1-64 characters without quotes or line breaks.`, {
        remedy: 'Give a short name, as it should show in the vault.',
      });
    if (hosts.length !== 1)
      fail('validation', `--friendly-name names one server, but ${hosts.length} hosts are selected.`, {
        remedy: 'Select one host with --hosts, or leave --friendly-name out (each host registers under its own name).',
      });
  }
  let proxy: ProxyRecord | null = null;
  if (input.proxy) {
    if (input.component === 'mobility-service')
      fail('usage', 'The Mobility service takes no proxy: it talks to the configuration and process servers on your network.', {
        remedy: 'Leave --proxy out, or use it with --component provider or mars-agent.',
      });
    proxy = requireProxy(store, input.proxy);
    // The proxy's password is read at apply time; a plan whose account has none cannot finish.
    if (proxy.credential) {
      try {
        proxyAccount(store, proxy);
      } catch (e) {
        const err = toAsrError(e);
        if (err.code === 'vault_locked' || err.code === 'vault_key_wrong') throw e;
        fail(
          'missing_secret',
          `The proxy ${proxy.name} authenticates as "${proxy.credential}", but that credential ${err.code === 'not_found' ? 'does not exist' : 'has no password'}: the proxy settings could not be configured.`,
          {
            remedy: `Store the proxy account's password: \`printf '%s' "$PW" | asr-deploy credentials add ${proxy.credential} --user USER --password-stdin\`, then plan again.`,
            details: { need: 'proxy_password', proxy: proxy.name, credential: proxy.credential },
          },
        );
      }
    }
  }
  const planId = `p-${randomBytes(4).toString('hex')}`;
  // planHost answers a host it cannot examine as blocked; a throw fails the plan as before.
  const items = valuesOrThrow(
    await forEachHost(
      hosts,
      async (h) => {
        const item = await planHost(
          store,
          catalog,
          h,
          { ...input, cs: registration.cs ?? undefined, appliance: registration.appliance ?? undefined },
          sources,
          accepted,
          vaultCredentials !== null,
          proxy,
          cb.signal,
          repo,
        );
        cb.onHost?.(item);
        return item;
      },
      { concurrency: input.concurrency ?? 8, hostOf: (h) => h.name },
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
  const waves =
    input.component === 'provider'
      ? providerWaves(items.filter((i) => i.action === 'install' || i.action === 'upgrade').map((i) => ({ hostId: i.hostId, host: byId.get(i.hostId)! })))
      : [];
  const at = nowIso();
  const acceptances = accepted.map((check) => ({
    check,
    by: input.acceptedBy ?? whoAmI(),
    at,
    hosts: items.filter((i) => i.acceptedChecks?.includes(check)).map((i) => i.host),
  }));
  const chosen = items
    .map((i) => i.version)
    .filter((v): v is string => !!v)
    .sort((a, b) => compareVersions(b, a));
  const version = input.version ?? chosen[0] ?? catalog.latest(input.component).version;
  const doc: PlanDocument = {
    planId,
    createdAt: nowIso(),
    component: input.component,
    version,
    versionChoice: input.version ? 'explicit' : 'per-host',
    source: input.source ?? null,
    ...(repo ? { repository: { url: repo.ref.url, pin: repo.ref.pin } } : {}),
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
  store.plans.add({ id: planId, createdAt: doc.createdAt, component: doc.component, version }, doc);
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
  const stored = store.plans.get(planId);
  if (stored === undefined) fail('not_found', `No plan ${planId}.`, { remedy: 'Create one with `asr-deploy plan`.' });
  const doc = PlanDocumentSchema.parse(stored);
  return { ...doc, counts: planCounts(doc.items) };
}

type SecretNeed = 'passphrase' | 'cs' | 'vault_credentials';

const missingSecret = (need: SecretNeed, host: string): AsrError => ({
  code: 'missing_secret',
  message: `needs ${need}`,
  host,
  retryable: false,
  details: { need },
});

/**
 * What the steps this host will run need, read from the catalog's command lines: a line with
 * `{passphraseFile}` needs the passphrase, one with `{csAddress}` the configuration server.
 * The configure line runs only with --cs (without it the agent is installed, not registered).
 * Config files of the replication appliance come later by design (`awaiting_config`), not here.
 */
function secretsNeeded(
  catalog: Catalog,
  component: ComponentId,
  version: string,
  os: 'linux' | 'windows',
  action: 'install' | 'upgrade',
  cs: string | null,
  registration: Registration = 'cs',
): SecretNeed[] {
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
    passphrase: [
      `registering with the configuration server ${ctx.cs ?? ''} needs its passphrase, and the plan has none`,
      'Give the passphrase file: `--passphrase-file FILE` (on the configuration server: `genpassphrase.exe -v`). It is stored encrypted with the plan.',
    ],
    cs: [`${ctx.component} of this version registers during install and needs the configuration server`, 'Give `--cs ADDRESS --passphrase-file FILE`.'],
    vault_credentials: [
      'the Provider registers with the Recovery Services vault, and the plan has no vault credentials',
      'Download the registration key from the vault (valid five days) and give `--vault-credentials FILE`.',
    ],
  }[need];
  fail('missing_secret', `The plan cannot finish: ${what[0]} (${list(hosts)}). Nothing was planned.`, { remedy: what[1], details: { need, hosts } });
}

async function planHost(
  store: Store,
  catalog: Catalog,
  host: Host,
  input: PlanInput,
  sources: InstallerFile[],
  accepted: string[],
  hasVaultCredentials: boolean,
  proxy: ProxyRecord | null,
  signal?: AbortSignal,
  repo: RepositorySource | null = null,
): Promise<PlanItem> {
  const comp = catalog.component(input.component);
  const base = { host: host.name, hostId: host.id, from: null as string | null, to: input.version ?? null };
  const blocked = (reason: string, extra: Partial<PlanItem> = {}): PlanItem => ({ ...base, action: 'blocked', reason, ...extra });
  if (!host.os || !host.transport) return blocked('The host’s OS family is unknown: add it with --os, or discover it.');
  const os = host.os;
  const recipe = recipeFor(input.component, os);
  if (!recipe) return blocked(`${comp.name} has no ${os} recipe in this build.`);
  const mine = (f: InstallerFile, osId: string | null) =>
    f.component === input.component && f.platform === os && !!f.version && (os === 'windows' || f.osId === osId);
  // The checks are judged against a version; until the host's OS id is known, the newest the source holds for its platform.
  const newestOfPlatform = sources
    .filter((f) => f.component === input.component && f.platform === os && f.version)
    .sort((a, b) => compareVersions(b.version!, a.version!))[0];
  const provisional = input.version ?? newestOfPlatform?.version ?? catalog.latest(input.component).version;
  const settings = registrationSettings(catalog, { cs: input.cs ?? null, ps: null, appliance: input.appliance ?? null });
  const ex = await examineHost(store, host, {
    component: input.component,
    version: provisional,
    settings,
    detect: true,
    ...(signal ? { signal } : {}),
    ...(repo ? { repository: { url: repo.ref.url, pin: repo.ref.pin } } : {}),
  });
  if (ex.error) return blocked(`${ex.error.code}: ${ex.error.message}${ex.error.remedy ? ` — ${ex.error.remedy}` : ''}`, { error: ex.error });
  const installed = ex.installed!;
  const from = installed.installed ? installed.version : null;
  const osIdOf = (r: { installerOsId: string | null }) => (os === 'windows' ? 'Windows' : r.installerOsId);
  let checks = ex.checks;
  let osId = osIdOf(checks);

  // Which version this host gets: --version; else the newest the installer source holds for its OS; else (check only) the catalog's newest for its OS.
  const warnings: string[] = [...(repo?.warnings ?? [])];
  const choice = defaultVersion(catalog, sources, { component: input.component, platform: os, osId, explicit: input.version, sourceDir: input.source });
  if (input.upgradesOnly && !from) return { ...base, action: 'skip', reason: 'not installed (an update sweep only upgrades)', osId };
  if ('blocked' in choice) {
    const failed = checks.checks.filter((c) => c.verdict === 'fail' && !accepted.includes(c.id)).map((c) => c.id);
    if (failed.length) return blocked(`prerequisite checks failed: ${failed.join(', ')}`, { from, failedChecks: failed, ...(osId ? { osId } : {}) });
    return blocked(choice.blocked, { from, ...(osId ? { osId } : {}) });
  }
  let version = choice.version;
  const versionSource = choice.versionSource;
  const chosenBy =
    versionSource === 'source'
      ? ` (the newest ${comp.name} installer for ${osId} in ${input.source})`
      : versionSource === 'catalog'
        ? ` (the catalog's newest for ${osId ?? os})`
        : '';
  let at = { ...base, to: version, version, versionSource };
  const blockedAt = (reason: string, extra: Partial<PlanItem> = {}): PlanItem => ({
    ...at,
    action: 'blocked',
    reason,
    ...(warnings.length ? { warnings } : {}),
    ...extra,
  });

  const failingOf = () => checks.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
  const acceptedOf = () => failingOf().filter((id) => accepted.includes(id));
  const accOf = () => (acceptedOf().length ? { acceptedChecks: acceptedOf() } : {});
  const registers = !!(input.cs || input.appliance);
  if (from && compareVersions(from, version) >= 0 && (installed.configured || !registers)) {
    return {
      ...at,
      from,
      action: 'skip',
      reason: compareVersions(from, version) === 0 ? `already current${chosenBy}` : `a newer version (${from}) is installed than ${version}${chosenBy}`,
      osId,
      ...accOf(),
    };
  }
  if (input.upgradesOnly && !from) return { ...at, action: 'skip', reason: 'not installed (an update sweep only upgrades)', osId };

  // N-4: an upgrade across more than four versions is unsupported; it goes in documented hops, with the reboot rule.
  let hops: PlanItem['hops'];
  let lastReboot: PlanItem['lastReboot'];
  if (from && input.component === 'mobility-service' && compareVersions(version, from) > 0) {
    lastReboot = lastRebootVersion(store, host.id, input.component, ex.facts?.bootedAt ?? null, from);
    const inSource = sources.filter((f) => mine(f, osId)).map((f) => f.version!);
    const catalogued = catalog
      .versions(input.component)
      .filter((v) => !osId || v.osIds.includes(osId))
      .map((v) => v.version);
    const viaSource = upgradePath(inSource, from, version, lastReboot.version);
    const path = viaSource.hops[0]?.version ? viaSource : upgradePath([...inSource, ...catalogued], from, version, lastReboot.version);
    const route = describeHops(from, path);
    if (!path.direct) {
      hops = path.hops;
      const target = version;
      const first = path.hops[0]!;
      const unsupported = `a direct upgrade ${from} → ${target} crosses more than 4 versions, which Microsoft does not support (service-updates-how-to.md): upgrade in hops ${route}`;
      if (versionSource === 'source' && viaSource.hops[0]?.version) {
        version = viaSource.hops[0].version;
        warnings.push(`${unsupported}; this plan takes the first hop, ${version}`);
      } else if (input.source) {
        return blockedAt(
          `${unsupported}${first.version ? `; put the ${first.version} installer for ${osId} in ${input.source}` : `; put a ${first.upTo} (or earlier, newer than ${from}) installer for ${osId} in ${input.source}`}${versionSource === 'explicit' ? ' and plan without --version (each host then takes its next hop)' : ''}`,
          { from, osId, hops, lastReboot },
        );
      } else {
        warnings.push(unsupported);
      }
    }
    if (path.hops[0]?.rebootBefore) {
      return blockedAt(
        `a reboot is due before this upgrade: the agent at the host's last reboot was ${lastReboot.version}, and ${path.hops[0].version ?? path.hops[0].upTo} is more than 4 versions later (service-updates-how-to.md, "Reboot after Mobility service upgrade"); reboot the host, then plan again`,
        { from, osId, ...(hops ? { hops } : {}), lastReboot },
      );
    }
    if (hops && versionSource === 'source' && path.hops[1]?.rebootBefore)
      warnings.push(`reboot the host after this upgrade, before the next hop (more than 4 versions since the agent at its last reboot, ${lastReboot.version})`);
  }
  at = { ...at, to: version, version };

  // A version the catalog does not list is accepted with a warning; the catalog saying there is a newer one is worth knowing.
  if (input.appliance && !catalog.supportsRegistration(input.component, version, 'appliance')) {
    return blockedAt(
      `${comp.name} ${version} has no command lines for the modernized replication appliance in the catalog (the catalog marks ${catalog
        .versions(input.component)
        .filter((v) => v.applianceGeneration)
        .map((v) => v.version)
        .at(-1)} and later)`,
      { from, osId },
    );
  }
  const notes = versionWarnings(catalog, { component: input.component, version, versionSource, osId, sourceDir: input.source });
  if (notes.blocked) return blockedAt(notes.blocked, { from, osId });
  warnings.push(...notes.warnings);
  // Judged again when the version differs from the one the examination assumed (the matrix and the kernel lists are per version).
  if (compareVersions(version, provisional) !== 0 && ex.facts) {
    checks = runChecks({ componentId: input.component, version, settings, facts: ex.facts, ...(ex.probes ? { probes: ex.probes } : {}) });
    osId = osIdOf(checks);
  }
  const w = () => (warnings.length ? { warnings } : {});
  const extra = { ...(hops ? { hops } : {}), ...(lastReboot ? { lastReboot } : {}) };
  const failing = failingOf();
  const unaccepted = failing.filter((id) => !accepted.includes(id));
  const acc = accOf();
  if (unaccepted.length) return blockedAt(`prerequisite checks failed: ${unaccepted.join(', ')}`, { from, failedChecks: unaccepted, osId, ...acc, ...extra });
  if (!osId) return blockedAt('no installer OS id matches this host’s OS in the support matrix', { from });
  const installer = chooseInstaller(sources, { component: input.component, platform: os, osId, version });
  const action = from && compareVersions(from, version) < 0 ? 'upgrade' : 'install';
  if (!installer && !input.source) {
    return { ...at, from, action, reason: `${action} to ${version}${chosenBy} (no installer folder given: check only)`, osId, ...acc, ...w(), ...extra };
  }
  if (!installer) return blockedAt(`no ${comp.name} ${version} installer for ${osId} in ${input.source}`, { from, osId, ...extra });
  // Nothing runs as root/SYSTEM unless its bytes are the catalog's (a document's hash) or the admin's pin.
  const untrusted = untrustedReason(catalog, installer);
  if (untrusted) {
    // A repository's file is pinned from a local copy: a pin is by content and name, so the repository's copy is then trusted.
    const remedy =
      installer.url && untrusted.code === 'installer_untrusted'
        ? `Get ${installer.file} once (from Microsoft, or this repository), check it against Microsoft's download, then pin it: \`asr-deploy sources trust FILE\`, and plan again.`
        : untrusted.remedy;
    return blockedAt(untrusted.message, {
      from,
      osId,
      error: {
        code: untrusted.code,
        message: untrusted.message,
        remedy,
        retryable: false,
        host: host.name,
        details: { file: installer.file, sha256: installer.sha256, ...(installer.url ? { url: installer.url } : {}) },
      },
    });
  }
  if (input.component === 'provider' && !hasVaultCredentials && !installed.configured) {
    return blockedAt('the Provider registers with the vault: plan with --vault-credentials FILE (the registration key, valid five days)', {
      from,
      osId,
      error: missingSecret('vault_credentials', host.name),
    });
  }
  const needs = secretsNeeded(catalog, input.component, version, os, action, input.cs ?? null, input.appliance ? 'appliance' : 'cs');
  if (needs.includes('cs'))
    return blockedAt(`${comp.name} ${version} registers during ${action}: it needs --cs (the configuration server)`, {
      from,
      osId,
      error: missingSecret('cs', host.name),
    });
  if (needs.includes('passphrase') && !input.passphraseFile)
    return blockedAt(`registering with ${input.cs ?? 'the configuration server'} needs its passphrase: plan with --passphrase-file FILE`, {
      from,
      osId,
      error: missingSecret('passphrase', host.name),
    });
  const target = {
    host,
    action,
    version,
    installer,
    csAddress: input.cs ?? null,
    appliance: input.appliance ?? null,
    csPort: null,
    passphrase: null,
    friendlyName: input.friendlyName ?? null,
    vaultCredentials: hasVaultCredentials ? '[redacted]' : null,
    proxy: proxy
      ? {
          address: proxy.host,
          port: proxy.port,
          user: proxy.credential ? (store.credentials.info(proxy.credential)?.user ?? null) : null,
          password: proxy.credential ? '[redacted]' : null,
        }
      : null,
  } as const;
  const commandLines = recipe.commandLines(catalog, target);
  const reason =
    (action === 'upgrade'
      ? `upgrade ${from} → ${version}${input.appliance && !installed.configured ? ` and register with the replication appliance ${input.appliance} (config file after the upgrade)` : ''}`
      : `install ${version}${input.appliance ? ` and register with the replication appliance ${input.appliance} (config file after the install)` : input.cs ? ` and register with ${input.cs} (classic)` : ' (no --appliance or --cs: installed, not registered)'}`) +
    chosenBy;
  const { file, path, sha256, size } = installer;
  const staging = installer.url ? stagingFor(host.name, installer.url, repo!, ex.repository) : undefined;
  return {
    ...at,
    from,
    action,
    reason,
    osId,
    ...(staging ? { staging } : {}),
    installer: {
      file,
      path,
      sha256,
      size,
      osId: installer.osId,
      version: installer.version,
      ...(installer.url ? { url: installer.url } : {}),
      trust:
        installer.hashStatus === 'pinned'
          ? { basis: 'pin', by: installer.pinnedBy ?? null, ...(installer.pinnedAt ? { at: installer.pinnedAt } : {}) }
          : { basis: 'catalog' },
    },
    commandLines,
    ...acc,
    ...w(),
    ...extra,
  };
}

/** Pull when the plan-time probe from the host reached the repository; else push, saying why (the workstation fetches the file once). */
function stagingFor(
  host: string,
  url: string,
  repo: RepositorySource,
  probe: { ok: boolean; tool?: string; error?: string; message?: string } | undefined,
): NonNullable<PlanItem['staging']> {
  if (probe?.ok)
    return {
      mode: 'pull',
      url,
      ...(probe.tool ? { tool: probe.tool } : {}),
      reason: `pull: ${host} fetches ${url} itself (${probe.tool ?? 'fetch tool'}${repo.ref.pin ? ', pinned certificate' : ''}) and checks its SHA-256 before anything runs`,
    };
  const why = probe ? `${probe.error ?? 'failed'}${probe.message ? `: ${probe.message}` : ''}` : 'the host was not probed';
  return {
    mode: 'push',
    url,
    reason: `push: ${host} cannot pull from ${repo.ref.url} (${why}); the workstation fetches the installer once, checks its SHA-256 and pushes it`,
  };
}

/**
 * The agent version running at the host's last reboot, for the reboot rule: the version before the
 * first install/upgrade this data directory's journal recorded on the host since it booted (facts
 * `bootedAt`); without such a record, the installed version (it has been running since the boot).
 */
export function lastRebootVersion(
  store: Store,
  hostId: string,
  component: ComponentId,
  bootedAt: number | null,
  installed: string,
): { version: string; basis: 'installed' | 'journal' } {
  if (bootedAt === null || !Number.isFinite(bootedAt)) return { version: installed, basis: 'installed' };
  const since = new Date(bootedAt * 1000).toISOString();
  const first = store.journal.firstChangeSince(hostId, component, since);
  if (!first) return { version: installed, basis: 'installed' };
  const plan = first.plan as PlanDocument;
  const item = plan.items.find((i) => i.hostId === hostId);
  const before = first.action === 'upgrade' ? item?.from : (item?.to ?? plan.version);
  return before && parseVersion(before) ? { version: before, basis: 'journal' } : { version: installed, basis: 'installed' };
}
