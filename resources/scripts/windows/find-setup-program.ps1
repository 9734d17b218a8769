# find-setup-program.ps1: which of the documented setup programs the extracted package holds.
# Microsoft's documents name the Mobility service's setup program both UnifiedAgentInstaller.exe
# (vmware-physical-mobility-service-overview.md) and UnifiedAgent.exe (upgrade-mobility-service-modernized.md).
# Windows PowerShell 4.0 compatible. Prints one JSON document: {found, present}.
param([string]$Dir = '', [string[]]$Names = @())
$ErrorActionPreference = 'Stop'
if (-not $Dir -or -not (Test-Path -LiteralPath $Dir -PathType Container)) { throw "ASR:validation:the extracted folder does not exist" }
$present = @()
foreach ($n in $Names) {
  if ($n -notmatch '^[A-Za-z0-9_.-]{1,64}$') { throw "ASR:validation:a setup program name is not a plain file name" }
  if (Test-Path -LiteralPath (Join-Path $Dir $n) -PathType Leaf) { $present += $n }
}
$found = $null
if ($present.Count -gt 0) { $found = $present[0] }
@{ found = $found; present = $present } | ConvertTo-Json -Compress
