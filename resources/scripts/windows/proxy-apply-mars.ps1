# proxy-apply-mars.ps1: points the Microsoft Azure Recovery Services (MARS) agent at a proxy, as
# documented: Set-OBMachineSetting -ProxyServer … -ProxyPort … [-ProxyUsername … -ProxyPassword …],
# then restarts obengine (net stop obengine / net start obengine). The password arrives through the
# secrets channel. Windows PowerShell 4.0 compatible.
param([string]$ProxyAddress, [int]$ProxyPort, [string]$ProxyUser = '', [string]$ProxyPassword = '', [string]$ServiceName = 'obengine')
$ErrorActionPreference = 'Stop'
$ConfirmPreference = 'None'
if (-not (Get-Command Set-OBMachineSetting -ErrorAction SilentlyContinue)) {
  return ConvertTo-Json -Compress -InputObject @{ ok = $false; status = 'not_installed'; detail = 'Set-OBMachineSetting is not available: the MARS agent (MSOnlineBackup module) is not installed.' }
}
if ($ProxyUser) {
  # Char by char into a SecureString, not through the -AsPlainText conversion cmdlet; the string is dropped at once.
  $secure = New-Object System.Security.SecureString
  foreach ($ch in $ProxyPassword.ToCharArray()) { $secure.AppendChar($ch) }
  $secure.MakeReadOnly(); $ProxyPassword = $null; $ch = $null
  Set-OBMachineSetting -ProxyServer $ProxyAddress -ProxyPort $ProxyPort -ProxyUsername $ProxyUser -ProxyPassword $secure | Out-Null
} else {
  Set-OBMachineSetting -ProxyServer $ProxyAddress -ProxyPort $ProxyPort | Out-Null
}
Restart-Service -Name $ServiceName -Force
$svc = Get-Service -Name $ServiceName
ConvertTo-Json -Compress -InputObject @{ ok = ($svc.Status -eq 'Running'); status = $(if ($svc.Status -eq 'Running') { 'applied' } else { 'failed' }); service = $ServiceName; serviceStatus = [string]$svc.Status }
