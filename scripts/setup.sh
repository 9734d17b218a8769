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

# npm runs under the system's Node 20, so ssh2's optional crypto binding was just compiled for
# Node 20 and will not load in the pinned Node 22 that runs the CLI and the tests; ssh2 would then
# fall back to slower JavaScript ciphers (a 20-host push measured ~25% slower). Rebuild it for the
# pinned Node with its own headers. Optional: without a compiler ssh2 still works, only slower.
node22_prefix="$PWD/node_modules/node/node_modules/node-$(node_modules/.bin/node -p 'process.platform + "-" + process.arch')"
PATH="$PWD/node_modules/.bin:$PATH" npm rebuild ssh2 cpu-features --nodedir="$node22_prefix" >/dev/null 2>&1 \
  || echo "setup: ssh2's native crypto binding could not be rebuilt for Node 22; SSH transfers use the JavaScript fallback" >&2
node_modules/.bin/node -e "process.exit(require('ssh2/lib/protocol/crypto.js').bindingAvailable ? 0 : 1)" \
  || echo "setup: ssh2 runs without its native crypto binding (slower transfers)" >&2
