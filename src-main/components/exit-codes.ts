import type { Catalog, ComponentId } from './catalog.ts';

/** What an installer's exit code means for the step that ran it. */
export type ExitVerdict = 'ok' | 'warn' | 'reboot' | 'retry' | 'fail';

/**
 * Exit codes from the catalog, for every component and platform: success, success with warnings
 * (98), reboot required (3010/1641), retry later (1618); anything else a failure.
 */
export function judgeExit(catalog: Catalog, component: ComponentId, code: number): ExitVerdict {
  const ec = catalog.component(component).exitCodes;
  if (ec.success.includes(code)) return 'ok';
  if (ec.successRebootRequired.includes(code)) return 'reboot';
  if (ec.successWithWarnings.includes(code)) return 'warn';
  if (ec.retryLater.includes(code)) return 'retry';
  return 'fail';
}
