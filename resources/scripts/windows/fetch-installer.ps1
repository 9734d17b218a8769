# Pull staging on a Windows target: THIS host fetches an installer from the repository (https/http
# URL with HttpClient, or a UNC share with Copy-Item), then checks its SHA-256 against the one the
# workstation trusts (catalog or `sources trust` pin; never the repository's word) before anything
# can run it. With -Pin (SHA-256 of the pinned certificate's DER) the certificate presented must be
# exactly that one, on every connection (the pin replaces the CA and name checks); without it the
# system's CA and name checks apply. Windows PowerShell 5.1 (.NET 4.7.1+) and PowerShell 7.
# Mode probe: reach and trust the repository, write nothing. Prints one JSON object
# {ok, tool, error?, message?, sha256?, bytes?}; error is unreachable, hash_mismatch or fetch_failed.
param([string]$Mode, [string]$Url, [string]$Destination = '', [string]$Sha256 = '', [string]$Pin = '')
$ErrorActionPreference = 'Stop'
function Out-Result($h) { $h | ConvertTo-Json -Compress }
function Get-Message($err) { $e = $err.Exception; while ($e.InnerException) { $e = $e.InnerException }; $m = [string]$e.Message; if ($m.Length -gt 300) { $m = $m.Substring(0, 300) }; $m }
$unc = $Url.StartsWith('\\')
$tool = if ($unc) { 'Copy-Item' } else { 'HttpClient' }
if (-not $unc -and -not ('AsrDeployPull' -as [type])) {
  # A compiled validation callback: a script block cannot run on HttpClient's thread-pool threads.
  # Windows PowerShell compiles against .NET Framework (System.Net.Http is not referenced by default); PowerShell 7 references it already.
  $refs = if ($PSVersionTable.PSEdition -eq 'Desktop') { @{ ReferencedAssemblies = @('System.Net.Http') } } else { @{} }
  Add-Type @refs -TypeDefinition @'
using System;
using System.IO;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
public static class AsrDeployPull {
  static HttpClient Client(string pin) {
    var h = new HttpClientHandler();
    if (!string.IsNullOrEmpty(pin)) {
      h.ServerCertificateCustomValidationCallback = (HttpRequestMessage m, X509Certificate2 c, X509Chain ch, SslPolicyErrors e) => {
        using (var s = SHA256.Create()) { return BitConverter.ToString(s.ComputeHash(c.RawData)).Replace("-", "").ToLowerInvariant() == pin; }
      };
    }
    var client = new HttpClient(h);
    client.Timeout = TimeSpan.FromHours(4);
    return client;
  }
  public static int Probe(string url, string pin) {
    using (var c = Client(pin)) using (var r = c.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult()) { return (int)r.StatusCode; }
  }
  public static long Fetch(string url, string dest, string pin) {
    using (var c = Client(pin)) using (var r = c.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult()) {
      r.EnsureSuccessStatusCode();
      using (var src = r.Content.ReadAsStreamAsync().GetAwaiter().GetResult()) using (var f = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20)) { src.CopyTo(f, 1 << 20); return f.Length; }
    }
  }
}
'@
}
if ($Mode -eq 'probe') {
  try {
    if ($unc) {
      if (-not (Test-Path -LiteralPath $Url)) { return Out-Result @{ ok = $false; tool = $tool; error = 'unreachable'; message = "cannot read $Url from this session (share permissions, or the second hop of a remote session)" } }
    } else { [void][AsrDeployPull]::Probe($Url, $Pin.ToLowerInvariant()) }
    return Out-Result @{ ok = $true; tool = $tool }
  } catch { return Out-Result @{ ok = $false; tool = $tool; error = 'unreachable'; message = (Get-Message $_) } }
}
$partial = "$Destination.partial"
Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
try {
  if ($unc) { Copy-Item -LiteralPath $Url -Destination $partial -Force } else { [void][AsrDeployPull]::Fetch($Url, $partial, $Pin.ToLowerInvariant()) }
} catch {
  Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
  $m = Get-Message $_
  $kind = if ($m -match 'Response status code|404|403|500') { 'fetch_failed' } else { 'unreachable' }
  return Out-Result @{ ok = $false; tool = $tool; error = $kind; message = $m }
}
$got = (Get-FileHash -LiteralPath $partial -Algorithm SHA256).Hash.ToLowerInvariant()
$bytes = (Get-Item -LiteralPath $partial).Length
if ($got -ne $Sha256.ToLowerInvariant()) {
  Remove-Item -LiteralPath $partial -Force
  return Out-Result @{ ok = $false; tool = $tool; error = 'hash_mismatch'; sha256 = $got; bytes = $bytes }
}
Move-Item -LiteralPath $partial -Destination $Destination -Force
Out-Result @{ ok = $true; tool = $tool; sha256 = $got; bytes = $bytes }
