# discover-hyperv.ps1: runs ON a Hyper-V host. Prints one JSON document: the role, the host's
# version, its cluster (when clustered) and its VMs, or {ok:false, error} when the Hyper-V role or
# its PowerShell module is missing. Windows PowerShell 4.0 compatible.
$ErrorActionPreference = 'Stop'

function Out-AsrJson($o) { ConvertTo-Json -InputObject $o -Depth 8 -Compress }
function Str($v) { if ($null -eq $v) { $null } else { [string]$v } }
function Missing($code, $message) {
  Out-AsrJson @{ ok = $false; error = @{ code = $code; computer = [Environment]::MachineName; psVersion = $PSVersionTable.PSVersion.ToString(); message = $message } }
}

# Server SKUs: Get-WindowsFeature says whether the role is installed; without ServerManager
# (client SKU, Server Core without it, not Windows) only the Hyper-V module can tell.
$roleInstalled = $null
if (Get-Command Get-WindowsFeature -ErrorAction SilentlyContinue) {
  $f = Get-WindowsFeature -Name Hyper-V
  $roleInstalled = [bool]($f -and $f.Installed)
  if (-not $roleInstalled) { return Missing 'hyperv_role_missing' 'The Hyper-V role is not installed on this server.' }
}
if (-not (Get-Command Get-VMHost -ErrorAction SilentlyContinue)) {
  if ($roleInstalled) { return Missing 'hyperv_module_missing' 'The Hyper-V role is installed but its PowerShell module (Hyper-V Module for Windows PowerShell) is not.' }
  return Missing 'hyperv_role_missing' 'Neither the Hyper-V role nor its PowerShell module (Get-VMHost) is present on this computer.'
}

$vmHost = Get-VMHost
$os = Get-WmiObject -Class Win32_OperatingSystem
$cs = Get-WmiObject -Class Win32_ComputerSystem
$vmmsVersion = $null
$vmms = Join-Path $env:SystemRoot 'System32\vmms.exe'
if (Test-Path $vmms) { $vmmsVersion = Str (Get-Item $vmms).VersionInfo.ProductVersion }
$cluster = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) {
  try { $c = Get-Cluster; if ($c) { $cluster = Str $c.Name } } catch { $cluster = $null }
}
$vms = @(Get-VM | ForEach-Object {
  @{ name = Str $_.Name; id = Str $_.VMId; state = Str $_.State; generation = $_.Generation; version = Str $_.Version; replicationState = Str $_.ReplicationState }
})

Out-AsrJson @{
  ok = $true
  computer = Str $vmHost.ComputerName
  fqdn = $(if ($cs.Domain -and $cs.PartOfDomain) { (Str $cs.DNSHostName) + '.' + (Str $cs.Domain) } else { Str $cs.DNSHostName })
  os = @{ caption = Str $os.Caption; version = Str $os.Version; build = Str $os.BuildNumber }
  hyperv = @{ installed = $true; version = $vmmsVersion; logicalProcessors = $vmHost.LogicalProcessorCount; memoryBytes = $vmHost.MemoryCapacity; vmPath = Str $vmHost.VirtualMachinePath }
  cluster = $cluster
  vms = $vms
}
