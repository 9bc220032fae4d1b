#!/usr/bin/env bash
# A Docker Swarm cluster of N nodes on one machine, for the swarm tests (test/swarm):
#   scripts/swarm-cluster.sh up [N]     (N >= 1, default 3)
#   scripts/swarm-cluster.sh down       (removes everything `up` made, whatever state it is in)
#   scripts/swarm-cluster.sh status
#   scripts/swarm-cluster.sh kill-node NAME | restart-node NAME   (failure tests: a node's dockerd crashes, comes back)
#
# Each node is a dockerd in its own network namespace (stksw-nodeI, 10.123.0.(10+I)), joined by
# the Linux bridge stkswbr0 (10.123.0.1/24 on the host side). node1 is the manager, the others
# are workers. A docker-registry listens on 10.123.0.1:5001 (every daemon gets
# --insecure-registry for it) and holds the test image as 10.123.0.1:5001/stack-test/busybox.
# Node labels: node.labels.stack.node=nodeI, node.labels.tier=manager|worker.
#
# Why it is done this way (verified on the CI machine):
# - `nsenter --net=` and not `ip netns exec`: the latter remounts /sys and dockerd then fails
#   with "Devices cgroup isn't mounted".
# - the host's dockerd sets FORWARD to DROP: bridged traffic between the nodes needs an
#   explicit ACCEPT rule for the bridge.
# - every daemon runs in its own namespace: a second dockerd in the host's namespace would
#   rewrite the host's docker0 and iptables and break the main engine.
# - this kernel has no IPVS: VIPs and the ingress routing mesh do not work; use
#   endpoint_mode: dnsrr and `mode: host` ports.
# The manager's socket is unix:///run/stack-swarm/node1.sock (also written to
# /run/stack-swarm/manager.host).
set -euo pipefail

BR=stkswbr0
NET=10.123.0
STATE=/run/stack-swarm
DATA=/var/lib/stack-swarm
REGISTRY="$NET.1:5001"
TEST_IMAGE=stack-test/busybox:latest
MAIN_DOCKER=(docker -H unix:///var/run/docker.sock)

log() { printf '[swarm-cluster] %s\n' "$*" >&2; }
node_docker() { docker -H "unix://$STATE/$1.sock" "${@:2}"; }
nodes_present() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^stksw-node[0-9]+$' | sed 's/^stksw-//' || true; }

wait_for() { # seconds, command...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

start_node() { # name index
  local name=$1 i=$2 ns="stksw-$1" ip="$NET.$((10 + $2))"
  ip netns add "$ns"
  ip link add "stkswv$i" type veth peer name "stkswp$i"
  ip link set "stkswv$i" master "$BR" up
  ip link set "stkswp$i" netns "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "stkswp$i" name eth0
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$NET.1"
  start_daemon "$name"
}

start_daemon() { # name (its namespace exists)
  local name=$1 ns="stksw-$1"
  mkdir -p "$DATA/$name" "$STATE/$name-exec"
  # setsid: the daemon outlives this script; its pid is in the pidfile for `down`.
  # Its own UTS namespace too, so that each node has its own hostname (nodeI) in `node ls`.
  setsid nsenter --net="/var/run/netns/$ns" unshare --uts sh -c "hostname $name && exec dockerd \
    --data-root '$DATA/$name' --exec-root '$STATE/$name-exec' --pidfile '$STATE/$name.pid' \
    -H 'unix://$STATE/$name.sock' --insecure-registry '$REGISTRY'" \
    >"$STATE/$name.log" 2>&1 </dev/null &
}

start_registry() {
  cat >"$STATE/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DATA/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY
YML
  mkdir -p "$DATA/registry"
  setsid /usr/bin/docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 </dev/null &
  echo $! >"$STATE/registry.pid"
  wait_for 20 bash -c "exec 3<>/dev/tcp/${REGISTRY%:*}/${REGISTRY#*:}" || { log "the registry did not start"; cat "$STATE/registry.log" >&2; return 1; }
}

up() {
  local n=${1:-3}
  [[ $n =~ ^[1-9][0-9]*$ ]] || { log "N must be a positive number"; exit 2; }
  if [ -n "$(nodes_present)" ] || ip link show "$BR" >/dev/null 2>&1; then
    log "a cluster (or its leftovers) exists: run '$0 down' first"; exit 1
  fi
  local started=$SECONDS
  mkdir -p "$STATE" "$DATA"
  ip link add "$BR" type bridge
  ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
  iptables -I FORWARD -i "$BR" -o "$BR" -j ACCEPT
  start_registry
  for i in $(seq 1 "$n"); do start_node "node$i" "$i"; done
  for i in $(seq 1 "$n"); do
    wait_for 90 node_docker "node$i" version || { log "node$i did not start:"; tail -n 30 "$STATE/node$i.log" >&2; exit 1; }
  done
  log "$n daemons answer after $((SECONDS - started)) s"

  node_docker node1 swarm init --advertise-addr "$NET.11" --listen-addr "$NET.11:2377" >/dev/null
  local token; token=$(node_docker node1 swarm join-token -q worker)
  # Joins and loads run in parallel; `wait` names their pids (a bare wait would wait for the daemons).
  local pids=()
  for i in $(seq 2 "$n"); do
    node_docker "node$i" swarm join --token "$token" --advertise-addr "$NET.$((10 + i))" --listen-addr "$NET.$((10 + i)):2377" "$NET.11:2377" >/dev/null &
    pids+=($!)
  done
  [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
  ready() { [ "$(node_docker node1 node ls --format '{{.Status}}' | grep -c Ready)" -eq "$n" ]; }
  wait_for 120 ready || { log "the nodes did not all become Ready"; node_docker node1 node ls >&2; exit 1; }
  for i in $(seq 1 "$n"); do
    local id tier=worker; [ "$i" -eq 1 ] && tier=manager
    id=$(node_docker "node$i" info --format '{{.Swarm.NodeID}}')
    node_docker node1 node update --label-add "stack.node=node$i" --label-add "tier=$tier" "$id" >/dev/null
  done
  log "swarm of $n nodes formed after $((SECONDS - started)) s"

  # The test image, on every node (by load: no node pulls before it is needed) and in the registry.
  "${MAIN_DOCKER[@]}" image inspect "$TEST_IMAGE" >/dev/null 2>&1 || { log "$TEST_IMAGE is missing on the main engine (scripts/build-test-images.sh)"; exit 1; }
  "${MAIN_DOCKER[@]}" save "$TEST_IMAGE" >"$STATE/test-image.tar"
  pids=()
  for i in $(seq 1 "$n"); do node_docker "node$i" load -q -i "$STATE/test-image.tar" >/dev/null & pids+=($!); done
  wait "${pids[@]}"
  rm -f "$STATE/test-image.tar"
  node_docker node1 tag "$TEST_IMAGE" "$REGISTRY/$TEST_IMAGE"
  node_docker node1 push -q "$REGISTRY/$TEST_IMAGE" >/dev/null
  echo "unix://$STATE/node1.sock" >"$STATE/manager.host"
  log "ready in $((SECONDS - started)) s: DOCKER_HOST=unix://$STATE/node1.sock, registry $REGISTRY"
}

stop_pid_file() { # file: TERM, then KILL after 20 s
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  local name ns
  for name in $(nodes_present) $(cd "$STATE" 2>/dev/null && ls node*.pid 2>/dev/null | sed 's/\.pid$//'); do
    stop_pid_file "$STATE/$name.pid" &
  done
  wait
  stop_pid_file "$STATE/registry.pid"
  # A daemon killed hard leaves its containers' shims and its containerd: they run in the node's
  # namespace, so end every process still in it.
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^stksw-node[0-9]+$' || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  # Mounts under the data and exec roots (overlay layers, netns bind mounts of the daemons).
  if [ -d "$DATA" ] || [ -d "$STATE" ]; then
    { awk '{print $2}' /proc/self/mounts | grep -E "^($DATA|$STATE)(/|$)" || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^stksw-node[0-9]+$' || true); do ip netns delete "$ns"; done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^stkswv[0-9]+$' || true); do ip link delete "$link" 2>/dev/null || true; done
  ip link show "$BR" >/dev/null 2>&1 && ip link delete "$BR"
  while iptables -C FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null; do iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT; done
  rm -rf "$DATA" "$STATE"
  log "down: no daemons, namespaces, bridge, rules or mounts left"
}

# Kills a node's dockerd (SIGKILL: a crash, its containers stay) for failure tests.
kill_node() {
  local name=$1 pid
  pid=$(cat "$STATE/$name.pid")
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  rm -f "$STATE/$name.pid"
}

# Starts a node's dockerd again (after kill-node) and waits until the manager sees it Ready.
restart_node() {
  local name=$1 id
  start_daemon "$name"
  wait_for 90 node_docker "$name" version || { log "$name did not start:"; tail -n 30 "$STATE/$name.log" >&2; exit 1; }
  id=$(node_docker "$name" info --format '{{.Swarm.NodeID}}')
  ready() { [ "$(node_docker node1 node inspect "$id" --format '{{.Status.State}}')" = ready ]; }
  wait_for 90 ready || { log "$name did not rejoin"; exit 1; }
}

status() {
  [ -S "$STATE/node1.sock" ] || { log "no cluster"; exit 1; }
  node_docker node1 node ls
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  kill-node) kill_node "${2:?node name}" ;;
  restart-node) restart_node "${2:?node name}" ;;
  *) echo "usage: $0 up [N] | down | status | kill-node NAME | restart-node NAME" >&2; exit 2 ;;
esac
