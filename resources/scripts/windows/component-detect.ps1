# What is installed of one ASR component, from the catalog's detection data (registry markers,
# MSI product code, version file, configured marker, services). Changes nothing.
# Windows PowerShell 4.0 compatible. Prints one JSON document.
param(
  [string[]]$RegistryKeys = @(),
  [string]$ProductCode = '',
  [string]$InstallDirKey = '',
  [string]$InstallDirValue = '',
  [string]$DefaultInstallDir = '',
  [string[]]$VersionFiles = @(),
  [string]$ConfiguredKey = '',
  [string]$ConfiguredValue = '',
  [string]$ConfiguredEquals = '',
  [string[]]$Services = @(),
  [string]$VmmService = ''
)
$ErrorActionPreference = 'Stop'
function Get-RegValue([string]$Key, [string]$Value) {
  try { return (Get-ItemProperty -LiteralPath $Key -Name $Value -ErrorAction Stop).$Value } catch { return $null }
}
function Test-Key([string]$Key) {
  try { return [bool](Test-Path -LiteralPath $Key -ErrorAction Stop) } catch { return $false }
}
function Get-ServiceState([string]$Name) {
  if (-not (Get-Command Get-Service -ErrorAction SilentlyContinue)) { return 'absent' }
  $s = Get-Service -Name $Name -ErrorAction SilentlyContinue
  if (-not $s) { return 'absent' }
  if ($s.Status -eq 'Running') { return 'running' }
  return 'stopped'
}

$markers = @()
foreach ($k in $RegistryKeys) { if (Test-Key $k) { $markers += $k } }

# VMM server: the VMM service's program folder is VMM's bin folder (where DRConfigurator.exe goes).
$vmm = $null
if ($VmmService) {
  $state = Get-ServiceState $VmmService
  $bin = $null
  if ($state -ne 'absent') {
    try {
      $w = Get-WmiObject -Class Win32_Service -ErrorAction Stop | Where-Object { $_.Name -eq $VmmService } | Select-Object -First 1
      if ($w -and $w.PathName) {
        $exe = $w.PathName.Trim()
        if ($exe.StartsWith('"')) { $exe = $exe.Substring(1, $exe.IndexOf('"', 1) - 1) } else { $exe = ($exe -split ' ')[0] }
        $bin = Split-Path -Parent $exe
      }
    } catch { $bin = $null }
  }
  $vmm = @{ service = $VmmService; state = $state; binDir = $bin }
}

$productVersion = $null
$productFound = $false
if ($ProductCode) {
  foreach ($root in @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall')) {
    $k = Join-Path $root $ProductCode
    if (Test-Key $k) {
      $productFound = $true
      $v = Get-RegValue $k 'DisplayVersion'
      if ($v) { $productVersion = [string]$v }
      $markers += $k
      break
    }
  }
}

$installDir = $null
if ($InstallDirKey -and $InstallDirValue) { $installDir = Get-RegValue $InstallDirKey $InstallDirValue }
if (-not $installDir) { $installDir = $DefaultInstallDir }
if ($installDir) { $installDir = ([string]$installDir).TrimEnd('\') }

$fileVersion = $null
$versionFile = $null
foreach ($f in $VersionFiles) {
  $path = $f
  if ($f.StartsWith('{vmmBin}')) {
    if (-not $vmm -or -not $vmm.binDir) { continue }
    $path = $vmm.binDir + $f.Substring(8)
  } elseif (-not [IO.Path]::IsPathRooted($f)) {
    if (-not $installDir) { continue }
    $path = Join-Path $installDir $f
  }
  if (Test-Path -LiteralPath $path -PathType Leaf) {
    $vi = (Get-Item -LiteralPath $path).VersionInfo
    $fileVersion = '{0}.{1}.{2}.{3}' -f $vi.FileMajorPart, $vi.FileMinorPart, $vi.FileBuildPart, $vi.FilePrivatePart
    $versionFile = $path
    break
  }
}

$installed = ($markers.Count -gt 0) -or $productFound -or ($null -ne $versionFile)
$version = $productVersion
if (-not $version) { $version = $fileVersion }

$configured = $null
if ($ConfiguredKey) {
  if ($ConfiguredValue) {
    $cv = Get-RegValue $ConfiguredKey $ConfiguredValue
    if ($ConfiguredEquals) { $configured = ([string]$cv -eq $ConfiguredEquals) } else { $configured = [bool]$cv }
  } else {
    $configured = Test-Key $ConfiguredKey
  }
}

$states = @{}
foreach ($s in $Services) { $states[$s] = Get-ServiceState $s }
$service = $null
if ($Services.Count -gt 0) {
  $vals = @($states.Values)
  if (@($vals | Where-Object { $_ -eq 'absent' }).Count -eq $vals.Count) { $service = 'absent' }
  elseif (@($vals | Where-Object { $_ -ne 'running' }).Count -eq 0) { $service = 'running' }
  else { $service = 'stopped' }
}
if (-not $installed) { $installDir = $null }

@{ installed = $installed; version = $version; configured = $configured; service = $service; installDir = $installDir;
   services = $states; markers = $markers; versionFile = $versionFile; vmm = $vmm } | ConvertTo-Json -Compress -Depth 4
