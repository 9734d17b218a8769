# discover-vmm.ps1: runs ON the VMM server. Prints one JSON document: the VMM server, its host
# groups, clouds, Hyper-V hosts (host group, cluster) and VMs, or {ok:false, error} when the
# virtualmachinemanager module (VMM console/server) is not there. Windows PowerShell 4.0 compatible.
param([string]$Server = 'localhost')
$ErrorActionPreference = 'Stop'

function Out-AsrJson($o) { ConvertTo-Json -InputObject $o -Depth 8 -Compress }
function Str($v) { if ($null -eq $v) { $null } else { [string]$v } }

if (-not (Get-Module -ListAvailable -Name virtualmachinemanager)) {
  return Out-AsrJson @{
    ok = $false
    error = @{
      code = 'vmm_module_missing'
      module = 'virtualmachinemanager'
      computer = [Environment]::MachineName
      psVersion = $PSVersionTable.PSVersion.ToString()
      message = 'The virtualmachinemanager PowerShell module is not installed on this computer.'
    }
  }
}
Import-Module virtualmachinemanager
$vmm = Get-SCVMMServer -ComputerName $Server

$groups = @(Get-SCVMHostGroup -VMMServer $vmm | ForEach-Object {
  @{ name = Str $_.Name; path = Str $_.Path; parent = $(if ($_.ParentHostGroup) { Str $_.ParentHostGroup.Path } else { $null }) }
})
$clouds = @(Get-SCCloud -VMMServer $vmm | ForEach-Object {
  @{ name = Str $_.Name; id = Str $_.ID; hostGroups = @($_.HostGroup | ForEach-Object { Str $_.Path }) }
})
$hosts = @(Get-SCVMHost -VMMServer $vmm | ForEach-Object {
  @{
    name = Str $_.Name
    computerName = Str $_.ComputerName
    fqdn = Str $_.FQDN
    hostGroup = $(if ($_.VMHostGroup) { Str $_.VMHostGroup.Path } else { $null })
    cluster = $(if ($_.HostCluster) { Str $_.HostCluster.Name } else { $null })
    platform = Str $_.VirtualizationPlatform
    os = $(if ($_.OperatingSystem) { Str $_.OperatingSystem.Name } else { $null })
    state = Str $_.OverallState
  }
})
$vms = @(Get-SCVirtualMachine -VMMServer $vmm | ForEach-Object {
  @{
    name = Str $_.Name
    id = Str $_.ID
    host = $(if ($_.VMHost) { Str $_.VMHost.Name } else { Str $_.HostName })
    cloud = $(if ($_.Cloud) { Str $_.Cloud.Name } else { $null })
    state = Str $_.VirtualMachineState
    os = $(if ($_.OperatingSystem) { Str $_.OperatingSystem.Name } else { $null })
  }
})

Out-AsrJson @{
  ok = $true
  server = @{ name = Str $vmm.Name; fqdn = Str $vmm.FQDN; version = Str $vmm.ProductVersion; port = $vmm.Port }
  hostGroups = $groups
  clouds = $clouds
  hosts = $hosts
  vms = $vms
}
