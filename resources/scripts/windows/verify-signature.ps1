# Reads the Authenticode signature of a staged package on the target, before anything runs it
# (Get-AuthenticodeSignature: Status is a SignatureStatus name, Valid only when the signature and
# its chain verify on this system; SignerCertificate.Subject names the signer). ASR Deploy judges
# the answer (Valid and a Microsoft subject); this script only reports.
# Windows PowerShell 4.0 compatible. Prints one JSON document.
param([Parameter(Mandatory = $true)][string]$Path)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { throw "ASR:not_found:$Path is not on the host" }
if (-not (Get-Command Get-AuthenticodeSignature -ErrorAction SilentlyContinue)) { throw "ASR:unsupported:Get-AuthenticodeSignature is not available on this host, so the signature of $Path cannot be checked" }
$sig = Get-AuthenticodeSignature -LiteralPath $Path
$subject = $null
$thumbprint = $null
if ($sig.SignerCertificate) {
  $subject = [string]$sig.SignerCertificate.Subject
  $thumbprint = [string]$sig.SignerCertificate.Thumbprint
}
@{ status = [string]$sig.Status; statusMessage = [string]$sig.StatusMessage; subject = $subject; thumbprint = $thumbprint } | ConvertTo-Json -Compress
