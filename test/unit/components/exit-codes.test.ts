import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import { judgeExit } from '../../../src-main/components/exit-codes.ts';

describe('judgeExit', () => {
  const catalog = loadCatalog();
  it.each(['provider', 'mars-agent', 'mobility-service'] as const)('reads the documented exit codes of the %s from the catalog', (component) => {
    const ec = catalog.component(component).exitCodes;
    for (const c of ec.success) expect(judgeExit(catalog, component, c)).toBe('ok');
    for (const c of ec.successRebootRequired) expect(judgeExit(catalog, component, c)).toBe('reboot');
    for (const c of ec.successWithWarnings) expect(judgeExit(catalog, component, c)).toBe('warn');
    for (const c of ec.retryLater) expect(judgeExit(catalog, component, c)).toBe('retry');
    expect(judgeExit(catalog, component, 12345)).toBe('fail');
  });

  it('knows the Mobility service codes asr-components.md lists', () => {
    expect([0, 98, 3010, 1641, 1618, 1].map((c) => judgeExit(catalog, 'mobility-service', c))).toEqual(['ok', 'warn', 'reboot', 'reboot', 'retry', 'fail']);
  });
});
