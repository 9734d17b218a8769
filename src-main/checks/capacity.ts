import type { Facts } from '../model/facts.ts';
import { defineCheck } from './definition.ts';
import { GB, gb, list, result, unknownFacts, volumeFor } from './helpers.ts';
import type { MatrixCapacity } from './matrix.ts';
import type { CheckResult, CheckSettings } from './types.ts';

/**
 * Capacity rules of the 2015 architecture (site-recovery-components.md, "Planning"): every disk
 * of a protected server takes one data disk on the master target in Azure; one data disk of the
 * master target is the retention drive; a data disk holds at most 1023 GB.
 */

/** Pure sizing arithmetic, exported for the planner: which master target size fits `diskCount`. */
export function masterTargetFor(capacity: MatrixCapacity, diskCount: number): { name: string; protectable: number } | null {
  const sizes = [...capacity.masterTarget.sizes].sort((a, b) => a.dataDisks - b.dataDisks);
  for (const s of sizes) {
    const protectable = s.dataDisks - s.reservedForRetention;
    if (diskCount <= protectable) return { name: s.name, protectable };
  }
  return null;
}

function sizesText(capacity: MatrixCapacity): string {
  return capacity.masterTarget.sizes
    .map((s) => `${s.name}: ${s.dataDisks} data disks, ${s.reservedForRetention} for retention → ${s.dataDisks - s.reservedForRetention} protectable`)
    .join('; ');
}

export const masterTargetSizing = defineCheck({
  id: 'master-target-sizing',
  title: 'Fits a master target (disk count and size)',
  families: ['linux', 'windows'],
  components: ['mobility-service'],
  needs: { linux: ['storage.disks'], windows: ['storage.disks'] },
  appliesTo: (m) => m.capacity !== undefined,
  run(facts, matrix, settings) {
    const capacity = matrix.capacity!;
    const disks = facts.storage?.disks;
    if (!disks) return unknownFacts(this, ['storage.disks'], facts);
    const n = disks.length;
    const maxBytes = capacity.masterTarget.maxDataDiskGb * GB;
    const tooBig = disks.filter((d) => d.sizeBytes != null && d.sizeBytes > maxBytes);
    const unsized = disks.filter((d) => d.sizeBytes == null);
    const fit = masterTargetFor(capacity, n);
    const chosen = settings.masterTargetSize ? capacity.masterTarget.sizes.find((s) => s.name === settings.masterTargetSize) : undefined;
    const problems: string[] = [];
    const remedies: string[] = [];
    if (tooBig.length) {
      problems.push(
        `${list(tooBig.map((d) => `disk ${d.number} is ${gb(d.sizeBytes!)}`))}; a master target data disk holds at most ${capacity.masterTarget.maxDataDiskGb} GB`,
      );
      remedies.push(
        `Shrink or split the disks above ${capacity.masterTarget.maxDataDiskGb} GB (${tooBig.map((d) => `disk ${d.number}`).join(', ')}) before protecting this server.`,
      );
    }
    if (!fit) {
      problems.push(
        `${n} disks; the largest master target protects ${Math.max(...capacity.masterTarget.sizes.map((s) => s.dataDisks - s.reservedForRetention))}`,
      );
      remedies.push('Reduce the number of disks of this server; no master target size can hold them all.');
    } else if (chosen && chosen.dataDisks - chosen.reservedForRetention < n) {
      problems.push(
        `${n} disks do not fit the planned ${chosen.name} master target (${chosen.dataDisks - chosen.reservedForRetention} protectable); ${fit.name} is needed`,
      );
      remedies.push(`Deploy a standard ${fit.name} master target for this server (${sizesText(capacity)}).`);
    }
    if (problems.length) return result(this, 'fail', `${problems.join('. ')}. (${sizesText(capacity)})`, remedies.join(' '));
    if (unsized.length)
      return unknownFacts(
        this,
        unsized.map((d) => `storage.disks[${d.number}].sizeBytes`),
        facts,
      );
    const largest = Math.max(...disks.map((d) => d.sizeBytes ?? 0));
    const base = `${n} disks (largest ${gb(largest)}, limit ${capacity.masterTarget.maxDataDiskGb} GB)`;
    const smallest = [...capacity.masterTarget.sizes].sort((a, b) => a.dataDisks - b.dataDisks)[0]!;
    if (fit!.name !== smallest.name && !chosen) {
      return result(
        this,
        'warn',
        `${base}: more than ${smallest.dataDisks - smallest.reservedForRetention} disks, so a ${fit!.name} master target is needed (${sizesText(capacity)}).`,
        `Deploy a standard ${fit!.name} master target for this server; an ${smallest.name} protects at most ${smallest.dataDisks - smallest.reservedForRetention} disks.`,
      );
    }
    return result(this, 'pass', `${base} fit a ${chosen?.name ?? fit!.name} master target (${fit!.protectable} protectable disks).`);
  },
});

/**
 * Process server cache space (2015: "we recommend a cache directory size of 600 GB for medium
 * size deployments", on C:). Run on the process server's own facts; warns below the figure.
 */
export function processServerCache(facts: Facts, capacity: MatrixCapacity, settings: CheckSettings = {}): CheckResult {
  const meta = { id: 'process-server-cache', title: 'Process server cache space' };
  const dir = settings.processServerCacheDir ?? capacity.processServer.cacheDir;
  if (!facts.freeSpace) return unknownFacts(meta, ['freeSpace'], facts);
  const vol = volumeFor(facts, dir);
  if (!vol)
    return result(
      meta,
      'unknown',
      `No free-space figure for the volume of the cache directory ${dir}.`,
      'Collect the facts again so that free space covers the cache directory.',
    );
  const want = capacity.processServer.cacheGbRecommended * GB;
  const text = `${vol.path} holds the cache (${dir}): ${gb(vol.freeBytes)} free; ${capacity.processServer.cacheGbRecommended} GB recommended for a ${capacity.processServer.deployment} deployment (${capacity.source}).`;
  if (vol.freeBytes >= want) return result(meta, 'pass', text);
  return result(
    meta,
    'warn',
    text,
    `Free ${gb(want - vol.freeBytes)} more on ${vol.path} or move the cache to a larger volume; with a high data change rate deploy an additional process server.`,
  );
}
