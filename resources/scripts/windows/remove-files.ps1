# Removes secret files and, when given, a folder or the job's staging folder (by job id, as
# prepare-staging.ps1 names it). Missing files are not an error.
# Windows PowerShell 4.0 compatible. Prints one JSON document.
param([string[]]$Paths = @(), [string]$Dir = '', [string]$Job = '')
$ErrorActionPreference = 'Stop'
if ($Job) {
  if ($Job -notmatch '^[A-Za-z0-9_.-]{1,64}$') { throw "ASR:validation:the job id is not a plain name" }
  $base = $env:ProgramData
  if (-not $base) { $base = [IO.Path]::GetTempPath() }
  $Dir = Join-Path (Join-Path $base 'asr-deploy') $Job
}
$removed = @()
$left = @()
$targets = @($Paths)
if ($Dir) { $targets += $Dir }
foreach ($p in $targets) {
  if (-not $p) { continue }
  if (-not (Test-Path -LiteralPath $p)) { continue }
  try {
    Remove-Item -LiteralPath $p -Recurse -Force
    $removed += $p
  } catch {
    $left += $p
  }
}
@{ removed = $removed; left = $left } | ConvertTo-Json -Compress
