#!/usr/bin/env bash
# Starts dockerd in the background unless an engine already answers; waits for its socket.
# Also starts a local registry on 127.0.0.1:5000 for the pull tests when one is installed.
set -euo pipefail
log() { printf '[engine] %s\n' "$*"; }

if docker version >/dev/null 2>&1; then
  log "an engine already answers; using it"
elif [ "$(id -u)" != 0 ]; then
  log "no engine answers and starting dockerd needs root: run this script as root, or start Docker (sudo systemctl start docker)"
  exit 1
else
  log "starting dockerd"
  mkdir -p /var/log
  setsid dockerd >/var/log/stack-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    if [ -S /var/run/docker.sock ] && docker version >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  docker version >/dev/null 2>&1 || { log "dockerd did not come up:"; tail -n 50 /var/log/stack-dockerd.log >&2; exit 1; }
  log "dockerd is up"
fi

# Root keeps the registry's data and log under /var; anyone else under their cache directory.
if [ "$(id -u)" = 0 ]; then reg_data=/var/lib/stack-registry reg_log=/var/log/stack-registry.log
else reg_data="${XDG_CACHE_HOME:-$HOME/.cache}/stack/registry" reg_log="${XDG_CACHE_HOME:-$HOME/.cache}/stack/registry.log"; fi
if (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; then
  log "a registry answers on 127.0.0.1:5000; using it"
elif [ -x /usr/bin/docker-registry ]; then
  log "starting docker-registry on 127.0.0.1:5000"
  mkdir -p "$reg_data" "$(dirname "$reg_log")"
  conf=$(mktemp "${TMPDIR:-/tmp}/stack-registry.XXXXXX.yml")
  cat > "$conf" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $reg_data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YML
  setsid /usr/bin/docker-registry serve "$conf" >"$reg_log" 2>&1 < /dev/null &
  for _ in $(seq 1 40); do (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && break; sleep 0.25; done
  (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null || { log "docker-registry did not come up:"; tail -n 20 "$reg_log" >&2; exit 1; }
else
  log "no registry on 127.0.0.1:5000 and docker-registry is not installed: the pull tests need one (apt-get install docker-registry, then run this again)"
fi
