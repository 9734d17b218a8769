# Windows facts: what the host says about itself, read-only, as one JSON text.
#
# The script only reads: CIM classes, registry values, service states and the firewall's COM API.
# It does not interpret them: src-main/facts/windows.ts turns these observations into the shared
# facts document (src-main/model/facts.ts), so the rules live where they are unit-tested against
# recorded transcripts (test/fixtures/windows-facts/). A source that cannot be read is null and a
# line in "notes" says why; the script itself never fails on a missing cmdlet, class or key.
#
# Windows PowerShell 4.0 compatible (Windows Server 2008 R2 with WMF 4.0 and later): no `::new`,
# no `??`, no ternary, no pipeline chains, no -AsHashtable. Runs under pwsh on Linux too, where
# every Windows source is reported as unavailable.

$ErrorActionPreference = 'Stop'
$notes = New-Object System.Collections.ArrayList

function Add-Note([string]$What, $Err) {
  $text = $Err
  if ($Err -is [System.Management.Automation.ErrorRecord]) { $text = $Err.Exception.Message }
  # One line per note: the first line of the message says enough.
  [void]$notes.Add(('{0}: {1}' -f $What, ([string]$text).Split("`n")[0].Trim()))
}

# Selected properties of every instance of a CIM class (Get-WmiObject where CIM is missing).
function Read-Cim([string]$Class, [string[]]$Property, [string]$Filter) {
  try {
    $query = @{ ClassName = $Class; Property = $Property }
    if ($Filter) { $query.Filter = $Filter }
    $rows = @(Get-CimInstance @query)
  } catch {
    Add-Note "CIM $Class" $_
    return $null
  }
  $out = New-Object System.Collections.ArrayList
  foreach ($r in $rows) {
    $h = @{}
    foreach ($p in $Property) { $h[$p] = $r.$p }
    [void]$out.Add($h)
  }
  return ,$out.ToArray()
}

# One registry key: @{ exists; values } with the named values that are present (binary as base64);
# null when it cannot be read (and a note says why).
function Read-Reg([string]$Path, [string[]]$Name) {
  try {
    if (-not (Test-Path -LiteralPath $Path)) { return @{ exists = $false; values = @{} } }
    $key = Get-Item -LiteralPath $Path
    $h = @{}
    foreach ($n in @($Name)) {
      if (-not $n) { continue }
      $v = $key.GetValue($n, $null, 'DoNotExpandEnvironmentNames')
      if ($null -ne $v) {
        if ($v -is [byte[]]) { $v = [Convert]::ToBase64String($v) }
        $h[$n] = $v
      }
    }
    return @{ exists = $true; values = $h }
  } catch {
    Add-Note "registry $Path" $_
    return $null
  }
}

$obs = @{ schema = 'asr-windows-observations/1' }
$obs.collectedAt = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
$obs.platform = [string][Environment]::OSVersion.Platform
$obs.powerShellVersion = $PSVersionTable.PSVersion.ToString()
$obs.computerName = [Environment]::MachineName
$obs.env = @{ SystemDrive = $env:SystemDrive; SystemRoot = $env:SystemRoot; ProgramFiles = $env:ProgramFiles; ProgramFilesX86 = ${env:ProgramFiles(x86)} }

try { $obs.dnsHostName = [Net.Dns]::GetHostEntry('').HostName } catch { Add-Note 'DNS host name' $_; $obs.dnsHostName = $null }

# ---- who we are -------------------------------------------------------------------------------
try {
  $id = [Security.Principal.WindowsIdentity]::GetCurrent()
  $principal = New-Object Security.Principal.WindowsPrincipal($id)
  $obs.identity = @{ name = $id.Name; isAdmin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator) }
} catch {
  Add-Note 'identity' $_
  $obs.identity = $null
}

# ---- CIM ----------------------------------------------------------------------------------------
$cim = @{}
$cim.Win32_OperatingSystem = Read-Cim 'Win32_OperatingSystem' @('Caption', 'Version', 'BuildNumber', 'OSArchitecture', 'ServicePackMajorVersion', 'CSDVersion', 'SystemDrive', 'WindowsDirectory')
$cim.Win32_ComputerSystem = Read-Cim 'Win32_ComputerSystem' @('Name', 'DNSHostName', 'Domain', 'PartOfDomain')
$cim.Win32_NetworkAdapterConfiguration = Read-Cim 'Win32_NetworkAdapterConfiguration' @('Index', 'Description', 'IPAddress') 'IPEnabled = TRUE'
$cim.Win32_NetworkAdapter = Read-Cim 'Win32_NetworkAdapter' @('Index', 'NetConnectionID')
$cim.Win32_Volume = Read-Cim 'Win32_Volume' @('Name', 'DriveLetter', 'DeviceID', 'FileSystem', 'Capacity', 'FreeSpace') 'DriveType = 3'
$cim.Win32_DiskDrive = Read-Cim 'Win32_DiskDrive' @('Index', 'DeviceID', 'Size')
$cim.Win32_DiskPartition = Read-Cim 'Win32_DiskPartition' @('DiskIndex', 'DeviceID', 'Type', 'BootPartition')
# Which partition holds which drive letter: references reduced to their key (DeviceID).
try {
  $links = New-Object System.Collections.ArrayList
  foreach ($l in @(Get-CimInstance -ClassName Win32_LogicalDiskToPartition)) {
    [void]$links.Add(@{ partition = [string]$l.Antecedent.DeviceID; logicalDisk = [string]$l.Dependent.DeviceID })
  }
  $cim.Win32_LogicalDiskToPartition = $links.ToArray()
} catch {
  Add-Note 'CIM Win32_LogicalDiskToPartition' $_
  $cim.Win32_LogicalDiskToPartition = $null
}
$cim.Win32_OptionalFeature = Read-Cim 'Win32_OptionalFeature' @('Name', 'InstallState') "Name = 'Microsoft-Hyper-V'"
$obs.cim = $cim

# ---- services (documented short names) ---------------------------------------------------------
$services = @{}
foreach ($name in @('svagents', 'dra', 'obengine', 'vmms', 'Winmgmt')) {
  try {
    $s = Get-Service -Name $name -ErrorAction SilentlyContinue
    if ($s) { $services[$name] = [string]$s.Status } else { $services[$name] = 'Absent' }
  } catch {
    Add-Note "service $name" $_
    $services[$name] = $null
  }
}
$obs.services = $services

# ---- registry -------------------------------------------------------------------------------------
$hasRegistry = $false
try { $hasRegistry = [bool](Get-PSDrive -Name HKLM -PSProvider Registry -ErrorAction SilentlyContinue) } catch { }
if ($hasRegistry) {
  $reg = @{}
  $reg.tokenFilter = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' @('LocalAccountTokenFilterPolicy')
  $reg.netFx4 = Read-Reg 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' @('Release', 'Version')
  $reg.netFx35 = Read-Reg 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v3.5' @('Install', 'Version', 'SP')
  $reg.winHttp = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections' @('WinHttpSettings')
  $reg.sessionManager = Read-Reg 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' @('PendingFileRenameOperations')
  $reg.rebootPendingCbs = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' @()
  $reg.rebootRequiredWu = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired' @()
  # Mobility service (Microsoft's SCCM sample, asr-components.md 3.5): configuration status, install dir.
  $reg.inMageAgent = Read-Reg 'HKLM:\SOFTWARE\Wow6432Node\InMage Systems\Installed Products\5' @('AgentConfigurationStatus', 'PostInstallActions', 'InstallDirectory')
  if ($reg.inMageAgent -and -not $reg.inMageAgent.exists) { $reg.inMageAgent = Read-Reg 'HKLM:\SOFTWARE\InMage Systems\Installed Products\5' @('AgentConfigurationStatus', 'PostInstallActions', 'InstallDirectory') }
  # Provider: registration key (1.4) and the VMM flavour's install marker (1.2).
  $reg.asrRegistration = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Azure Site Recovery\Registration' @()
  $reg.vmmDrAdapter = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Microsoft System Center Virtual Machine Manager Server\DRAdapter' @()
  $reg.vmmServer = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Microsoft System Center Virtual Machine Manager Server' @()
  # MARS: install path (third-party scripts, 2.3), for the cbengine.exe file version.
  $reg.marsSetup = Read-Reg 'HKLM:\SOFTWARE\Microsoft\Windows Azure Backup\Setup' @('InstallPath')
  # Proxy the Provider/CS was set up with (1.4). Its value names are not documented; passwords are never read.
  $proxyKey = 'HKLM:\SOFTWARE\Microsoft\Azure Site Recovery\ProxySettings'
  try {
    $names = @()
    if (Test-Path -LiteralPath $proxyKey) { $names = @((Get-Item -LiteralPath $proxyKey).GetValueNames() | Where-Object { $_ -notmatch 'pass|secret|cred' }) }
    $reg.asrProxy = Read-Reg $proxyKey $names
  } catch { Add-Note "registry $proxyKey" $_; $reg.asrProxy = $null }
  $obs.registry = $reg

  # Programs and Features entries of ASR, MARS and VMM (both registry views).
  $uninstall = New-Object System.Collections.ArrayList
  foreach ($root in @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall')) {
    try {
      if (-not (Test-Path -LiteralPath $root)) { continue }
      foreach ($k in @(Get-ChildItem -LiteralPath $root)) {
        $dn = [string]$k.GetValue('DisplayName', '')
        $key = $k.PSChildName
        if ($key -eq '{275197FC-14FD-4560-A5EB-38217F80CBD1}' -or $dn -match 'Site Recovery|Recovery Services Agent|InMage|Virtual Machine Manager') {
          [void]$uninstall.Add(@{ key = $key; displayName = $dn; displayVersion = [string]$k.GetValue('DisplayVersion', ''); installLocation = [string]$k.GetValue('InstallLocation', '') })
        }
      }
    } catch { Add-Note "registry $root" $_ }
  }
  $obs.uninstall = $uninstall.ToArray()

  if ($reg.marsSetup -and $reg.marsSetup.values.InstallPath) {
    try {
      $exe = Join-Path $reg.marsSetup.values.InstallPath 'bin\cbengine.exe'
      if (Test-Path -LiteralPath $exe) { $obs.marsEngineVersion = (Get-Item -LiteralPath $exe).VersionInfo.FileVersion }
    } catch { Add-Note 'cbengine.exe version' $_ }
  }
} else {
  Add-Note 'registry' 'no HKLM: drive in this PowerShell'
  $obs.registry = $null
  $obs.uninstall = $null
}

# ---- firewall (HNetCfg.FwPolicy2: the same API on 2008 R2 and later; groups by resource id) ----
try {
  $fw = New-Object -ComObject HNetCfg.FwPolicy2
  $current = [int]$fw.CurrentProfileTypes
  $profiles = New-Object System.Collections.ArrayList
  foreach ($bit in @(1, 2, 4)) {
    if ($current -band $bit) { [void]$profiles.Add(@{ type = $bit; enabled = [bool]$fw.FirewallEnabled($bit) }) }
  }
  $groups = @{}
  foreach ($g in @('@FirewallAPI.dll,-28502', '@FirewallAPI.dll,-34251')) {
    $rules = New-Object System.Collections.ArrayList
    foreach ($r in @($fw.Rules | Where-Object { $_.Grouping -eq $g })) {
      [void]$rules.Add(@{ name = [string]$r.Name; direction = [int]$r.Direction; enabled = [bool]$r.Enabled; profiles = [int]$r.Profiles; protocol = [int]$r.Protocol; localPorts = [string]$r.LocalPorts })
    }
    $groups[$g] = @{ enabled = [bool]$fw.IsRuleGroupEnabled($current, $g); rules = $rules.ToArray() }
  }
  $obs.firewall = @{ currentProfileTypes = $current; profiles = $profiles.ToArray(); groups = $groups }
} catch {
  Add-Note 'firewall (HNetCfg.FwPolicy2)' $_
  $obs.firewall = $null
}

$obs.notes = $notes.ToArray()
ConvertTo-Json -InputObject $obs -Depth 8 -Compress
