/**
 * ASR versions have four numeric parts (9.62.7096.1, 5.24.0614.1, 2.0.9919.0); semver has three
 * and would drop the build number, so they are compared part by part.
 */
export function parseVersion(v: string): number[] | null {
  if (!/^\d+(\.\d+){1,3}$/.test(v.trim())) return null;
  return v.trim().split('.').map(Number);
}

export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [];
  const pb = parseVersion(b) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export const isVersion = (v: unknown): v is string => typeof v === 'string' && parseVersion(v) !== null;
