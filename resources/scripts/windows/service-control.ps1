# Stops, starts or reads a Windows service by its short name (the VMM service around Provider
# setup) and waits for the state. A host without the service answers exists = false.
# Windows PowerShell 4.0 compatible. Prints one JSON document.
param([Parameter(Mandatory = $true)][string]$Name, [ValidateSet('status', 'stop', 'start')][string]$Action = 'status', [int]$TimeoutSeconds = 300)
$ErrorActionPreference = 'Stop'
$svc = $null
if (Get-Command Get-Service -ErrorAction SilentlyContinue) { $svc = Get-Service -Name $Name -ErrorAction SilentlyContinue }
if (-not $svc) {
  @{ name = $Name; exists = $false; before = $null; status = $null } | ConvertTo-Json -Compress
  return
}
$before = [string]$svc.Status
if ($Action -eq 'stop' -and $svc.Status -ne 'Stopped') {
  Stop-Service -Name $Name -Force
  $svc.WaitForStatus('Stopped', [TimeSpan]::FromSeconds($TimeoutSeconds))
}
if ($Action -eq 'start' -and $svc.Status -ne 'Running') {
  Start-Service -Name $Name
  $svc.WaitForStatus('Running', [TimeSpan]::FromSeconds($TimeoutSeconds))
}
$svc.Refresh()
@{ name = $Name; exists = $true; before = $before; status = [string]$svc.Status } | ConvertTo-Json -Compress
