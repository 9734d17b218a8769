# proxy-apply-provider.ps1: re-registers the Azure Site Recovery Provider with a proxy, the documented
# way: DRConfigurator.exe /r /Credentials … /FriendlyName … /proxyAddress … /proxyport …
# [/proxyUsername … /proxyPassword …]. The password arrives through the secrets channel; the vault
# credentials file was uploaded by the caller and is removed here whatever happens.
# Windows PowerShell 4.0 compatible.
param([string[]]$DRConfiguratorPaths = @(), [string]$VaultCredentialsPath, [string]$FriendlyName = '', [string]$ProxyAddress, [int]$ProxyPort, [string]$ProxyUser = '', [string]$ProxyPassword = '')
$ErrorActionPreference = 'Stop'
try {
  $exe = $null
  foreach ($p in $DRConfiguratorPaths) { if (Test-Path -LiteralPath $p) { $exe = $p; break } }
  if (-not $exe) {
    return ConvertTo-Json -Compress -InputObject @{ ok = $false; status = 'not_installed'; detail = 'DRConfigurator.exe was not found (looked in: ' + ($DRConfiguratorPaths -join '; ') + ')' }
  }
  if (-not $FriendlyName) { $FriendlyName = [Environment]::MachineName }
  $a = @('/r', '/Credentials', $VaultCredentialsPath, '/FriendlyName', $FriendlyName, '/proxyAddress', $ProxyAddress, '/proxyport', [string]$ProxyPort)
  if ($ProxyUser) { $a += @('/proxyUsername', $ProxyUser, '/proxyPassword', $ProxyPassword) }
  $out = (& $exe @a 2>&1 | Out-String)
  $code = $LASTEXITCODE
  if ($ProxyPassword) { $out = $out.Replace($ProxyPassword, '********') }
  if ($out.Length -gt 2000) { $out = $out.Substring($out.Length - 2000) }
  ConvertTo-Json -Compress -InputObject @{ ok = ($code -eq 0); status = $(if ($code -eq 0) { 'applied' } else { 'failed' }); exitCode = $code; path = $exe; output = $out }
} finally {
  if ($VaultCredentialsPath -and (Test-Path -LiteralPath $VaultCredentialsPath)) { Remove-Item -LiteralPath $VaultCredentialsPath -Force }
}
