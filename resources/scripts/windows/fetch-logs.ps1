# The tail of each installer log named by the catalog (environment variables and wildcards
# expanded), for the host log after a failure. Windows PowerShell 4.0 compatible. One JSON document.
param([string[]]$Paths = @(), [int]$TailLines = 200)
$ErrorActionPreference = 'Stop'
$logs = @()
foreach ($p in $Paths) {
  $expanded = [Environment]::ExpandEnvironmentVariables($p)
  $files = @(Get-ChildItem -Path $expanded -File -Force -ErrorAction SilentlyContinue | Sort-Object LastWriteTime -Descending | Select-Object -First 10)
  foreach ($f in $files) {
    $text = ''
    try { $text = (Get-Content -LiteralPath $f.FullName -Tail $TailLines -ErrorAction Stop) -join "`n" } catch { $text = "(unreadable: $($_.Exception.Message))" }
    $logs += @{ path = $f.FullName; text = $text }
  }
}
@{ logs = $logs } | ConvertTo-Json -Compress -Depth 4
