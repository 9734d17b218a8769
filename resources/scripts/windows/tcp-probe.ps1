# Tries a TCP connection FROM this host to each target (is the configuration server's 443 / the
# process server's 9443 reachable from where the component will run?). Windows PowerShell 4.0:
# Test-NetConnection is missing on 2008 R2 and slow everywhere, so a TcpClient with a bounded wait.
# Prints one JSON array of {target, port, ok, error}, the shape of tcp-probe.sh's lines.
param([string[]]$Targets, [string[]]$Ports, [int]$TimeoutMs = 5000)
$results = New-Object System.Collections.ArrayList
for ($i = 0; $i -lt @($Targets).Count; $i++) {
  $target = [string]@($Targets)[$i]
  $port = [int]@($Ports)[$i]
  $ok = $false
  $err = ''
  $client = New-Object System.Net.Sockets.TcpClient
  try {
    $pending = $client.BeginConnect($target, $port, $null, $null)
    if ($pending.AsyncWaitHandle.WaitOne($TimeoutMs, $false)) {
      $client.EndConnect($pending)
      $ok = $true
    } else {
      $err = 'timed out after ' + [int][Math]::Ceiling($TimeoutMs / 1000) + 's'
    }
  } catch {
    $e = $_.Exception
    while ($e.InnerException) { $e = $e.InnerException }
    $err = [string]$e.Message
  } finally {
    $client.Close()
  }
  if ($err.Length -gt 160) { $err = $err.Substring(0, 160) }
  [void]$results.Add(@{ target = $target; port = $port; ok = $ok; error = $err })
}
ConvertTo-Json -InputObject @($results.ToArray()) -Compress -Depth 3
