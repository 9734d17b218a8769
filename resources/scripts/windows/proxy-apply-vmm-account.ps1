# proxy-apply-vmm-account.ps1: on a VMM server, creates or updates the DRAProxyAccount Run As account
# with the proxy credential (what the Provider set-up creates for a custom proxy), then restarts the
# VMM service so the setting takes effect (documented: "You'll need to restart the VMM service").
# The password arrives through the secrets channel. Windows PowerShell 4.0 compatible.
param([string]$AccountName = 'DRAProxyAccount', [string]$ProxyUser, [string]$ProxyPassword, [string]$ServiceDisplayName = 'System Center Virtual Machine Manager Service')
$ErrorActionPreference = 'Stop'
$ConfirmPreference = 'None'
if (-not (Get-Module -ListAvailable -Name virtualmachinemanager)) {
  return ConvertTo-Json -Compress -InputObject @{ ok = $false; status = 'not_installed'; detail = 'The virtualmachinemanager module is not installed: this is not a VMM server.' }
}
Import-Module virtualmachinemanager
$vmm = Get-SCVMMServer -ComputerName localhost
# Char by char into a SecureString, not through the -AsPlainText conversion cmdlet; the string is dropped at once.
$secure = New-Object System.Security.SecureString
foreach ($ch in $ProxyPassword.ToCharArray()) { $secure.AppendChar($ch) }
$secure.MakeReadOnly(); $ProxyPassword = $null; $ch = $null
$cred = New-Object System.Management.Automation.PSCredential($ProxyUser, $secure)
$account = Get-SCRunAsAccount -VMMServer $vmm -Name $AccountName
if ($account) {
  Set-SCRunAsAccount -RunAsAccount $account -Credential $cred | Out-Null
  $action = 'updated'
} else {
  New-SCRunAsAccount -VMMServer $vmm -Name $AccountName -Credential $cred -Description 'Proxy credentials of the Azure Site Recovery Provider (asr-deploy proxy apply)' | Out-Null
  $action = 'created'
}
$svc = Get-Service | Where-Object { $_.DisplayName -eq $ServiceDisplayName } | Select-Object -First 1
if (-not $svc) {
  return ConvertTo-Json -Compress -InputObject @{ ok = $false; status = 'failed'; account = $action; detail = "DRAProxyAccount $action, but no service named '$ServiceDisplayName' was found to restart." }
}
Restart-Service -InputObject $svc -Force
$svc = Get-Service -Name $svc.Name
ConvertTo-Json -Compress -InputObject @{ ok = ($svc.Status -eq 'Running'); status = $(if ($svc.Status -eq 'Running') { 'applied' } else { 'failed' }); account = $action; service = [string]$svc.Name; serviceStatus = [string]$svc.Status }
