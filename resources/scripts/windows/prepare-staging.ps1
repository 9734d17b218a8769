# Creates the job's private staging folder on the target: %ProgramData%\asr-deploy\<job>, readable
# by Administrators and SYSTEM only (elsewhere 0700), and reports its free space.
# Windows PowerShell 4.0 compatible. Prints one JSON document.
param([Parameter(Mandatory = $true)][string]$Job)
$ErrorActionPreference = 'Stop'
if ($Job -notmatch '^[A-Za-z0-9_.-]{1,64}$') { throw "ASR:validation:the job id is not a plain name" }
$onWindows = ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT)
$base = $env:ProgramData
if (-not $base) { $base = [IO.Path]::GetTempPath() }
$root = Join-Path $base 'asr-deploy'
$dir = Join-Path $root $Job
foreach ($p in @($root, $dir)) {
  if (Test-Path -LiteralPath $p) {
    $item = Get-Item -LiteralPath $p -Force
    if (($item.Attributes -band [IO.FileAttributes]::ReparsePoint) -or -not $item.PSIsContainer) { throw "ASR:permission_denied:$p is a link or a file; it is not used as a staging folder" }
  } else {
    New-Item -ItemType Directory -Path $p -Force | Out-Null
  }
}
if ($onWindows) {
  $acl = New-Object System.Security.AccessControl.DirectorySecurity
  $acl.SetAccessRuleProtection($true, $false)
  foreach ($sid in @('S-1-5-32-544', 'S-1-5-18')) {
    $id = New-Object System.Security.Principal.SecurityIdentifier($sid)
    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($id, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
  }
  Set-Acl -LiteralPath $dir -AclObject $acl
} else {
  & chmod 700 $dir
}
New-Item -ItemType Directory -Path (Join-Path $dir 'steps') -Force | Out-Null
New-Item -ItemType Directory -Path (Join-Path $dir 'x') -Force | Out-Null
$full = (Resolve-Path -LiteralPath $dir).ProviderPath
$free = $null
try {
  $drive = New-Object System.IO.DriveInfo((Split-Path -Qualifier $full))
  $free = [long]$drive.AvailableFreeSpace
} catch {
  try { $free = [long](New-Object System.IO.DriveInfo($full)).AvailableFreeSpace } catch { $free = $null }
}
@{ dir = $full; freeBytes = $free; windows = $onWindows } | ConvertTo-Json -Compress
