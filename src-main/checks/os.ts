import type { Facts } from '../model/facts.ts';
import { versionAtLeast, type LinuxOsEntry, type Matrix, type OsEntry, type WindowsOsEntry } from './matrix.ts';

/**
 * Installer OS ids of the Mobility service packages (Microsoft-ASR_UA_<ver>_<OSID>_GA_…), as in
 * the 2015 "Keep components up-to-date" links and Azure/Azure-SiteRecovery AgentDownloadLinks.md
 * (9.64/9.65). The matrices may name others; this list documents what is known today.
 */
export const INSTALLER_OS_IDS = [
  'RHEL5-64',
  'RHEL6-64',
  'RHEL7-64',
  'RHEL8-64',
  'RHEL9-64',
  'OL6-64',
  'OL7-64',
  'OL8-64',
  'OL9-64',
  'SLES11-SP3-64',
  'SLES11-SP4-64',
  'SLES12-64',
  'SLES15-64',
  'UBUNTU-14.04-64',
  'UBUNTU-16.04-64',
  'UBUNTU-18.04-64',
  'UBUNTU-20.04-64',
  'UBUNTU-22.04-64',
  'UBUNTU-24.04-64',
  'DEBIAN7-64',
  'DEBIAN8-64',
  'DEBIAN9-64',
  'DEBIAN10-64',
  'DEBIAN11-64',
  'DEBIAN12-64',
  'Windows',
] as const;

const ID_ALIASES: Record<string, string> = {
  redhat: 'rhel',
  'red hat': 'rhel',
  'red hat enterprise linux': 'rhel',
  oracle: 'ol',
  oel: 'ol',
  oraclelinux: 'ol',
  suse: 'sles',
  sles_sap: 'sles',
};

export function normaliseOsId(id: string): string {
  const k = id.trim().toLowerCase();
  return ID_ALIASES[k] ?? k;
}

/** x86_64 for every spelling of 64-bit x86; other values lower-cased. */
export function normaliseArchitecture(arch: string): string {
  const a = arch.trim().toLowerCase();
  if (/^(x86_64|amd64|x64|64-bit|64 bit|64-bits|em64t|intel64)$/.test(a)) return 'x86_64';
  if (/^(i[3-6]86|x86|32-bit|32 bit)$/.test(a)) return 'x86';
  return a;
}

/** Service pack number from "1", "SP1", "Service Pack 1"; 0 for "" or "0"; null when unreadable. */
export function servicePackNumber(sp: string | null | undefined): number | null {
  if (sp == null) return null;
  if (sp.trim() === '') return 0;
  const m = /(\d+)/.exec(sp);
  return m ? Number(m[1]) : null;
}

/** A Linux version with the SLES service pack folded in: "11" + SP3 → "11.3". */
export function effectiveLinuxVersion(facts: Facts): string | null {
  const v = facts.os.version?.trim();
  if (!v) return null;
  const id = facts.os.id ? normaliseOsId(facts.os.id) : null;
  if (id === 'sles' && !v.includes('.')) {
    const sp = servicePackNumber(facts.os.servicePack);
    if (sp !== null) return `${v}.${sp}`;
  }
  return v;
}

function parts(v: string): number[] {
  return v.split('.').map((p) => Number(p));
}

function cmpPrefix(a: number[], b: number[], n: number): number {
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Does version "6.6" fall under spec "6", "6.6" or "6.4-6.6"? The version must have at least as many parts as the spec. */
export function versionMatches(version: string, spec: string): boolean {
  const v = parts(version);
  if (v.some((n) => Number.isNaN(n))) return false;
  const [lo, hi] = spec.split('-') as [string, string | undefined];
  const a = parts(lo);
  if (hi === undefined) return v.length >= a.length && cmpPrefix(v, a, a.length) === 0;
  const b = parts(hi);
  const n = Math.max(a.length, b.length);
  return v.length >= n && cmpPrefix(v, a, a.length) >= 0 && cmpPrefix(v, b, b.length) <= 0;
}

const WINDOWS_RELEASES: [RegExp, string][] = [
  [/windows server 2008 r2/i, 'Windows Server 2008 R2'],
  [/windows server 2008/i, 'Windows Server 2008'],
  [/windows server 2012 r2/i, 'Windows Server 2012 R2'],
  [/windows server 2012/i, 'Windows Server 2012'],
  [/windows server 2016/i, 'Windows Server 2016'],
  [/windows server 2019/i, 'Windows Server 2019'],
  [/windows server 2022/i, 'Windows Server 2022'],
  [/windows server 2025/i, 'Windows Server 2025'],
  [/windows 7\b/i, 'Windows 7'],
  [/windows 8\.1\b/i, 'Windows 8.1'],
  [/windows 8\b/i, 'Windows 8'],
  [/windows 10\b/i, 'Windows 10'],
  [/windows 11\b/i, 'Windows 11'],
];

/**
 * Normalised Windows release from the caption (Win32_OperatingSystem.Caption). The version number
 * alone cannot tell a server from a client (6.3 is 2012 R2 and 8.1), so no caption → null.
 */
export function windowsRelease(facts: Facts): string | null {
  const name = facts.os.name;
  if (!name) return null;
  for (const [re, release] of WINDOWS_RELEASES) if (re.test(name)) return release;
  return null;
}

/** The OS as one readable phrase for evidence, e.g. "CentOS 6.6 (os-release)". */
export function describeOs(facts: Facts): string {
  const o = facts.os;
  const base = o.name ?? [o.id, o.version].filter(Boolean).join(' ');
  const sp = facts.family === 'windows' && o.servicePack ? ` SP${servicePackNumber(o.servicePack) ?? o.servicePack}` : '';
  const kernel = o.kernelFlavor ? `, kernel ${o.kernel ?? '?'} (${o.kernelFlavor})` : '';
  return `${base || 'unnamed OS'}${sp}${kernel}${o.source ? ` [${o.source}]` : ''}`;
}

export type OsMatch =
  /** Matched a row (and, for a 64-bit check elsewhere, says nothing about architecture). */
  | { kind: 'match'; entry: OsEntry }
  /** A fact needed to decide is absent. */
  | { kind: 'unknown'; missing: string[] }
  /** Known and not in the matrix; `why` says what differs. */
  | { kind: 'unsupported'; why: string };

/** Match facts.os against the matrix rows of the host's family, honouring `sinceVersion` for `agentVersion`. */
export function matchOs(facts: Facts, matrix: Matrix, agentVersion?: string | null): OsMatch {
  const rows = matrix.os.filter((e) => e.family === facts.family && versionAtLeast(agentVersion, e.sinceVersion));
  if (!rows.length) return { kind: 'unsupported', why: `${matrix.title} does not run on ${facts.family}` };
  return facts.family === 'windows' ? matchWindows(facts, rows as WindowsOsEntry[]) : matchLinux(facts, rows as LinuxOsEntry[]);
}

function matchWindows(facts: Facts, rows: WindowsOsEntry[]): OsMatch {
  if (!facts.os.name) return { kind: 'unknown', missing: ['os.name'] };
  const release = windowsRelease(facts);
  if (!release) return { kind: 'unsupported', why: `"${facts.os.name}" is not a Windows release this matrix knows` };
  const candidates = rows.filter((r) => r.releases.includes(release));
  if (!candidates.length) return { kind: 'unsupported', why: `${release} is not listed` };
  let spMissing = false;
  for (const row of candidates) {
    if (row.minServicePack === undefined || row.minServicePack === 0) return { kind: 'match', entry: row };
    const sp = servicePackNumber(facts.os.servicePack);
    if (sp === null) spMissing = true;
    else if (sp >= row.minServicePack) return { kind: 'match', entry: row };
  }
  if (spMissing) return { kind: 'unknown', missing: ['os.servicePack'] };
  const need = Math.min(...candidates.map((r) => r.minServicePack ?? 0));
  return { kind: 'unsupported', why: `${release} needs at least SP${need}, found SP${servicePackNumber(facts.os.servicePack) ?? 0}` };
}

function matchLinux(facts: Facts, rows: LinuxOsEntry[]): OsMatch {
  const missing = [];
  if (!facts.os.id) missing.push('os.id');
  if (!facts.os.version) missing.push('os.version');
  if (missing.length) return { kind: 'unknown', missing };
  const id = normaliseOsId(facts.os.id!);
  const version = effectiveLinuxVersion(facts)!;
  const sameDistro = rows.filter((r) => r.ids.includes(id));
  if (!sameDistro.length) return { kind: 'unsupported', why: `distribution "${id}" is not listed` };
  const sameVersion = sameDistro.filter((r) => r.versions.some((s) => versionMatches(version, s)));
  if (!sameVersion.length)
    return { kind: 'unsupported', why: `${id} ${version} is not listed (supported: ${sameDistro.flatMap((r) => r.versions).join(', ')})` };
  let kernelMissing = false;
  const offered: string[] = [];
  for (const row of sameVersion) {
    if (!row.kernels) return { kind: 'match', entry: row };
    const flavor = facts.os.kernelFlavor?.toLowerCase();
    if (!flavor) {
      kernelMissing = true;
      continue;
    }
    for (const k of row.kernels) {
      offered.push(k.name);
      if (k.flavor.toLowerCase() !== flavor) continue;
      if (!k.release) return { kind: 'match', entry: row };
      if (!facts.os.kernel) {
        kernelMissing = true;
        continue;
      }
      if (facts.os.kernel.startsWith(k.release)) return { kind: 'match', entry: row };
    }
  }
  if (kernelMissing) return { kind: 'unknown', missing: facts.os.kernelFlavor ? ['os.kernel'] : ['os.kernelFlavor'] };
  return { kind: 'unsupported', why: `kernel ${facts.os.kernel ?? '?'} (${facts.os.kernelFlavor}) is not one of ${[...new Set(offered)].join(', ')}` };
}

/**
 * The installer OS id whose package fits this host (RHEL6-64, SLES11-SP3-64, Windows, ...), or
 * null when the OS is unsupported, unknown, or known not to be 64-bit. The push engine picks the
 * tarball with it.
 */
export function installerOsId(facts: Facts, matrix: Matrix, agentVersion?: string | null): string | null {
  const arch = facts.os.architecture ? normaliseArchitecture(facts.os.architecture) : null;
  if (arch !== null && !matrix.architectures.includes(arch)) return null;
  const m = matchOs(facts, matrix, agentVersion);
  return m.kind === 'match' ? m.entry.installerOsId : null;
}

/** Supported OS rows of one family as a readable list for remedies. */
export function supportedOsList(matrix: Matrix, family: 'linux' | 'windows'): string {
  return matrix.os
    .filter((e) => e.family === family)
    .map((e) =>
      e.family === 'windows'
        ? `${e.releases.join(', ')}${e.minServicePack ? ` (SP${e.minServicePack}+)` : ''}${e.sinceVersion ? ` from ${e.sinceVersion}` : ''}`
        : `${e.ids.join('/')} ${e.versions.join(', ')}${e.kernels ? ` (${e.kernels.map((k) => k.name).join(' or ')})` : ''}${e.sinceVersion ? ` from ${e.sinceVersion}` : ''}`,
    )
    .join('; ');
}
