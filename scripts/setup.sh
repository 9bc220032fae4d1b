#!/usr/bin/env bash
# From a fresh clone to a working checkout: checks Node, installs what is missing where it
# can (Debian/Ubuntu as root: apt-get), starts a Docker engine unless one answers, builds the
# local test image, installs the npm dependencies and builds stack. Safe to run again: every
# step is skipped when already done.
#
#   bash scripts/setup.sh          what `npm run demo` needs: Docker (docker.io) and busybox-static
#   bash scripts/setup.sh --test   also what `npm test` needs: docker-compose (the behaviour
#                                  reference of the interop tests) and docker-registry (a
#                                  loopback registry on 127.0.0.1:5000 for the pull tests)
#
# Not root, or not apt: nothing is installed; a missing piece stops the script with a message
# naming it and the command that installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

# 1. Node >= 20.19 (package.json engines). Debian 12's own nodejs is 18: too old.
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null \
  || die "Node.js >= 20.19 is needed; found $(node --version 2>/dev/null || echo none). Install it from https://nodejs.org/ (or NodeSource / nvm) and run again."

# 2. System packages: what is missing, then install it (root + apt) or name it.
missing=()
# The docker CLI (scripts and tests use it) and an engine that answers or a dockerd to start.
if ! command -v docker >/dev/null 2>&1; then missing+=(docker.io)
elif ! docker version >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && ! command -v dockerd >/dev/null 2>&1; then missing+=(docker.io); fi
# The test image is FROM scratch with the host's busybox: it must be statically linked
# (ldd, from libc-bin, is always there; it fails on a static binary).
{ [ -x /usr/bin/busybox ] && ! ldd /usr/bin/busybox >/dev/null 2>&1; } || missing+=(busybox-static)
if [ "$for_tests" = 1 ]; then
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ -x /usr/bin/docker-registry ] || (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null || missing+=(docker-registry)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "missing: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) or run this script as root, then run it again."
  fi
fi

# 3. An engine (and, for the tests, the loopback registry).
if ! docker version >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
  die "no Docker engine answers ($({ docker version 2>&1 || true; } | grep -m1 -i 'cannot\|permission\|error' || echo 'docker version failed')). Start one (sudo systemctl start docker, or sudo bash scripts/start-engine.sh) or add yourself to the docker group, then run again."
fi
bash scripts/start-engine.sh

# 4. The local test image every fixture and example uses (no registry needed: FROM scratch).
bash scripts/build-test-images.sh

# 5. npm dependencies (skipped when installed and matching the lock file) and the build.
if [ -d node_modules ] && npm ls --depth=0 >/dev/null 2>&1; then
  log "npm dependencies are installed"
elif [ -L node_modules ]; then
  die "node_modules is a symlink whose packages do not match package-lock.json; not running npm ci through it (it would empty the target). Fix the target, then run again."
else
  log "npm ci"
  npm ci --no-audit --no-fund
fi
# `npm test` builds first thing; the demo needs a build now.
if [ "$for_tests" = 0 ]; then
  log "npm run build"
  npm run build --silent >/dev/null
fi
if [ -f dist/stack.cjs ]; then log "ready: $(node bin/stack.cjs version)"; else log "ready (npm test builds first)"; fi
