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
# Both %ProgramData%\asr-deploy and the job's folder: owner Administrators (or SYSTEM), protected ACL
# (no inherited entries: ProgramData lets Users create folders), Administrators + SYSTEM only.
if ($onWindows) {
  $admins = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')
  $system = New-Object System.Security.Principal.SecurityIdentifier('S-1-5-18')
}
function New-StagingAcl {
  $acl = New-Object System.Security.AccessControl.DirectorySecurity
  $acl.SetOwner($admins)
  $acl.SetAccessRuleProtection($true, $false)
  foreach ($id in @($admins, $system)) {
    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($id, 'FullControl', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
  }
  return ,$acl
}
foreach ($p in @($root, $dir)) {
  if (Test-Path -LiteralPath $p) {
    $item = Get-Item -LiteralPath $p -Force
    if (($item.Attributes -band [IO.FileAttributes]::ReparsePoint) -or -not $item.PSIsContainer) { throw "ASR:permission_denied:$p is a link or a file; it is not used as a staging folder" }
    if ($onWindows) {
      # A folder someone else made first (a user can create it under ProgramData) is not ours to use.
      $owner = (Get-Acl -LiteralPath $p).GetOwner([System.Security.Principal.SecurityIdentifier])
      if (-not ($owner.Equals($admins) -or $owner.Equals($system))) { throw "ASR:permission_denied:$p is owned by $($owner.Value), not Administrators or SYSTEM; it is not used as a staging folder (an administrator should remove it)" }
    }
  } elseif ($onWindows) {
    # Created with its ACL in one call: there is no moment with the inherited ACL.
    if ($PSVersionTable.PSEdition -eq 'Core') { [void][IO.FileSystemAclExtensions]::Create((New-Object IO.DirectoryInfo($p)), (New-StagingAcl)) }
    else { [void][IO.Directory]::CreateDirectory($p, (New-StagingAcl)) }
  } else {
    New-Item -ItemType Directory -Path $p -Force | Out-Null
  }
  if ($onWindows) { Set-Acl -LiteralPath $p -AclObject (New-StagingAcl) }
  else { & chmod 700 $p }
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
