// The EXEC script of the PowerShell transport under this machine's real pwsh: a program printing
// far more than the cap comes back bounded (head, marker, tail) with its exit code and last line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXEC } from '../../../../src-main/remote/powershell/remote-scripts.ts';
import { findPwsh } from '../../../helpers/ps-compat.ts';

const pwsh = findPwsh();
const why = pwsh ? `pwsh at ${pwsh}` : 'needs pwsh (dotnet tool install --global PowerShell): not found';

describe.skipIf(!pwsh)(`EXEC under pwsh keeps a program's output bounded (${why})`, () => {
  it('20 MB of stdout: at most the cap comes back, the JSON result line and the exit code survive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-exec-'));
    const script = join(dir, 'exec.ps1');
    writeFileSync(script, EXEC);
    const driver = [
      `$sb = [ScriptBlock]::Create((Get-Content -Raw -LiteralPath '${script}'))`,
      `$r = & $sb 'sh' @('-c', 'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy | head -c 20000000; echo; echo "{\\"ok\\":true}"; echo oops >&2; exit 3') $null '' $null`,
      `$r | ConvertTo-Json -Compress`,
    ].join('\n');
    const p = spawnSync(pwsh!, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', driver], {
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(p.status, p.stderr).toBe(0);
    const r = JSON.parse(p.stdout) as { exitCode: number; stdout: string; stderr: string };
    expect(r.exitCode).toBe(3);
    expect(r.stdout.length).toBeLessThan(1024 * 1024 + 4096);
    expect(r.stdout).toMatch(/\[asr-deploy: \d+ characters of output dropped here/);
    expect(r.stdout.startsWith('0123456789abcdef')).toBe(true);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ ok: true });
    expect(r.stderr.trim().split('\n').at(-1)).toBe('oops');
  });
});
