// Every PowerShell script we ship (resources/**/*.ps1, whoever added it) parses with PowerShell's own
// parser and uses nothing Windows PowerShell 4.0 lacks: targets include Windows Server 2012 R2 and
// 2008 R2 SP1 (WMF 4.0). One pwsh process checks them all (pwsh starts slowly).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPwsh, psCompatProblems } from '../../helpers/ps-compat.ts';

const root = join(import.meta.dirname, '..', '..', '..', 'resources');
const scripts = (readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ps1')).sort();
const pwsh = findPwsh();
const why = pwsh ? `pwsh at ${pwsh}` : 'needs pwsh (dotnet tool install --global PowerShell --version 7.6.9): not found';

describe.skipIf(!pwsh)(`every .ps1 under resources/ (${scripts.length} scripts; ${why})`, () => {
  it('parses without errors and is Windows PowerShell 4.0 compatible', () => {
    expect(scripts.length).toBeGreaterThan(1);
    const texts = Object.fromEntries(scripts.map((f) => [relative(root, join(root, f)), readFileSync(join(root, f), 'utf8')]));
    const problems = psCompatProblems(pwsh!, texts);
    expect(Object.keys(problems).sort()).toEqual(Object.keys(texts).sort());
    expect(Object.fromEntries(Object.entries(problems).filter(([, p]) => p.length))).toEqual({});
  }, 120_000);
});
