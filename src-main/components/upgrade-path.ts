import { compareVersions, parseVersion } from './version.ts';

/**
 * service-updates-how-to.md (MicrosoftDocs/azure-docs, ms.date 07/31/2019): "Official support is for
 * upgrading from > N-4 version to N version"; beyond that, "Upgrade the currently installed component
 * to your current version plus four (9.16 → 9.20), then to the next compatible version (9.20 → 9.24)".
 * Reboot after a Mobility service upgrade: "A reboot isn't mandatory, unless the difference between the
 * agent version during last reboot, and the current version, is greater than four" (9.16 → 9.21:
 * "Upgrade to 9.20, then reboot before upgrading to 9.21"). Versions are counted by the 9.x minor number.
 */
export const MAX_VERSIONS_PER_UPGRADE = 4;

export interface UpgradeHop {
  /** The version to install at this hop; null when no known version lies in the hop's range. */
  version: string | null;
  /** The hop may reach at most this major.minor (the version before it plus four). */
  upTo: string;
  /** A reboot is due before this hop: it would put more than four versions between the agent at the last reboot and the new one. */
  rebootBefore: boolean;
}

export interface UpgradePath {
  /** One hop: the upgrade is supported as a direct upgrade. */
  direct: boolean;
  hops: UpgradeHop[];
  /** The version the reboot rule counts from (the agent running at the host's last reboot). */
  lastReboot: string;
}

const majorMinor = (v: string): [number, number] => {
  const p = parseVersion(v) ?? [0, 0];
  return [p[0] ?? 0, p[1] ?? 0];
};

/**
 * The hops from `from` to `to`: each at most four minor versions, each the newest of `available`
 * in its range (a hop with no version there is null and names its range), the last one `to`.
 * Across major versions (8.x → 9.x) no document gives hops: the path is the one step.
 */
export function upgradePath(available: readonly string[], from: string, to: string, lastReboot: string = from): UpgradePath {
  const [fMajor, fMinor] = majorMinor(from);
  const [tMajor, tMinor] = majorMinor(to);
  if (compareVersions(to, from) <= 0) return { direct: true, hops: [], lastReboot };
  if (fMajor !== tMajor) return { direct: true, hops: [{ version: to, upTo: `${tMajor}.${tMinor}`, rebootBefore: false }], lastReboot };
  const [rMajor, rMinor] = majorMinor(lastReboot);
  let rebootAt = rMajor === fMajor && rMinor <= fMinor ? rMinor : fMinor;
  let cur = fMinor;
  const hops: UpgradeHop[] = [];
  for (;;) {
    const last = tMinor - cur <= MAX_VERSIONS_PER_UPGRADE;
    const limit = last ? tMinor : cur + MAX_VERSIONS_PER_UPGRADE;
    const version = last
      ? to
      : ([...available]
          .filter((v) => {
            const [ma, mi] = majorMinor(v);
            return ma === fMajor && mi > cur && mi <= limit;
          })
          .sort((a, b) => compareVersions(b, a))[0] ?? null);
    const reached = version ? majorMinor(version)[1] : limit;
    const rebootBefore = reached - rebootAt > MAX_VERSIONS_PER_UPGRADE;
    if (rebootBefore) rebootAt = cur;
    hops.push({ version, upTo: `${fMajor}.${limit}`, rebootBefore });
    cur = reached;
    if (last) break;
  }
  return { direct: hops.length === 1, hops, lastReboot };
}

/** For reasons and reports: "9.55.6000.1 → 9.59.7000.1 → reboot, a 9.63 build (none known) → reboot, 9.66.7567.1". */
export function describeHops(from: string, path: UpgradePath): string {
  return [from, ...path.hops.map((h) => `${h.rebootBefore ? 'reboot, ' : ''}${h.version ?? `a ${h.upTo} build (none known)`}`)].join(' → ');
}
