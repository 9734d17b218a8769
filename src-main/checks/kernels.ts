import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fail } from '../model/errors.ts';
import { resourcePath } from '../model/resources.ts';
import { defineCheck } from './definition.ts';
import { result, unknownFacts } from './helpers.ts';
import { describeOs, installerOsId } from './os.ts';

/**
 * Microsoft's supported-kernel lists of the on-premises Mobility service, per agent build and
 * installer OS id (resources/kernels/mobility-service/<build>/<OS id>_supported_kernels.txt, with
 * provenance.json naming the repository, commit, path and dates they were copied from).
 */
const ProvenanceSchema = z.object({
  component: z.literal('mobility-service'),
  repository: z.string().url(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  commitDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  path: z.string(),
  builds: z.record(z.string(), z.object({ version: z.string(), addedBy: z.string(), addedOn: z.string(), note: z.string().optional() })),
});
export type KernelProvenance = z.infer<typeof ProvenanceSchema>;

export interface KernelBuild {
  build: string;
  /** OS id → kernels (`uname -r` strings). An OS id absent here has no list for the build. */
  lists: Map<string, Set<string>>;
  addedOn: string;
}

export interface KernelLists {
  provenance: KernelProvenance;
  /** Oldest build first. */
  builds: KernelBuild[];
  /** Where one list came from, for evidence. */
  source(build: string, osId: string): string;
}

/** Agent builds have four numeric parts (9.66.7567.1); checks import nothing above model/, so compared here. */
const parseVersion = (v: string): number[] | null => (/^\d+(\.\d+){1,3}$/.test(v) ? v.split('.').map(Number) : null);
function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [];
  const pb = parseVersion(b) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
}

const FILE = /^(?<osId>[A-Za-z0-9.-]+)_supported_kernels\.txt$/;
let cached: KernelLists | undefined;

export function loadKernelLists(dir = resourcePath('kernels', 'mobility-service')): KernelLists {
  if (cached && dir === resourcePath('kernels', 'mobility-service')) return cached;
  const provFile = join(dir, 'provenance.json');
  const prov = ProvenanceSchema.safeParse(existsSync(provFile) ? JSON.parse(readFileSync(provFile, 'utf8')) : null);
  if (!prov.success)
    fail(
      'validation',
      `The kernel lists in ${dir} have no valid provenance.json: ${prov.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const builds: KernelBuild[] = [];
  for (const build of readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)) {
    if (!parseVersion(build)) fail('validation', `The kernel list folder ${join(dir, build)} is not named after an agent build.`);
    const meta = prov.data.builds[build];
    if (!meta) fail('validation', `The kernel lists of build ${build} have no provenance entry in ${provFile}.`);
    const lists = new Map<string, Set<string>>();
    for (const f of readdirSync(join(dir, build)).sort()) {
      const m = FILE.exec(f);
      if (!m) continue;
      const kernels = readFileSync(join(dir, build, f), 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      lists.set(m.groups!.osId!, new Set(kernels));
    }
    builds.push({ build, lists, addedOn: meta.addedOn });
  }
  builds.sort((a, b) => compareVersions(a.build, b.build));
  const p = prov.data;
  const lists: KernelLists = {
    provenance: p,
    builds,
    source: (build, osId) =>
      `${p.repository.replace('https://github.com/', '')}@${p.commit.slice(0, 7)} (${p.commitDate}) ${p.path.replace('<build>', build).replace('<OS id>', osId)}`,
  };
  if (dir === resourcePath('kernels', 'mobility-service')) cached = lists;
  return lists;
}

const sameVersion = (a: string, b: string): boolean => {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  return !!pa && !!pb && pa[0] === pb[0] && pa[1] === pb[1];
};

/** The same kernel series, for evidence: 5.15.0-161-generic → 5.15.0-*-generic. */
function seriesOf(kernel: string): RegExp | null {
  const m = /^(\d+\.\d+\.\d+)-[\d.]+(-.+|\..+)?$/.exec(kernel);
  if (!m) return null;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc(m[1]!)}-[\\d.]+${esc(m[2] ?? '')}$`);
}

export const kernelSupported = defineCheck({
  id: 'kernel-supported',
  title: 'Running kernel listed for the agent build',
  families: ['linux'],
  components: ['mobility-service'],
  needs: { linux: ['os.kernel'] },
  run(facts, matrix, _settings, extra) {
    const kernel = facts.os.kernel;
    if (!kernel) return unknownFacts(this, ['os.kernel'], facts);
    const build = extra?.agentVersion ?? null;
    const osId = installerOsId(facts, matrix, build);
    if (!osId)
      return result(
        this,
        'unknown',
        `${describeOs(facts)} has no installer OS id under ${matrix.title}, so there is no kernel list to look ${kernel} up in.`,
        'See the os-supported check.',
      );
    if (!build || !parseVersion(build))
      return result(this, 'unknown', `No agent build to look kernel ${kernel} up for.`, 'Check against a Mobility service version (--version).');
    const all = loadKernelLists();
    const forVersion = all.builds.filter((b) => sameVersion(b.build, build));
    const target = forVersion.find((b) => compareVersions(b.build, build) === 0);
    const targetList = target?.lists.get(osId);
    if (targetList?.has(kernel))
      return result(this, 'pass', `Kernel ${kernel} is listed for ${osId} in build ${build} (${targetList.size} kernels; ${all.source(build, osId)}).`);
    const later = forVersion.filter((b) => compareVersions(b.build, build) > 0);
    const listedLater = later.find((b) => b.lists.get(osId)?.has(kernel));
    if (listedLater) {
      return result(
        this,
        'warn',
        `Kernel ${kernel} is not listed for ${osId} in build ${build}${targetList ? '' : ' (that build has no list for it)'}; it is listed from the later build ${listedLater.build} on (${all.source(listedLater.build, osId)}).`,
        `Build ${listedLater.build} or later is needed for this kernel: install that build, or let the replication appliance update the agent to it before protecting the machine (service-updates-how-to.md: upgrade Site Recovery first, then the kernel).`,
      );
    }
    const listsOfVersion = forVersion.filter((b) => b.lists.has(osId)).map((b) => b.build);
    if (!targetList) {
      const known = all.builds.map((b) => b.build).join(', ');
      return result(
        this,
        'unknown',
        `Microsoft's lists shipped here have no ${osId} list for build ${build}${listsOfVersion.length ? ` (${osId} lists exist for ${listsOfVersion.join(', ')}, none of them at or after ${build} lists ${kernel})` : ''}; builds with lists: ${known} (${all.provenance.repository.replace('https://github.com/', '')}@${all.provenance.commit.slice(0, 7)}, ${all.provenance.commitDate}). Kernel ${kernel} cannot be confirmed.`,
        `Look ${kernel} up in the support matrix (vmware-physical-azure-support-matrix.md) for ${build}, or load newer lists with a newer ASR Deploy.`,
      );
    }
    const series = seriesOf(kernel);
    const near = series
      ? [...targetList]
          .filter((k) => series.test(k))
          .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
          .slice(0, 3)
      : [];
    return result(
      this,
      'fail',
      `Kernel ${kernel} is not listed for ${osId} in build ${build} (${targetList.size} kernels; ${all.source(build, osId)})${later.length ? ` nor in the later builds ${later.map((b) => b.build).join(', ')}` : ''}.${near.length ? ` Listed kernels of the same series: ${near.join(', ')}.` : ''}`,
      `Boot a kernel the list names${near.length ? ` (e.g. ${near[0]})` : ''}, or wait for an agent build whose list names ${kernel}; an unlisted kernel has no Mobility service driver, so replication cannot start.`,
    );
  },
});
