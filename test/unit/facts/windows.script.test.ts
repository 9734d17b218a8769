// resources/scripts/windows/facts.ps1 under the real pwsh of this machine: it parses, uses nothing
// Windows PowerShell 4.0 lacks (AST walk), and, run where no Windows source exists, still prints one
// valid observations document with a note per source instead of failing. Windows itself cannot run
// here: the readings are covered by the replayed transcripts (windows-facts.test.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WINDOWS_FACTS_SCRIPT, WindowsObservationsSchema, windowsFactsFrom } from '../../../src-main/facts/windows.ts';
import { AsrFailure } from '../../../src-main/model/errors.ts';
import { ALL_REMOTE_SCRIPTS } from '../../../src-main/remote/powershell/remote-scripts.ts';
import { findPwsh, psCompatProblems } from '../../helpers/ps-compat.ts';

const pwsh = findPwsh();
const why = pwsh ? `pwsh at ${pwsh}` : 'needs pwsh (dotnet tool install --global PowerShell): not found';

describe.skipIf(!pwsh)(`facts.ps1 under pwsh (${why})`, () => {
  it('parses and is Windows PowerShell 4.0 compatible; so are the transport script blocks', () => {
    const problems = psCompatProblems(pwsh!, { 'facts.ps1': readFileSync(WINDOWS_FACTS_SCRIPT, 'utf8'), ...ALL_REMOTE_SCRIPTS });
    expect(problems).toEqual(Object.fromEntries(Object.keys(problems).map((k) => [k, []])));
    expect(Object.keys(problems)).toContain('facts.ps1');
  }, 120_000);

  it('the compatibility check does catch what 4.0 cannot run', () => {
    const bad = {
      coalesce: '$a = $b ?? 1',
      ternary: '$a = $b ? 1 : 2',
      chain: 'Get-Item x && Get-Item y',
      ctor: '$l = [System.Collections.ArrayList]::new()',
      nullConditional: '${a}?.Length',
      asHashtable: '$h = "{}" | ConvertFrom-Json -AsHashtable',
      broken: 'if ($a { }',
    };
    const p = psCompatProblems(pwsh!, bad);
    for (const k of Object.keys(bad)) expect(p[k]?.length, k).toBeGreaterThan(0);
  }, 120_000);

  it('where Windows is absent it prints one valid document, each source null with a one-line note', () => {
    const started = Date.now();
    const r = spawnSync(pwsh!, ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', WINDOWS_FACTS_SCRIPT], { encoding: 'utf8', timeout: 120_000 });
    console.log(`[measure] facts.ps1 in a fresh local pwsh: ${Date.now() - started} ms, ${r.stdout.length} bytes`);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const obs = WindowsObservationsSchema.parse(JSON.parse(r.stdout));
    expect(obs.platform).toBe('Unix');
    expect(Object.values(obs.cim).every((v) => v === null)).toBe(true);
    expect(obs.registry).toBeNull();
    expect(obs.firewall).toBeNull();
    expect(obs.notes?.some((n) => n.startsWith('CIM Win32_OperatingSystem: '))).toBe(true);
    expect(obs.notes?.every((n) => !n.includes('\n'))).toBe(true);
    try {
      windowsFactsFrom(JSON.parse(r.stdout), 'local');
      expect.unreachable();
    } catch (e) {
      expect((e as AsrFailure).data).toMatchObject({ code: 'unsupported' });
    }
  }, 120_000);
});
