# Writes a secret (vault credentials, passphrase, proxy password) to a file that only
# Administrators and SYSTEM can read (0600 where there are no ACLs). The secret arrives as the
# parameter Secret through the transport's stdin channel, never in the script text or argv.
# Windows PowerShell 4.0 compatible. Prints one JSON document (without the secret).
param([Parameter(Mandatory = $true)][string]$Path, [Parameter(Mandatory = $true)][string]$Secret)
$ErrorActionPreference = 'Stop'
$onWindows = ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT)
$parent = Split-Path -Parent $Path
if (-not (Test-Path -LiteralPath $parent -PathType Container)) { throw "ASR:not_found:the folder $parent does not exist on the host" }
if (Test-Path -LiteralPath $Path) {
  $old = Get-Item -LiteralPath $Path -Force
  if ($old.Attributes -band [IO.FileAttributes]::ReparsePoint) { throw "ASR:permission_denied:$Path is a link; no secret is written through it" }
  Remove-Item -LiteralPath $Path -Force
}
# Created empty, restricted, then filled: the secret is never in a file others could read.
[IO.File]::WriteAllBytes($Path, (New-Object byte[] 0))
$acl = $null
if ($onWindows) {
  $fs = New-Object System.Security.AccessControl.FileSecurity
  $fs.SetAccessRuleProtection($true, $false)
  foreach ($sid in @('S-1-5-32-544', 'S-1-5-18')) {
    $id = New-Object System.Security.Principal.SecurityIdentifier($sid)
    $fs.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($id, 'FullControl', 'Allow')))
  }
  Set-Acl -LiteralPath $Path -AclObject $fs
  $acl = @((Get-Acl -LiteralPath $Path).Access | ForEach-Object { $_.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value + ':' + $_.FileSystemRights })
} else {
  & chmod 600 $Path
  $acl = @('mode:' + ((& stat -c '%a' $Path) -join ''))
}
$bytes = (New-Object System.Text.UTF8Encoding($false)).GetBytes($Secret)
[IO.File]::WriteAllBytes($Path, $bytes)
@{ path = (Resolve-Path -LiteralPath $Path).ProviderPath; bytes = $bytes.Length; acl = $acl } | ConvertTo-Json -Compress
