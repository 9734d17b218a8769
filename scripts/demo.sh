#!/bin/sh
# npm run demo [-- --ci]: the main job on the built-in lab, end to end (scripts/demo.ts).
# On a fresh clone the pinned Node 22 and the dependencies are not there yet: set up first.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ ! -d node_modules/ssh2 ]; then
  echo "demo: first run on this machine: setting up (scripts/setup.sh: Debian packages for the lab, npm ci)" >&2
  bash scripts/setup.sh
fi
exec node_modules/.bin/node scripts/demo.ts "$@"
