#!/usr/bin/env bash
# Starts dockerd in the background unless an engine already answers; waits for its socket.
# Also starts a local registry on 127.0.0.1:5000 for the pull tests when one is installed.
set -euo pipefail
log() { printf '[engine] %s\n' "$*"; }

if docker version >/dev/null 2>&1; then
  log "an engine already answers; using it"
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

if [ -x /usr/bin/docker-registry ] && ! (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; then
  log "starting docker-registry on 127.0.0.1:5000"
  mkdir -p /var/lib/stack-registry
  cat > /tmp/stack-registry.yml <<'YML'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/stack-registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YML
  setsid /usr/bin/docker-registry serve /tmp/stack-registry.yml >/var/log/stack-registry.log 2>&1 < /dev/null &
  for _ in $(seq 1 40); do (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && break; sleep 0.25; done
fi
