#!/usr/bin/env bash
# Sets a fresh Debian 12 machine up for development and tests: the lab's real peers from Debian's
# packages, PowerShell from NuGet where the .NET SDK is present, then the npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # openssh-server: lab hosts; nftables: fault switches; golang + govmomi: the vCenter simulator;
  # squid: a real authenticating proxy; chromium: end-to-end tests; nmap + ansible: benchmark peers.
  apt-get install -y -qq --no-install-recommends \
    openssh-server openssh-client sudo openssl nftables iproute2 util-linux procps time \
    golang-go golang-github-vmware-govmomi-dev golang-github-google-uuid-dev \
    squid chromium fonts-dejavu-core xvfb nmap ansible sshpass cron >/dev/null
else
  echo "setup: not root or no apt-get: skipping Debian packages (the lab tests will say they cannot run)" >&2
fi

# PowerShell 7 as a .NET global tool: the only way to get pwsh here (no Debian or npm package).
# Pinned: the newest tool (7.7) depends on a runtime pack that the NuGet copy here does not serve.
if command -v dotnet >/dev/null && [ ! -x "$HOME/.dotnet/tools/pwsh" ]; then
  dotnet tool install --global PowerShell --version 7.6.9 >/dev/null 2>&1 \
    || echo "setup: pwsh could not be installed; PowerShell tests will say so" >&2
fi

# The Electron binary cannot be downloaded here and is only needed to launch or package the app.
ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-fund --no-audit
