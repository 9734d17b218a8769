# proxy-test.ps1: from this host, through an HTTP proxy, asks for each endpoint ("connect|HOST|PORT":
# CONNECT, what the Provider and MARS agent do for HTTPS; "http|HOST|PORT": a HEAD request) and
# reports what the proxy answered. The password arrives through the transport's secrets channel.
# Plain sockets, no WinHTTP/IE settings involved. Windows PowerShell 4.0 compatible.
param([string]$ProxyHost, [int]$ProxyPort, [string]$ProxyUser = '', [string]$ProxyPassword = '', [string[]]$Endpoints = @(), [int]$TimeoutSeconds = 10)
$ErrorActionPreference = 'Stop'

$auth = $null
if ($ProxyUser) { $auth = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($ProxyUser + ':' + $ProxyPassword)) }

function Probe([string]$kind, [string]$h, [int]$p) {
  $r = [ordered]@{ kind = $kind; host = $h; port = $p; method = 'socket'; connected = $false; statusLine = $null; proxyError = $null; error = $null }
  $client = New-Object System.Net.Sockets.TcpClient
  try {
    $ar = $client.BeginConnect($ProxyHost, $ProxyPort, $null, $null)
    if (-not $ar.AsyncWaitHandle.WaitOne($TimeoutSeconds * 1000)) { $r.error = "no connection to the proxy within $TimeoutSeconds s"; return $r }
    try { $client.EndConnect($ar) } catch { $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }; $r.error = $e.Message; return $r }
    $r.connected = $true
    $stream = $client.GetStream()
    $stream.ReadTimeout = $TimeoutSeconds * 1000
    $stream.WriteTimeout = $TimeoutSeconds * 1000
    if ($kind -eq 'connect') { $req = "CONNECT ${h}:${p} HTTP/1.1`r`nHost: ${h}:${p}`r`n" } else { $req = "HEAD http://${h}:${p}/ HTTP/1.1`r`nHost: ${h}`r`n" }
    if ($auth) { $req += "Proxy-Authorization: $auth`r`n" }
    $req += "Connection: close`r`n`r`n"
    $bytes = [Text.Encoding]::ASCII.GetBytes($req)
    $stream.Write($bytes, 0, $bytes.Length)
    $reader = New-Object System.IO.StreamReader($stream, [Text.Encoding]::ASCII)
    try {
      $line = $reader.ReadLine()
      if ($line) { $r.statusLine = $line }
      while ($line) {
        $line = $reader.ReadLine()
        if ($line -match '^(X-Squid-Error|Proxy-Status):\s*(.*)$') { if (-not $r.proxyError) { $r.proxyError = $Matches[2] } }
      }
    } catch { if (-not $r.statusLine) { $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }; $r.error = $e.Message } }
  } finally { $client.Close() }
  return $r
}

$results = @()
foreach ($spec in $Endpoints) {
  $parts = $spec.Split('|')
  $results += , (Probe $parts[0] $parts[1] ([int]$parts[2]))
}
ConvertTo-Json -InputObject @{ results = $results } -Depth 4 -Compress
