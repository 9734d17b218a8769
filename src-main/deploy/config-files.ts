import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail } from '../model/errors.ts';
import { transaction } from '../store/db.ts';
import type { JobHost } from '../store/journal.ts';
import type { Store } from '../store/store.ts';
import { loadPlan } from './plan.ts';
import { configFileRef } from './runner.ts';

/**
 * The modernized appliance's config-file round trip, for a whole job at once:
 * - `jobs config-requests JOB --out DIR`: each awaiting host's "Agent Config Input" string (as the
 *   installer printed it) in DIR/<host>.txt, and DIR/requests.csv (host,address,file);
 * - `jobs configure JOB --from DIR`: DIR/<host>.json (the file the appliance made from that
 *   request) matched to its host by name, cross-checked against every machine identity the job
 *   knows, stored encrypted, then configured by the runner (0600 on the target, removed after).
 * The file's format is not documented: nothing here reads a named field of it.
 */

/** A host's file base name: its inventory name, minus what no file system takes. */
export function fileBaseFor(hostName: string): string {
  // eslint-disable-next-line no-control-regex
  const base = hostName.replace(/[/\\:*?"<>|\u0000-\u001f\u007f]/g, '_').replace(/^\.+/, '_');
  return base || '_';
}

export interface ConfigRequest {
  host: string;
  hostId: string;
  address: string;
  file: string;
  /** Exactly the string the installer printed after `Agent Config Input:`. */
  request: string;
}

function awaitingRequests(store: Store, jobId: string): { job: JobHost[]; requests: ConfigRequest[] } {
  const job = store.journal.job(jobId);
  if (!job) fail('not_found', `No job ${jobId}.`, { remedy: 'See `asr-deploy jobs list`.' });
  const plan = job.planId ? loadPlan(store, job.planId) : null;
  if (!plan?.appliance) {
    fail('validation', `Job ${jobId} does not register with a replication appliance, so it has no config requests.`, {
      remedy: 'Config files belong to plans made with --appliance ADDRESS.',
      details: { reason: 'not_an_appliance_job' },
    });
  }
  const hosts = store.journal.hosts(jobId);
  const requests: ConfigRequest[] = [];
  for (const h of hosts) {
    if (h.status !== 'awaiting_config') continue;
    const d = store.journal.step(jobId, h.hostId, 'config-request')?.detail;
    const request = typeof d?.configRequest === 'string' ? d.configRequest : null;
    if (!request) continue;
    requests.push({ host: h.host, hostId: h.hostId, address: store.hosts.get(h.hostId)?.address ?? '', file: `${fileBaseFor(h.host)}.txt`, request });
  }
  return { job: hosts, requests };
}

/** The requests of a job's awaiting hosts (the wizard offers them as downloads). */
export function configRequests(store: Store, jobId: string): ConfigRequest[] {
  const { requests } = awaitingRequests(store, jobId);
  const seen = new Map<string, string>();
  for (const r of requests) {
    const key = r.file.toLowerCase();
    const other = seen.get(key);
    if (other)
      fail('conflict', `Hosts ${other} and ${r.host} would both be written as ${r.file}.`, {
        remedy: 'Rename one of them in the inventory (asr-deploy hosts add … --name) and run a new plan.',
        details: { reason: 'request_file_collision' },
      });
    seen.set(key, r.host);
  }
  return requests;
}

const csvCell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Writes DIR/<host>.txt and DIR/requests.csv (each file whole: written beside, then renamed). */
export function writeConfigRequests(store: Store, jobId: string, outDir: string): { jobId: string; dir: string; requests: Omit<ConfigRequest, 'hostId'>[] } {
  const requests = configRequests(store, jobId);
  if (existsSync(outDir) && !lstatSync(outDir).isDirectory())
    fail('usage', `${outDir} exists and is not a folder.`, { remedy: 'Give a folder for --out (it is created when missing).' });
  mkdirSync(outDir, { recursive: true });
  const put = (name: string, text: string) => {
    const tmp = join(outDir, `.${name}.tmp-${process.pid}`);
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, join(outDir, name));
  };
  for (const r of requests) put(r.file, r.request);
  put('requests.csv', ['host,address,file', ...requests.map((r) => [r.host, r.address, r.file].map(csvCell).join(','))].join('\n') + '\n');
  store.journal.event(jobId, null, 'config-requests', { dir: outDir, hosts: requests.map((r) => r.host) });
  return { jobId, dir: outDir, requests: requests.map(({ hostId: _h, ...r }) => r) };
}

export interface ConfigFileInput {
  /** The file's name as saved at the appliance: <request base name>.json. */
  name: string;
  content: string;
}

/** Identity strings a job knows for one host: names, addresses, its request and what decodes from it. */
function identityTokens(host: {
  host: string;
  address: string;
  hostName?: string | null;
  fqdn?: string | null;
  addresses?: string[];
  request?: string | null;
}): Set<string> {
  const out = new Set<string>();
  const add = (v: string | null | undefined) => {
    if (typeof v === 'string' && v.trim().length >= 3) out.add(v.trim().toLowerCase());
  };
  add(host.host);
  add(host.address);
  add(host.hostName);
  add(host.fqdn);
  for (const a of host.addresses ?? []) add(a);
  if (host.request) for (const t of stringsIn(host.request)) add(t);
  return out;
}

/** Every string a document holds: JSON string values (nested), and what base64 strings decode to, two levels deep. */
export function stringsIn(text: string, depth = 0): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      out.push(v);
      if (depth < 2 && v.length >= 8 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
        const decoded = Buffer.from(v, 'base64').toString('utf8');
        // Only decoded text that is printable is looked into.
        // eslint-disable-next-line no-control-regex
        if (decoded && !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(decoded)) out.push(...stringsIn(decoded, depth + 1));
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  let doc: unknown = text;
  try {
    doc = JSON.parse(text);
  } catch {
    /* not JSON: the text itself */
  }
  visit(doc);
  return out;
}

export interface MatchHost {
  hostId: string;
  host: string;
  address: string;
  status: string;
  hostName?: string | null;
  fqdn?: string | null;
  addresses?: string[];
  request?: string | null;
}

export interface MatchedFile {
  name: string;
  hostId: string;
  host: string;
  content: string;
  /** `identity`: the file names this machine; `name-only`: no identity the job knows could be read in it. */
  matchedBy: 'identity' | 'name-only';
}

const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Pairs config files with hosts by name (never by order), then cross-checks identities: a file
 * that names another machine of the job, matches no host or two hosts is a named error, and the
 * whole set is refused (nothing is changed). Pure.
 */
export function matchConfigFiles(hosts: MatchHost[], files: ConfigFileInput[]): { matched: MatchedFile[]; ignored: { name: string; why: string }[] } {
  const tokens = new Map(hosts.map((h) => [h.hostId, identityTokens(h)]));
  // Tokens two hosts share (a version, the appliance's address) identify neither.
  const count = new Map<string, number>();
  for (const t of tokens.values()) for (const x of t) count.set(x, (count.get(x) ?? 0) + 1);
  const distinct = new Map([...tokens].map(([id, t]) => [id, new Set([...t].filter((x) => count.get(x) === 1))]));

  const matched: MatchedFile[] = [];
  const ignored: { name: string; why: string }[] = [];
  const taken = new Map<string, string>();
  for (const f of files) {
    if (!f.name.toLowerCase().endsWith('.json')) {
      ignored.push({ name: f.name, why: 'not a .json file' });
      continue;
    }
    const base = basename(f.name).slice(0, -'.json'.length);
    let byName = hosts.filter((h) => fileBaseFor(h.host) === base);
    if (!byName.length) byName = hosts.filter((h) => fileBaseFor(h.host).toLowerCase() === base.toLowerCase());
    if (byName.length === 0) {
      fail('validation', `The config file ${f.name} matches no host of the job.`, {
        remedy: `Save each file under its request's base name (<host>.json, from <host>.txt); hosts of this job: ${hosts.map((h) => h.host).join(', ') || 'none'}. Nothing was changed.`,
        details: { reason: 'config_file_unmatched', file: f.name },
      });
    }
    if (byName.length > 1) {
      fail('validation', `The config file ${f.name} matches two hosts of the job: ${byName.map((h) => h.host).join(' and ')}.`, {
        remedy: 'Give the hosts distinct names in the inventory and run the plan again. Nothing was changed.',
        details: { reason: 'config_file_ambiguous', file: f.name, hosts: byName.map((h) => h.host) },
      });
    }
    const h = byName[0]!;
    const seen = taken.get(h.hostId);
    if (seen)
      fail('validation', `Two config files are for ${h.host}: ${seen} and ${f.name}.`, {
        remedy: 'Keep one file per host. Nothing was changed.',
        details: { reason: 'config_file_ambiguous', file: f.name, hosts: [h.host] },
      });
    taken.set(h.hostId, f.name);
    if (!f.content.trim())
      fail('validation', `The config file ${f.name} is empty.`, {
        remedy: `Download it again from the appliance for ${h.host}'s request. Nothing was changed.`,
        details: { reason: 'config_file_invalid', file: f.name },
      });
    if (Buffer.byteLength(f.content) > MAX_CONFIG_BYTES)
      fail('validation', `The config file ${f.name} is larger than 1 MiB, which no appliance config file is.`, {
        remedy: 'Check that the right file was saved. Nothing was changed.',
        details: { reason: 'config_file_invalid', file: f.name },
      });
    try {
      JSON.parse(f.content);
    } catch {
      fail('validation', `The config file ${f.name} is not JSON (an appliance config file is).`, {
        remedy: `Download it again from the appliance for ${h.host}'s request (a saved web page or a truncated download looks like this). Nothing was changed.`,
        details: { reason: 'config_file_invalid', file: f.name },
      });
    }
    // Cross-check: whose identities does the file name?
    const inFile = new Set(stringsIn(f.content).map((x) => x.trim().toLowerCase()));
    const owners = hosts.filter((x) => [...distinct.get(x.hostId)!].some((t) => inFile.has(t)));
    const others = owners.filter((x) => x.hostId !== h.hostId);
    if (others.length) {
      fail(
        'validation',
        `The config file ${f.name} is named for ${h.host} but was made for ${others.map((x) => x.host).join(' and ')}${owners.some((x) => x.hostId === h.hostId) ? ` as well as ${h.host}` : ''}.`,
        {
          remedy: `Make ${h.host}'s file at the appliance from ${fileBaseFor(h.host)}.txt and save it as ${fileBaseFor(h.host)}.json. Nothing was changed.`,
          details: { reason: 'config_mismatch', file: f.name, host: h.host, namesHosts: others.map((x) => x.host) },
        },
      );
    }
    if (h.status !== 'awaiting_config' && h.status !== 'pending' && h.status !== 'running') {
      ignored.push({ name: f.name, why: `${h.host} is ${h.status}, not awaiting configuration` });
      continue;
    }
    matched.push({ name: f.name, hostId: h.hostId, host: h.host, content: f.content, matchedBy: owners.length ? 'identity' : 'name-only' });
  }
  return { matched, ignored };
}

/** Reads DIR/*.json (regular files only; a symlink is refused). */
export function readConfigDir(dir: string): ConfigFileInput[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    fail('usage', `Cannot read the config files folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
      remedy: 'Give the folder that holds the <host>.json files from the appliance.',
    });
  }
  const out: ConfigFileInput[] = [];
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.json')).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink() || !st.isFile())
      fail('validation', `The config file ${name} is not a regular file.`, {
        remedy: 'Copy the config files into the folder (links are not followed). Nothing was changed.',
        details: { reason: 'config_file_invalid', file: name },
      });
    if (st.size > MAX_CONFIG_BYTES)
      fail('validation', `The config file ${name} is larger than 1 MiB, which no appliance config file is.`, {
        remedy: 'Check that the right file was saved. Nothing was changed.',
        details: { reason: 'config_file_invalid', file: name },
      });
    out.push({ name, content: readFileSync(p, 'utf8') });
  }
  return out;
}

/**
 * Validates the files against the job's hosts, then, in one transaction, stores each one encrypted
 * (the secret store) and makes its host pending for the runner. All or nothing.
 */
export function acceptConfigFiles(
  store: Store,
  jobId: string,
  files: ConfigFileInput[],
): { matched: Omit<MatchedFile, 'content' | 'hostId'>[]; ignored: { name: string; why: string }[]; waiting: string[] } {
  const { job } = awaitingRequests(store, jobId);
  if (!files.some((f) => f.name.toLowerCase().endsWith('.json')))
    fail('usage', 'No <host>.json config files were given.', {
      remedy: 'Save the appliance’s file for each request as <host>.json (from <host>.txt) in the folder. Nothing was changed.',
      details: { reason: 'config_files_missing' },
    });
  const hosts: MatchHost[] = job.map((h) => {
    const inv = store.hosts.get(h.hostId);
    const d = store.journal.step(jobId, h.hostId, 'config-request')?.detail;
    return {
      hostId: h.hostId,
      host: h.host,
      address: inv?.address ?? '',
      status: h.status,
      hostName: inv?.facts?.hostName ?? null,
      fqdn: inv?.facts?.fqdn ?? null,
      addresses: (inv?.facts?.addresses ?? []).map((a) => a.address),
      request: typeof d?.configRequest === 'string' ? d.configRequest : null,
    };
  });
  const { matched, ignored } = matchConfigFiles(hosts, files);
  transaction(store.db, () => {
    for (const m of matched) {
      store.secrets.put(configFileRef(jobId, m.hostId), m.content);
      if (job.find((h) => h.hostId === m.hostId)?.status === 'awaiting_config') store.journal.setHost(jobId, m.hostId, { status: 'pending', error: null });
    }
    // Names only: the files are secrets.
    store.journal.event(jobId, null, 'config-files', { files: matched.map((m) => ({ file: m.name, host: m.host, matchedBy: m.matchedBy })), ignored });
  });
  const waiting = store.journal
    .hosts(jobId)
    .filter((h) => h.status === 'awaiting_config')
    .map((h) => h.host);
  return { matched: matched.map(({ content: _c, hostId: _h, ...m }) => m), ignored, waiting };
}
