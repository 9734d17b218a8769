// Issue 12 item 8 (targets), what can run here: the staging script run by pwsh (on Linux it takes
// its POSIX branch: both folders 0700, a link refused), and what the Windows branch must contain,
// read from the script's syntax tree (no Windows here to run it): the owner checked on an existing
// folder, created with its protected ACL in one call. No script turns a secret into a SecureString
// with ConvertTo-SecureString -AsPlainText.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPwsh } from '../../helpers/ps-compat.ts';

const dir = join(import.meta.dirname, '..', '..', '..', 'resources', 'scripts', 'windows');
const pwsh = findPwsh();

function runStaging(programData: string, job: string): { code: number; out: string } {
  try {
    const out = execFileSync(pwsh!, ['-NoProfile', '-NonInteractive', '-File', join(dir, 'prepare-staging.ps1'), '-Job', job], { env: { ...process.env, ProgramData: programData }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    return { code: 0, out };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: `${x.stdout}${x.stderr}` };
  }
}

describe('Windows target scripts', () => {
  it('no script passes a secret through ConvertTo-SecureString -AsPlainText', () => {
    const offenders = readdirSync(dir).filter((f) => f.endsWith('.ps1') && /ConvertTo-SecureString[^\n]*-AsPlainText/i.test(readFileSync(join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it("the staging script's Windows branch checks the owner of an existing folder and creates a new one with its protected ACL, for the root and the job folder", () => {
    const text = readFileSync(join(dir, 'prepare-staging.ps1'), 'utf8');
    expect(text).toMatch(/foreach \(\$p in @\(\$root, \$dir\)\)/);
    expect(text).toMatch(/GetOwner\(\[System\.Security\.Principal\.SecurityIdentifier\]\)/);
    expect(text).toMatch(/SetOwner\(\$admins\)/);
    expect(text).toMatch(/SetAccessRuleProtection\(\$true, \$false\)/);
    expect(text).toMatch(/\[IO\.Directory\]::CreateDirectory\(\$p, \(New-StagingAcl\)\)/);
    expect(text).toMatch(/\[IO\.FileSystemAclExtensions\]::Create\(/);
  });

  describe.skipIf(!pwsh)(`run by pwsh (${pwsh ?? 'not installed'}; its POSIX branch)`, () => {
    it('makes both %ProgramData%\\asr-deploy and the job folder private (0700), also when the root already existed open', () => {
      const pd = mkdtempSync(join(tmpdir(), 'asr-pd-'));
      mkdirSync(join(pd, 'asr-deploy'), { mode: 0o777 });
      const r = runStaging(pd, 'j-1');
      expect(r.code, r.out).toBe(0);
      expect(statSync(join(pd, 'asr-deploy')).mode & 0o777).toBe(0o700);
      expect(statSync(join(pd, 'asr-deploy', 'j-1')).mode & 0o777).toBe(0o700);
    });

    it('refuses a root that is a link', () => {
      const pd = mkdtempSync(join(tmpdir(), 'asr-pd-'));
      const elsewhere = mkdtempSync(join(tmpdir(), 'asr-else-'));
      symlinkSync(elsewhere, join(pd, 'asr-deploy'));
      const r = runStaging(pd, 'j-2');
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/is a link or a file/);
    });
  });
});
