import type { Facts } from '../model/facts.ts';
import { defineCheck, type CheckDefinition } from './definition.ts';
import { isEnglish, list, MB, mb, missingFacts, result, unknownFacts, volumeFor } from './helpers.ts';
import type { Matrix } from './matrix.ts';
import { describeOs, matchOs, normaliseArchitecture, supportedOsList } from './os.ts';
import type { CheckSettings } from './types.ts';

const ALL = ['mobility-service', 'provider', 'mars-agent'] as const;
const BOTH = ['linux', 'windows'] as const;

export const osSupported = defineCheck({
  id: 'os-supported',
  title: 'Operating system in the support matrix',
  families: BOTH,
  components: ALL,
  needs: { linux: ['os.id', 'os.version'], windows: ['os.name'] },
  run(facts, matrix, _settings, extra) {
    const m = matchOs(facts, matrix, extra?.agentVersion);
    if (m.kind === 'unknown') return unknownFacts(this, m.missing, facts);
    if (m.kind === 'match') {
      const note = m.entry.note ? ` Note: ${m.entry.note}.` : '';
      return result(
        this,
        'pass',
        `${describeOs(facts)} is supported by ${matrix.title}; installer package ${m.entry.installerOsId} (source: ${m.entry.source}).${note}`,
      );
    }
    const supported = supportedOsList(matrix, facts.family);
    return result(
      this,
      'fail',
      `${describeOs(facts)}: ${m.why} in ${matrix.title} (matrix ${matrix.sources.join('; ')}).`,
      supported
        ? `${matrix.title} supports on ${facts.family}: ${supported}. Move the workload to a supported OS release, or choose a component version whose support matrix lists this one.`
        : `${matrix.title} does not run on ${facts.family}; install it on a supported Windows host instead.`,
    );
  },
});

export const architecture64 = defineCheck({
  id: 'architecture-64bit',
  title: '64-bit architecture',
  families: BOTH,
  components: ALL,
  needs: { linux: ['os.architecture'], windows: ['os.architecture'] },
  run(facts, matrix) {
    const raw = facts.os.architecture;
    if (!raw) return unknownFacts(this, ['os.architecture'], facts);
    const arch = normaliseArchitecture(raw);
    if (matrix.architectures.includes(arch)) return result(this, 'pass', `Architecture ${raw} (${arch}).`);
    return result(
      this,
      'fail',
      `Architecture ${raw} (${arch}); ${matrix.title} needs ${matrix.architectures.join(' or ')}.`,
      'Only 64-bit operating systems are supported; this host cannot run the component. Protect a 64-bit host instead.',
    );
  },
});

/** Default install/staging dirs of a matrix for a family. */
export function dirsFor(facts: Facts, matrix: Matrix, settings: CheckSettings): { staging: string; install: string } {
  const win = facts.family === 'windows';
  const staging = settings.stagingDir ?? (win ? matrix.install.windowsStaging : matrix.install.linuxStaging);
  const install = settings.installDir ?? (win ? matrix.install.windowsDir : matrix.install.linuxDir) ?? (win ? 'C:\\' : '/');
  return { staging, install };
}

export const englishNames = defineCheck({
  id: 'english-names',
  title: 'Host name, mount points, device names and paths in English characters',
  families: BOTH,
  components: ['mobility-service'],
  needs: { linux: ['hostName', 'fileSystems', 'storage.deviceNames'], windows: ['hostName', 'fileSystems', 'boot.systemRoot'] },
  run(facts, matrix, settings) {
    const needs = this.needs[facts.family] ?? [];
    const missing = missingFacts(facts, needs);
    const bad: string[] = [];
    const seen: string[] = [];
    const test = (kind: string, v: string | null | undefined) => {
      if (v == null) return;
      seen.push(kind);
      if (!isEnglish(v)) bad.push(`${kind} "${v}"`);
    };
    test('host name', facts.hostName);
    test('FQDN', facts.fqdn);
    for (const f of facts.fileSystems ?? []) test('mount point', f.mount);
    for (const f of facts.fileSystems ?? []) test('device', f.device);
    for (const d of facts.storage?.deviceNames ?? []) test('device', d);
    test('system path', facts.boot?.systemRoot);
    for (const p of facts.windows?.installPaths ?? []) test('install path', p);
    test('install path', dirsFor(facts, matrix, settings).install);
    if (bad.length) {
      return result(
        this,
        'fail',
        `Non-English (non-ASCII) characters in: ${list(bad)}.`,
        `ASR needs the host name, mount points, device names and system/install paths in English characters only. Rename them to ASCII: host name with ${facts.family === 'windows' ? '`Rename-Computer -NewName <ascii-name> -Restart`' : '`hostnamectl set-hostname <ascii-name>` (RHEL/CentOS 6: HOSTNAME= in /etc/sysconfig/network, then reboot) and update /etc/hosts'}; mount points in ${facts.family === 'windows' ? 'Disk Management' : '/etc/fstab'}.`,
      );
    }
    if (missing.length) return unknownFacts(this, missing, facts);
    return result(
      this,
      'pass',
      `Host name "${facts.hostName}", ${facts.fileSystems?.length ?? 0} mount points, device names and paths are all English (ASCII).`,
    );
  },
});

export const pendingReboot = defineCheck({
  id: 'pending-reboot',
  title: 'No reboot pending',
  families: BOTH,
  components: ALL,
  needs: { linux: ['pendingReboot'], windows: ['pendingReboot'] },
  run(facts) {
    if (facts.pendingReboot == null) return unknownFacts(this, ['pendingReboot'], facts);
    if (!facts.pendingReboot) return result(this, 'pass', 'No reboot is pending.');
    return result(
      this,
      'warn',
      'A reboot is pending on this host.',
      'Restart the host before installing: an install on top of pending updates can fail or leave the filter driver unloaded until the next reboot (ASR 95265/95266).',
    );
  },
});

export const freeSpace = defineCheck({
  id: 'free-space',
  title: 'Free space for staging and install',
  asrErrorId: 95524,
  families: BOTH,
  components: ALL,
  needs: { linux: ['freeSpace'], windows: ['freeSpace'] },
  run(facts, matrix, settings) {
    if (!facts.freeSpace) return unknownFacts(this, ['freeSpace'], facts);
    const { staging, install } = dirsFor(facts, matrix, settings);
    const wants: { what: string; path: string; bytes: number }[] = [];
    const size = settings.installerBytes;
    if (size != null)
      wants.push({
        what: `staging ${staging} (installer ${mb(size)} × ${matrix.install.stagingFactor})`,
        path: staging,
        bytes: size * matrix.install.stagingFactor,
      });
    wants.push({ what: `install ${install} (${matrix.install.minFreeMb} MB)`, path: install, bytes: matrix.install.minFreeMb * MB });
    if (facts.family === 'linux' && matrix.install.rootMinFreeMb)
      wants.push({ what: `root partition / (${matrix.install.rootMinFreeMb} MB)`, path: '/', bytes: matrix.install.rootMinFreeMb * MB });

    const byVolume = new Map<string, { free: number; need: number; what: string[] }>();
    const unresolved: string[] = [];
    for (const w of wants) {
      const vol = volumeFor(facts, w.path);
      if (!vol) {
        unresolved.push(w.path);
        continue;
      }
      const e = byVolume.get(vol.path) ?? { free: vol.freeBytes, need: 0, what: [] };
      e.need += w.bytes;
      e.what.push(w.what);
      byVolume.set(vol.path, e);
    }
    const lines = [...byVolume].map(([vol, e]) => `${vol}: ${mb(e.free)} free, ${mb(e.need)} needed for ${e.what.join(' + ')}`);
    const short = [...byVolume].filter(([, e]) => e.free < e.need);
    const sizeNote = size == null ? ' Installer size not given: only the documented minimum was checked.' : '';
    if (short.length) {
      return result(
        this,
        'fail',
        `${lines.join('; ')}.${sizeNote}`,
        `Free at least ${short.map(([vol, e]) => `${mb(e.need - e.free)} more on ${vol}`).join(' and ')} (delete old files or extend the volume), or stage/install on a volume with room. ASR push install fails with 95524 below ${matrix.install.minFreeMb} MB.`,
      );
    }
    if (unresolved.length)
      return result(
        this,
        'unknown',
        `No free-space figure for the volume of ${unresolved.join(', ')}. ${lines.join('; ')}`,
        'Collect the facts again so that free space covers the staging and install directories.',
      );
    return result(this, 'pass', `${lines.join('; ')}.${sizeNote}`);
  },
});

export const COMMON_CHECKS: readonly CheckDefinition[] = [osSupported, architecture64, englishNames, freeSpace, pendingReboot];
