import type { Facts } from '../model/facts.ts';
import type { OsFamily } from '../model/host.ts';
import type { CheckMeta } from './helpers.ts';
import type { Matrix } from './matrix.ts';
import type { CheckResult, CheckSettings, MatrixComponentId, ReachabilityProbe } from './types.ts';

/** What a run knows besides facts, matrix and settings. */
export interface CheckExtra {
  /** Connection attempts made from the host (see reachabilityProbesFor). */
  probes?: readonly ReachabilityProbe[];
  /** The component version being checked (rows with `sinceVersion` newer than it do not count). */
  agentVersion?: string | null;
}

/** A check: a pure function over facts, the matrix and the run's settings. */
export type CheckFn = (facts: Facts, matrix: Matrix, settings: CheckSettings, extra?: CheckExtra) => CheckResult;

export interface CheckDefinition extends CheckMeta {
  /** OS families the check runs on. */
  families: readonly OsFamily[];
  /** Components the check belongs to. */
  components: readonly MatrixComponentId[];
  /**
   * Facts (dotted paths) without which the check cannot decide, per family: when one is null or
   * absent the check answers `unknown` (a known failure may still be reported as `fail`).
   */
  needs: Partial<Record<OsFamily, readonly string[]>>;
  /** Present when the check only makes sense for matrices carrying some data (ports, storage...). */
  appliesTo?: (matrix: Matrix) => boolean;
  /** Present when the check only makes sense for some run settings (the appliance's checks replace the configuration server's). */
  appliesToSettings?: (settings: CheckSettings) => boolean;
  run: CheckFn;
}

/** Freeze a definition and bind `run` so it can be called detached: `const { run } = check`. */
export function defineCheck(def: CheckDefinition): CheckDefinition {
  const bound: CheckDefinition = { ...def, run: (facts, matrix, settings, extra) => def.run.call(bound, facts, matrix, settings, extra) };
  return Object.freeze(bound);
}
