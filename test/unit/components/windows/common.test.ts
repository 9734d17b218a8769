import { describe, expect, it } from 'vitest';
import { stagedPath } from '../../../../src-main/components/windows/common.ts';

describe('stagedPath', () => {
  it('joins with Windows separators for the folder prepare-staging.ps1 reports on Windows', () => {
    expect(stagedPath('C:\\ProgramData\\ASRDeploy\\staging\\j-1', 'AzureSiteRecoveryProvider.exe')).toBe(
      'C:\\ProgramData\\ASRDeploy\\staging\\j-1\\AzureSiteRecoveryProvider.exe',
    );
    expect(stagedPath('C:/ProgramData\\ASRDeploy', 'MARSAgentInstaller.exe')).toBe('C:\\ProgramData\\ASRDeploy\\MARSAgentInstaller.exe');
  });
  it('keeps a /-only folder (pwsh on a non-Windows host) free of backslashes', () => {
    expect(stagedPath('/var/lib/asr-deploy/staging/j-1', 'AzureSiteRecoveryProvider.exe')).toBe(
      '/var/lib/asr-deploy/staging/j-1/AzureSiteRecoveryProvider.exe',
    );
  });
});
