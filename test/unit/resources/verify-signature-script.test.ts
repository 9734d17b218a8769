// resources/scripts/windows/verify-signature.ps1 under the real pwsh of this machine. Windows's
// Get-AuthenticodeSignature does not exist on Linux pwsh, so a stand-in with the documented shape
// takes its place: a Signature whose Status is a System.Management.Automation.SignatureStatus and
// whose SignerCertificate is a real X509Certificate2 (null when not signed). The script must read
// exactly those properties; ASR Deploy judges its answer (windows-recipes.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourcePath } from '../../../src-main/model/resources.ts';
import { isMicrosoftSigner } from '../../../src-main/components/windows/common.ts';
import { findPwsh } from '../../helpers/ps-compat.ts';

const pwsh = findPwsh();
const why = pwsh ? `pwsh at ${pwsh}` : 'needs pwsh (dotnet tool install --global PowerShell): not found';
const SCRIPT = resourcePath('scripts', 'windows', 'verify-signature.ps1');

interface Case {
  path: string;
  /** null: no Get-AuthenticodeSignature on the host at all. */
  status: string | null;
  subject: string | null;
}

/**
 * Runs the script once per case in one pwsh (a pwsh start is seconds here), with
 * Get-AuthenticodeSignature standing in as documented (Status, StatusMessage, SignerCertificate).
 */
function runAll(cases: Case[]): { out: unknown; error: string | null }[] {
  const driver = `
$cases = [Console]::In.ReadToEnd() | ConvertFrom-Json
foreach ($c in $cases) {
  Remove-Item -Path function:Get-AuthenticodeSignature -ErrorAction SilentlyContinue
  if ($null -ne $c.status) {
    $global:case = $c
    function global:Get-AuthenticodeSignature { param([string]$LiteralPath)
      $cert = $null
      if ($global:case.subject) {
        $key = [System.Security.Cryptography.RSA]::Create(2048)
        $req = New-Object System.Security.Cryptography.X509Certificates.CertificateRequest($global:case.subject, $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $cert = $req.CreateSelfSigned([DateTimeOffset]::Now, [DateTimeOffset]::Now.AddDays(1))
      }
      [pscustomobject]@{ Path = $LiteralPath; Status = [System.Management.Automation.SignatureStatus]$global:case.status; StatusMessage = 'stand-in'; SignerCertificate = $cert }
    }
  }
  try { $o = & '${SCRIPT}' -Path $c.path; Write-Output (@{ out = ($o | ConvertFrom-Json); error = $null } | ConvertTo-Json -Compress -Depth 4) }
  catch { Write-Output (@{ out = $null; error = [string]$_.Exception.Message } | ConvertTo-Json -Compress) }
}`;
  const r = spawnSync(pwsh!, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', driver], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`pwsh failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { out: unknown; error: string | null });
}

describe.skipIf(!pwsh)(`verify-signature.ps1 under pwsh, Get-AuthenticodeSignature as documented (${why})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'asr-sig-'));
  const file = join(dir, 'MARSAgentInstaller.exe');
  writeFileSync(file, 'MZ stand-in');
  const MS = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';

  it('reports Status and SignerCertificate.Subject as the cmdlet gives them; a missing file or no cmdlet is a named error', () => {
    const [valid, notSigned, mismatch, other, missing, noCmdlet] = runAll([
      { path: file, status: 'Valid', subject: MS },
      { path: file, status: 'NotSigned', subject: null },
      { path: file, status: 'HashMismatch', subject: MS },
      { path: file, status: 'Valid', subject: 'CN=Contoso Build, O=Contoso Ltd' },
      { path: join(dir, 'absent.exe'), status: 'Valid', subject: MS },
      { path: file, status: null, subject: null },
    ]);
    expect(valid!.out, valid!.error ?? '').toMatchObject({ status: 'Valid', subject: MS, thumbprint: expect.stringMatching(/^[0-9A-F]{40}$/) });
    expect(isMicrosoftSigner((valid!.out as { subject: string }).subject)).toBe(true);
    expect(notSigned!.out).toMatchObject({ status: 'NotSigned', subject: null });
    expect(mismatch!.out).toMatchObject({ status: 'HashMismatch', subject: MS });
    expect(other!.out).toMatchObject({ status: 'Valid', subject: 'CN=Contoso Build, O=Contoso Ltd' });
    expect(isMicrosoftSigner((other!.out as { subject: string }).subject)).toBe(false);
    expect(missing).toMatchObject({ out: null, error: expect.stringMatching(/^ASR:not_found:/) });
    expect(noCmdlet).toMatchObject({ out: null, error: expect.stringMatching(/^ASR:unsupported:Get-AuthenticodeSignature is not available/) });
  }, 120_000);
});
