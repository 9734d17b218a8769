# Runs one documented installer command line as a resumable step (the Windows twin of
# resources/scripts/linux/run-step.sh). The program runs in a detached wrapper (Win32_Process
# Create on Windows, so it outlives the remoting session); its pid, start time and exit code are
# kept in <Dir>\steps\<Name>.*. A second call for the same step reads the recorded result or
# re-attaches to the running wrapper: it never starts the installer twice. A wrapper that died
# without a result is reported as 'lost'; only -Restart starts that step again.
# Arguments whose value is a secret (a proxy password) are read by the wrapper from a secret file
# (SecretArgFiles: "index=path"), never passed through this script's text or parameters.
# Windows PowerShell 4.0 compatible. Prints one JSON document.
param(
  [Parameter(Mandatory = $true)][string]$Dir,
  [Parameter(Mandatory = $true)][string]$Name,
  [ValidateSet('run', 'kill', 'child')][string]$Mode = 'run',
  [string]$Exe = '',
  [string[]]$ArgList = @(),
  [string]$Cwd = '',
  [string[]]$SecretArgFiles = @(),
  [int]$WaitSeconds = 1800,
  [switch]$Restart
)
$ErrorActionPreference = 'Stop'
if ($Name -notmatch '^[a-z][a-z0-9-]{0,40}$') { throw "ASR:validation:the step name $Name is not a plain name" }
if ($Dir.Contains('"')) { throw "ASR:validation:the staging folder contains a double quote" }
$onWindows = ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT)
$steps = Join-Path $Dir 'steps'
$specFile = Join-Path $steps "$Name.spec.json"
$pidFile = Join-Path $steps "$Name.pid.json"
$exitFile = Join-Path $steps "$Name.exit.json"
$outFile = Join-Path $steps "$Name.out.txt"
$errFile = Join-Path $steps "$Name.err.txt"
$selfFile = Join-Path $steps 'run-step.ps1'

# One Windows command-line argument (the MSVCRT rules CommandLineToArgvW and .NET follow).
function ConvertTo-WinArg([string]$a) {
  if ($a -ne '' -and $a -notmatch '[\s"]') { return $a }
  $sb = New-Object System.Text.StringBuilder
  [void]$sb.Append('"')
  $bs = 0
  foreach ($ch in $a.ToCharArray()) {
    if ($ch -eq '\') { $bs++; continue }
    if ($ch -eq '"') { [void]$sb.Append('\' * (2 * $bs + 1)); [void]$sb.Append('"'); $bs = 0; continue }
    if ($bs) { [void]$sb.Append('\' * $bs); $bs = 0 }
    [void]$sb.Append($ch)
  }
  if ($bs) { [void]$sb.Append('\' * (2 * $bs)) }
  [void]$sb.Append('"')
  return $sb.ToString()
}
function Read-Json([string]$Path) { return ([IO.File]::ReadAllText($Path) | ConvertFrom-Json) }
function Write-JsonAtomic([string]$Path, $Value) {
  $tmp = "$Path.tmp"
  [IO.File]::WriteAllText($tmp, ($Value | ConvertTo-Json -Compress -Depth 4))
  Move-Item -LiteralPath $tmp -Destination $Path -Force
}
# Start times are kept as UTC ticks (an ISO text would come back from ConvertFrom-Json as a date in
# PowerShell 7); a pid is the same process only if it started within a second of the recorded time.
function Get-StartTicks($Process) {
  try { return [long]$Process.StartTime.ToUniversalTime().Ticks } catch { return [long]0 }
}
function Test-Alive($Id, $Started) {
  if (-not $Id) { return $false }
  $p = Get-Process -Id ([int]$Id) -ErrorAction SilentlyContinue
  if (-not $p) { return $false }
  $t = Get-StartTicks $p
  if ($t -eq 0 -or -not $Started) { return $true }
  return ([Math]::Abs($t - [long]$Started) -lt 10000000)
}
function Get-Tail([string]$Path) {
  if (-not (Test-Path -LiteralPath $Path)) { return '' }
  $t = [IO.File]::ReadAllText($Path)
  if ($t.Length -gt 4000) { $t = $t.Substring($t.Length - 4000) }
  return $t
}
function Get-Result([string]$How) {
  $r = Read-Json $exitFile
  return @{ state = 'done'; exitCode = [int]$r.exitCode; how = $How; output = (Get-Tail $outFile) + (Get-Tail $errFile); ms = $r.ms }
}

if ($Mode -eq 'child') {
  # The detached wrapper: runs the program, records its pid and then its exit code.
  $spec = Read-Json $specFile
  $argv = @()
  foreach ($a in @($spec.args)) { $argv += [string]$a }
  foreach ($sa in @($spec.secretArgs)) {
    if (-not $sa) { continue }
    $i = [int]($sa.Split('=')[0]); $file = $sa.Substring($sa.IndexOf('=') + 1)
    $argv[$i] = [IO.File]::ReadAllText($file)
  }
  $me = Get-Process -Id $PID
  $line = ($argv | ForEach-Object { ConvertTo-WinArg $_ }) -join ' '
  $sw = [Diagnostics.Stopwatch]::StartNew()
  $startArgs = @{ FilePath = [string]$spec.exe; WorkingDirectory = [string]$spec.cwd; PassThru = $true; RedirectStandardOutput = $outFile; RedirectStandardError = $errFile }
  if ($line) { $startArgs.ArgumentList = $line }
  if ($onWindows) { $startArgs.WindowStyle = 'Hidden' }
  try {
    $p = Start-Process @startArgs
  } catch {
    [IO.File]::WriteAllText($errFile, $_.Exception.Message)
    Write-JsonAtomic $exitFile @{ exitCode = 9009; ms = $sw.ElapsedMilliseconds }
    exit 0
  }
  $null = $p.Handle
  Write-JsonAtomic $pidFile @{ pid = $PID; started = (Get-StartTicks $me); childPid = $p.Id; childStarted = (Get-StartTicks $p) }
  $p.WaitForExit()
  Write-JsonAtomic $exitFile @{ exitCode = [int]$p.ExitCode; ms = $sw.ElapsedMilliseconds }
  exit 0
}

if ($Mode -eq 'kill') {
  $killed = @()
  if (Test-Path -LiteralPath $pidFile) {
    $st = Read-Json $pidFile
    foreach ($pair in @(@($st.childPid, $st.childStarted), @($st.pid, $st.started))) {
      if ($pair[0] -and (Test-Alive $pair[0] $pair[1])) {
        if ($onWindows) { & taskkill.exe /T /F /PID ([int]$pair[0]) | Out-Null } else { Stop-Process -Id ([int]$pair[0]) -Force -ErrorAction SilentlyContinue }
        $killed += [int]$pair[0]
      }
    }
  }
  @{ state = 'killed'; killed = $killed } | ConvertTo-Json -Compress
  return
}

# Mode run: the recorded result, else re-attach, else start.
if (-not (Test-Path -LiteralPath $steps -PathType Container)) { throw "ASR:not_found:the staging folder $Dir has no steps folder (was it prepared?)" }
$how = 'attached'
if ($Restart) {
  foreach ($f in @($pidFile, $exitFile, $specFile, $outFile, $errFile)) { if (Test-Path -LiteralPath $f) { Remove-Item -LiteralPath $f -Force } }
}
if (Test-Path -LiteralPath $exitFile) {
  Get-Result 'recorded' | ConvertTo-Json -Compress
  return
}
if (Test-Path -LiteralPath $specFile) {
  # Started by an earlier call: give the wrapper time to record its pid, then attach or report it lost.
  $deadline = (Get-Date).AddSeconds(30)
  while (-not (Test-Path -LiteralPath $pidFile) -and -not (Test-Path -LiteralPath $exitFile) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 500 }
  if (Test-Path -LiteralPath $exitFile) { Get-Result 'recorded' | ConvertTo-Json -Compress; return }
  $alive = $false
  if (Test-Path -LiteralPath $pidFile) { $st = Read-Json $pidFile; $alive = Test-Alive $st.pid $st.started }
  if (-not $alive) {
    if (Test-Path -LiteralPath $exitFile) { Get-Result 'recorded' | ConvertTo-Json -Compress; return }
    @{ state = 'lost'; output = (Get-Tail $outFile) + (Get-Tail $errFile) } | ConvertTo-Json -Compress
    return
  }
} else {
  if (-not $Exe) { throw "ASR:validation:no program given for step $Name" }
  $program = $Exe
  if (-not [IO.Path]::IsPathRooted($program) -and $Cwd -and (Test-Path -LiteralPath (Join-Path $Cwd $program) -PathType Leaf)) { $program = Join-Path $Cwd $program }
  if (-not $Cwd) { $Cwd = $Dir }
  Write-JsonAtomic $specFile @{ exe = $program; args = @($ArgList); cwd = $Cwd; secretArgs = @($SecretArgFiles) }
  [IO.File]::WriteAllText($selfFile, $MyInvocation.MyCommand.ScriptBlock.ToString())
  $ps = Join-Path $PSHOME 'powershell.exe'
  if (-not (Test-Path -LiteralPath $ps)) { $ps = Join-Path $PSHOME 'pwsh.exe' }
  if (-not (Test-Path -LiteralPath $ps)) { $ps = Join-Path $PSHOME 'pwsh' }
  $childArgs = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $selfFile, '-Dir', $Dir, '-Name', $Name, '-Mode', 'child')
  if ($onWindows) {
    # Win32_Process.Create: the wrapper is not in the remoting session's job, so it survives it.
    $cmd = ((@($ps) + $childArgs) | ForEach-Object { ConvertTo-WinArg $_ }) -join ' '
    $r = ([wmiclass]'Win32_Process').Create($cmd, $Dir, $null)
    if ($r.ReturnValue -ne 0) { throw "ASR:command_failed:Win32_Process.Create returned $($r.ReturnValue) for step $Name" }
  } else {
    $null = Start-Process -FilePath $ps -ArgumentList (($childArgs | ForEach-Object { ConvertTo-WinArg $_ }) -join ' ') -WorkingDirectory $Dir -PassThru
  }
  $how = 'started'
}
$until = (Get-Date).AddSeconds($WaitSeconds)
while ((Get-Date) -lt $until) {
  if (Test-Path -LiteralPath $exitFile) { Get-Result $how | ConvertTo-Json -Compress; return }
  if (Test-Path -LiteralPath $pidFile) {
    $st = Read-Json $pidFile
    if (-not (Test-Alive $st.pid $st.started)) {
      Start-Sleep -Milliseconds 300
      if (Test-Path -LiteralPath $exitFile) { Get-Result $how | ConvertTo-Json -Compress; return }
      @{ state = 'lost'; output = (Get-Tail $outFile) + (Get-Tail $errFile) } | ConvertTo-Json -Compress
      return
    }
  }
  Start-Sleep -Milliseconds 500
}
@{ state = 'running'; how = $how } | ConvertTo-Json -Compress
