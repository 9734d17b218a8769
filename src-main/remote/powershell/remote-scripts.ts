/**
 * Script blocks the transport runs on the target through Invoke-Command. Windows PowerShell 4.0
 * compatible (no `::new`, no `?.`, no `$cmd.Source`), and they also run under pwsh on Linux (the
 * lab's SSH remoting host). Values arrive as Invoke-Command arguments (serialized data), never
 * spliced into the text. A recognised condition is thrown as `ASR:<code>:<text>`.
 */

/** Facts about the session's remote process, so a lost session can be found and reaped. */
export const SESSION_INFO = String.raw`
$envKb = $null
try { $envKb = [int](Get-Item WSMan:\localhost\MaxEnvelopeSizekb -ErrorAction Stop).Value } catch { }
$me = Get-Process -Id $PID
@{ pid = $PID; started = $me.StartTime.ToUniversalTime().ToString('o'); ps = $PSVersionTable.PSVersion.ToString();
   windows = ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT); maxEnvelopeKb = $envKb;
   computer = [Environment]::MachineName; user = [Environment]::UserName; temp = [IO.Path]::GetTempPath() }
`;

/** `& $exe @args` with the program and arguments as data; output split into stdout/stderr; exit code. */
export const EXEC = String.raw`
param([string]$Exe, [string[]]$ArgList, $StdinText, [string]$Cwd, $EnvVars)
$ErrorActionPreference = 'Continue'
if ($null -eq $ArgList) { $ArgList = @() }
foreach ($a in $ArgList) { if ($a -eq '--%') { throw "ASR:validation:the argument --% is PowerShell's stop-parsing token and cannot be passed to a program" } }
$legacy = ($PSVersionTable.PSVersion.Major -lt 7) -or (($PSVersionTable.PSVersion.Major -eq 7) -and ($PSVersionTable.PSVersion.Minor -lt 3))
if ($legacy -and ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT)) {
  foreach ($a in $ArgList) {
    if ($a -eq '' -or $a.Contains('"')) { throw "ASR:validation:Windows PowerShell $($PSVersionTable.PSVersion) cannot pass an empty argument or one containing a double quote to a program unchanged" }
  }
}
# Bounded like the SSH transport's capture (remote/output-capture.ts): the first HeadMax and the
# last TailMax characters, the middle replaced by one marker line; our JSON results are the last lines.
$HeadMax = 65536
$TailMax = 983040
function __AsrCap { @{ head = New-Object System.Text.StringBuilder; tail = New-Object 'System.Collections.Generic.Queue[string]'; tailLen = 0; dropped = 0 } }
function __AsrCapAdd($c, [string]$line) {
  if ($c.head.Length -lt $HeadMax) { [void]$c.head.AppendLine($line); return }
  if ($line.Length -gt $TailMax) { $c.dropped += $line.Length - $TailMax; $line = $line.Substring($line.Length - $TailMax) }
  $c.tail.Enqueue($line); $c.tailLen += $line.Length + 1
  while ($c.tailLen -gt $TailMax) { $d = $c.tail.Dequeue(); $c.tailLen -= $d.Length + 1; $c.dropped += $d.Length + 1 }
}
function __AsrCapText($c) {
  $sb = $c.head
  if ($c.dropped) { [void]$sb.AppendLine(''); [void]$sb.AppendLine("[asr-deploy: $($c.dropped) characters of output dropped here; the whole output is in the host's log when it was streamed there]") }
  foreach ($l in $c.tail) { [void]$sb.AppendLine($l) }
  $sb.ToString()
}
$out = __AsrCap
$err = __AsrCap
$saved = @{}
$here = (Get-Location).Path
try {
  if ($Cwd) { Set-Location -LiteralPath $Cwd -ErrorAction Stop }
  if ($EnvVars) { foreach ($k in @($EnvVars.Keys)) { $saved[$k] = [Environment]::GetEnvironmentVariable($k, 'Process'); [Environment]::SetEnvironmentVariable($k, [string]$EnvVars[$k], 'Process') } }
  $cmd = Get-Command -Name $Exe -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
  if (-not $cmd) { throw "ASR:not_found:the program $Exe was not found on the host" }
  $global:LASTEXITCODE = 0
  $sw = [Diagnostics.Stopwatch]::StartNew()
  # Streamed through the pipeline, not collected first: the host holds the cap, not the whole output.
  $keep = {
    process {
      if ($null -eq $_) { return }
      if ($_ -is [System.Management.Automation.ErrorRecord]) { __AsrCapAdd $err $_.ToString() } else { __AsrCapAdd $out ([string]$_) }
    }
  }
  if ($null -ne $StdinText) { $StdinText | & $cmd.Path @ArgList 2>&1 | & $keep } else { & $cmd.Path @ArgList 2>&1 | & $keep }
  $code = $LASTEXITCODE
  @{ exitCode = [int]$code; stdout = (__AsrCapText $out); stderr = (__AsrCapText $err); ms = $sw.ElapsedMilliseconds }
} finally {
  foreach ($k in @($saved.Keys)) { [Environment]::SetEnvironmentVariable($k, $saved[$k], 'Process') }
  Set-Location -LiteralPath $here
}
`;

/** Before an upload: the directory exists, room for the file (a file being replaced frees its own). */
export const PREPARE_UPLOAD = String.raw`
param([string]$Path, [long]$Size, [string]$Partial)
$dir = Split-Path -Parent $Path
if (-not (Test-Path -LiteralPath $dir -PathType Container)) { throw "ASR:not_found:the directory $dir does not exist on the host" }
$full = (Resolve-Path -LiteralPath $dir).ProviderPath
$free = $null; $best = $null
foreach ($d in [IO.DriveInfo]::GetDrives()) {
  try {
    $r = $d.RootDirectory.FullName
    if ($d.IsReady -and $full.StartsWith($r, [StringComparison]::OrdinalIgnoreCase) -and ($null -eq $best -or $r.Length -gt $best.Length)) { $best = $r; $free = $d.AvailableFreeSpace }
  } catch { }
}
$old = 0
if (Test-Path -LiteralPath $Path -PathType Leaf) { $old = (Get-Item -LiteralPath $Path).Length }
if (Test-Path -LiteralPath $Partial) { Remove-Item -LiteralPath $Partial -Force }
if ($null -ne $free -and ($free + $old) -lt $Size) { throw "ASR:disk_full:not enough space in $dir for $Size bytes ($free available)" }
@{ free = $free; volume = $best }
`;

/** One chunk of an upload, written at its offset (a retried chunk overwrites, never appends twice). */
export const WRITE_CHUNK = String.raw`
param([string]$Path, [byte[]]$Bytes, [long]$Offset)
$f = [IO.File]::Open($Path, [IO.FileMode]::OpenOrCreate, [IO.FileAccess]::Write, [IO.FileShare]::None)
try {
  if ($f.Length -lt $Offset) { throw "ASR:command_failed:$Path holds $($f.Length) bytes, a chunk for offset $Offset cannot follow" }
  $f.SetLength($Offset); $f.Position = $Offset; $f.Write($Bytes, 0, $Bytes.Length)
} finally { $f.Dispose() }
`;

/** Parallel upload: the partial file at its full size first, so every session writes at its own offset. */
export const PREALLOCATE_UPLOAD = String.raw`
param([string]$Partial, [long]$Size)
$f = [IO.File]::Open($Partial, [IO.FileMode]::Create, [IO.FileAccess]::Write, [IO.FileShare]::ReadWrite)
try { $f.SetLength($Size) } finally { $f.Dispose() }
@{ bytes = $Size }
`;

/**
 * One chunk of a parallel upload: its SHA-256 is checked against the workstation's before it is
 * written at its offset into the preallocated file (shared for writing: other sessions write other
 * ranges). A retried chunk overwrites its own range.
 */
export const WRITE_AT = String.raw`
param([string]$Path, [byte[]]$Bytes, [long]$Offset, [string]$Sha256)
if ($null -eq $Bytes) { $Bytes = New-Object byte[] 0 }
$alg = [Security.Cryptography.SHA256]::Create()
try { $h = [BitConverter]::ToString($alg.ComputeHash($Bytes)).Replace('-', '').ToLowerInvariant() } finally { $alg.Dispose() }
if ($h -ne $Sha256) { throw "ASR:hash_mismatch:the chunk at offset $Offset of $Path arrived with SHA-256 $h, expected $Sha256" }
$f = [IO.File]::Open($Path, [IO.FileMode]::Open, [IO.FileAccess]::Write, [IO.FileShare]::ReadWrite)
try {
  if ($f.Length -lt ($Offset + $Bytes.Length)) { throw "ASR:command_failed:$Path holds $($f.Length) bytes, the chunk at offset $Offset does not fit: the file was not preallocated" }
  $f.Position = $Offset; $f.Write($Bytes, 0, $Bytes.Length)
} finally { $f.Dispose() }
`;

/** Removes an upload's partial file (a failed or cancelled upload). */
export const REMOVE_PARTIAL = String.raw`
param([string]$Partial)
if (Test-Path -LiteralPath $Partial) { Remove-Item -LiteralPath $Partial -Force }
@{ removed = $true }
`;

/** After an upload: the target's own SHA-256; the file takes its final name only when it matches. */
export const FINISH_UPLOAD = String.raw`
param([string]$Partial, [string]$Final, [string]$Expected)
$h = (Get-FileHash -LiteralPath $Partial -Algorithm SHA256).Hash.ToLowerInvariant()
if ($Expected -and $h -ne $Expected) {
  Remove-Item -LiteralPath $Partial -Force -ErrorAction SilentlyContinue
  throw "ASR:hash_mismatch:$Final has SHA-256 $h after the copy, expected $Expected; the file was removed"
}
Move-Item -LiteralPath $Partial -Destination $Final -Force
@{ sha256 = $h; bytes = (Get-Item -LiteralPath $Final).Length }
`;

export const FILE_HASH = String.raw`
param([string]$Path)
if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { throw "ASR:not_found:$Path does not exist on the host" }
@{ sha256 = (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant(); bytes = (Get-Item -LiteralPath $Path).Length }
`;

/**
 * Stops the process tree of a session we lost (the host process of the old session and all it
 * started: the installer a timed-out step was waiting for). The start time guards against a
 * reused PID.
 */
export const REAP_PROCESS_TREE = String.raw`
param([int]$TargetPid, [string]$StartedUtc)
$p = Get-Process -Id $TargetPid -ErrorAction SilentlyContinue
if (-not $p) { return @{ killed = @(); reason = 'gone' } }
if ($StartedUtc -and $p.StartTime.ToUniversalTime().ToString('o') -ne $StartedUtc) { return @{ killed = @(); reason = 'pid reused' } }
if ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT) {
  & taskkill.exe /PID $TargetPid /T /F 2>&1 | Out-Null
  return @{ killed = @($TargetPid); reason = 'taskkill /T' }
}
$parent = @{}
foreach ($d in [IO.Directory]::GetDirectories('/proc')) {
  $n = [IO.Path]::GetFileName($d)
  if ($n -notmatch '^\d+$') { continue }
  try { $s = [IO.File]::ReadAllText("$d/stat"); $parent[[int]$n] = [int]($s.Substring($s.LastIndexOf(')') + 2).Split(' ')[1]) } catch { }
}
$tree = New-Object System.Collections.ArrayList
[void]$tree.Add($TargetPid)
for ($i = 0; $i -lt $tree.Count; $i++) { foreach ($k in @($parent.Keys)) { if ($parent[$k] -eq $tree[$i]) { [void]$tree.Add($k) } } }
foreach ($x in $tree) { if ($x -ne $PID) { & kill -KILL $x 2>$null } }
@{ killed = @($tree); reason = 'kill -KILL' }
`;

/** Every script block above, for the parser test. */
export const ALL_REMOTE_SCRIPTS: Record<string, string> = {
  SESSION_INFO,
  EXEC,
  PREPARE_UPLOAD,
  WRITE_CHUNK,
  PREALLOCATE_UPLOAD,
  WRITE_AT,
  REMOVE_PARTIAL,
  FINISH_UPLOAD,
  FILE_HASH,
  REAP_PROCESS_TREE,
};
