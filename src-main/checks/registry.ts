import { FactsSchema, type Facts } from '../model/facts.ts';
import type { OsFamily } from '../model/host.ts';
import { AsrFailure } from '../model/errors.ts';
import { masterTargetSizing } from './capacity.ts';
import type { CheckDefinition } from './definition.ts';
import { result } from './helpers.ts';
import { loadMatrices, matrixFor, type LoadedMatrix } from './matrix.ts';
import { installerOsId } from './os.ts';
import { REACHABILITY_CHECKS } from './reachability.ts';
import { COMMON_CHECKS } from './rules-common.ts';
import { HYPERV_CHECKS } from './rules-hyperv.ts';
import { LINUX_CHECKS } from './rules-linux.ts';
import { kernelSupported } from './kernels.ts';
import { WINDOWS_CHECKS } from './rules-windows.ts';
import {
  MATRIX_COMPONENTS,
  worstVerdict,
  type CheckResult,
  type CheckSettings,
  type MatrixComponentId,
  type ReachabilityProbe,
  type Verdict,
} from './types.ts';

/** Every check, in report order. Ids are stable: scripts and reports key on them. */
export const CHECKS: readonly CheckDefinition[] = Object.freeze([
  ...COMMON_CHECKS,
  ...LINUX_CHECKS,
  kernelSupported,
  ...WINDOWS_CHECKS,
  ...HYPERV_CHECKS,
  ...REACHABILITY_CHECKS,
  masterTargetSizing,
]);

/** Results that are not a registry check: no usable facts, or no matrix for the version. */
export const META_CHECK_IDS = { facts: 'facts-collected', matrix: 'support-matrix' } as const;

/** The registry as data (for `check --list`, docs and the UI). */
export function listChecks(): {
  id: string;
  title: string;
  families: readonly OsFamily[];
  components: readonly MatrixComponentId[];
  asrErrorId?: number;
  needs: CheckDefinition['needs'];
}[] {
  return CHECKS.map((c) => ({
    id: c.id,
    title: c.title,
    families: c.families,
    components: c.components,
    ...(c.asrErrorId ? { asrErrorId: c.asrErrorId } : {}),
    needs: c.needs,
  }));
}

/** The checks that run for a component on a family under a matrix. */
export function checksFor(componentId: MatrixComponentId, family: OsFamily, matrix: LoadedMatrix | null): CheckDefinition[] {
  return CHECKS.filter((c) => c.components.includes(componentId) && c.families.includes(family) && (!matrix || !c.appliesTo || c.appliesTo(matrix)));
}

export interface RunChecksInput {
  /** The host's facts document; null when facts could not be gathered. */
  facts: Facts | null;
  componentId: string;
  /** Component version to check against; absent = the newest matrix of the component. */
  version?: string | null;
  settings?: CheckSettings;
  /** Reachability probes run from the host (see reachabilityProbesFor). */
  probes?: readonly ReachabilityProbe[];
  /** Matrices to use; default loadMatrices() from resources/matrix. */
  matrices?: readonly LoadedMatrix[];
}

export interface RunChecksResult {
  /** Worst of the checks: fail > unknown > warn > pass. */
  verdict: Verdict;
  checks: CheckResult[];
  matrix: { file: string; component: string; versions: string; generation: string; title: string } | null;
  /** Package to push (RHEL7-64, Windows, ...), null when unsupported or unknown. */
  installerOsId: string | null;
}

function isComponent(id: string): id is MatrixComponentId {
  return (MATRIX_COMPONENTS as readonly string[]).includes(id);
}

/**
 * Run every applicable check for one host. Pure apart from reading the matrices once (cached).
 * Throws AsrFailure `validation` for a component id no matrix knows.
 */
export function runChecks(input: RunChecksInput): RunChecksResult {
  const { componentId, version = null, settings = {}, probes } = input;
  if (!isComponent(componentId)) throw new AsrFailure('validation', `unknown component "${componentId}"; known: ${MATRIX_COMPONENTS.join(', ')}`);
  const matrices = input.matrices ?? loadMatrices();
  const matrix = matrixFor(componentId, version, matrices);
  const matrixInfo = matrix
    ? { file: matrix.file, component: matrix.component, versions: matrix.versions, generation: matrix.generation, title: matrix.title }
    : null;

  if (!matrix) {
    const known = matrices.filter((m) => m.component === componentId).map((m) => `${m.versions} (${m.file})`);
    const check = result(
      { id: META_CHECK_IDS.matrix, title: 'Support matrix for the component version' },
      'unknown',
      `No support matrix covers ${componentId} ${version ?? ''}. Known: ${known.join('; ') || 'none'}.`,
      'Choose a version a matrix covers, or add a matrix file for it to resources/matrix.',
    );
    return { verdict: 'unknown', checks: [check], matrix: null, installerOsId: null };
  }

  const parsed = input.facts ? FactsSchema.safeParse(input.facts) : null;
  if (!parsed?.success) {
    const why = parsed ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : 'no facts were collected from the host';
    const check = result(
      { id: META_CHECK_IDS.facts, title: 'Host facts collected' },
      'unknown',
      `Cannot check the host: ${why}.`,
      'Make the host reachable with valid credentials and collect its facts again.',
    );
    return { verdict: 'unknown', checks: [check], matrix: matrixInfo, installerOsId: null };
  }
  const facts = parsed.data;
  const extra = { probes, agentVersion: version };
  const checks = checksFor(componentId, facts.family, matrix)
    .filter((c) => !c.appliesToSettings || c.appliesToSettings(settings))
    .map((c) => {
      try {
        return c.run(facts, matrix, settings, extra);
      } catch (e) {
        // A bug in one rule must not hide the others; it can never count as a pass.
        return result(c, 'unknown', `The check failed to evaluate: ${(e as Error).message}.`, 'Report this as a bug in ASR Deploy.');
      }
    });
  return { verdict: worstVerdict(checks.map((c) => c.verdict)), checks, matrix: matrixInfo, installerOsId: installerOsId(facts, matrix, version) };
}
