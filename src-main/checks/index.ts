/** Prerequisite checks from the ASR support matrices: the public surface of src-main/checks. */
export { CheckResultSchema, CheckSettingsSchema, MATRIX_COMPONENTS, ReachabilityProbeSchema, VERDICTS, verdictRank, worstVerdict } from './types.ts';
export type { CheckResult, CheckSettings, MatrixComponentId, ReachabilityProbe, ReachabilityTarget, Verdict } from './types.ts';
export { MatrixSchema, defaultMatrixDir, coerceVersion, loadMatrices, matrixFor, parseMatrix } from './matrix.ts';
export type { LoadedMatrix, Matrix, MatrixCapacity, OsEntry } from './matrix.ts';
export { INSTALLER_OS_IDS, describeOs, installerOsId, matchOs, windowsRelease } from './os.ts';
export type { CheckDefinition, CheckExtra, CheckFn } from './definition.ts';
export { CHECKS, META_CHECK_IDS, checksFor, listChecks, runChecks } from './registry.ts';
export type { RunChecksInput, RunChecksResult } from './registry.ts';
export { reachabilityProbesFor } from './reachability.ts';
export { masterTargetFor, masterTargetSizing, processServerCache } from './capacity.ts';
export { CheckGroupSchema, CheckRunDocumentSchema, documentVerdict, groupByCheck, toCheckRunDocument } from './document.ts';
export type { CheckGroup, CheckRunDocument, CheckRunHost } from './document.ts';
export { kernelSupported, loadKernelLists } from './kernels.ts';
export type { KernelBuild, KernelLists } from './kernels.ts';
