#!/usr/bin/env bash
# The full reliability sweep (issues 8 and 20): every kill point of the crash suite in both
# modes and every stop in flight, the races, engine trouble (including a write whose reply
# never comes), data safety, secrets sentinels and control characters, invalid input, a hung
# engine, the engine-side lock (two users, many rounds), late stops, hostile -p values and the
# model cache's trust rules against the shared engine; then the daemon-restart tests against a PRIVATE dockerd
# (own data-root, exec-root and socket; --iptables=false) so restarting it disturbs nobody.
# Then the loader fuzzing at full size (100,000 inputs). Prints "converged X/X", writes every
# result as JSON lines and the tables of docs/reliability.md as markdown.
#
#   scripts/reliability-sweep.sh              full sweep (~40-60 min on 2 cores)
#   SKIP_FUZZ=1 ...                           no fuzzing (FUZZ_RUNS sets its size)
#   SKIP_BUILD=1 scripts/reliability-sweep.sh reuse dist/
#   SKIP_DAEMON=1 ...                         no private dockerd part
#   scripts/reliability-sweep.sh --start-private | --stop-private | --restart-private
#   REL_PRIVATE_DIR=/tmp/x REL_PRIVATE_NS=ns ...  another private dockerd (its own directory and
#                                             network namespace; the benches use one too)
set -euo pipefail
cd "$(dirname "$0")/.."

PRIV=${REL_PRIVATE_DIR:-/tmp/stack-rel-dockerd}
PRIV_SOCK="$PRIV/docker.sock"

private_up() {
  for _ in $(seq 1 120); do
    curl -sf --unix-socket "$PRIV_SOCK" http://x/_ping >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "[sweep] private dockerd did not answer; log:" >&2
  tail -n 30 "$PRIV/dockerd.log" >&2
  return 1
}

# The private daemon runs in a network namespace of its own (as the swarm cluster's nodes do):
# its docker0, routes and iptables rules live there, and the test reaches it by its unix socket
# only. In the host's namespace a second dockerd with --bridge=none or a --default-address-pool
# DELETES the host's docker0, which belongs to the shared daemon (issue 20's rule).
PRIV_NS=${REL_PRIVATE_NS:-stackrel}
start_private() {
  mkdir -p "$PRIV"
  [ -e "/var/run/netns/$PRIV_NS" ] || ip netns add "$PRIV_NS"
  nsenter --net="/var/run/netns/$PRIV_NS" ip link set lo up
  # nsenter, not `ip netns exec`: that remounts /sys, and dockerd then finds no devices cgroup.
  setsid nsenter --net="/var/run/netns/$PRIV_NS" dockerd --data-root "$PRIV/data" --exec-root "$PRIV/exec" \
    -H "unix://$PRIV_SOCK" --pidfile "$PRIV/dockerd.pid" \
    >>"$PRIV/dockerd.log" 2>&1 </dev/null &
  private_up
}

stop_private() {
  if [ -f "$PRIV/dockerd.pid" ]; then
    local pid
    pid=$(cat "$PRIV/dockerd.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
}

case "${1:-}" in
  --start-private) start_private; exit 0 ;;
  --stop-private) stop_private; exit 0 ;;
  --restart-private) stop_private; start_private; exit 0 ;;
esac

[ -n "${SKIP_BUILD:-}" ] || npm run build >/dev/null 2>&1 || echo "[sweep] build reported errors; continuing with what dist/ has"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=${REL_RESULTS_FILE:-"/tmp/stack-reliability-$stamp.jsonl"}
: >"$results"
export REL_RESULTS_FILE="$results"
status=0

echo "[sweep] crash at every write k (both modes, and stops in flight), races, engine trouble, data safety, secrets,"
echo "[sweep] invalid input, hung engine, engine-side lock (${REL_LOCK_ROUNDS:-10} two-user rounds), late stops, hostile -p, engine door"
REL_KILL_POINTS=all REL_LOCK_ROUNDS=${REL_LOCK_ROUNDS:-10} npx vitest run --project reliability --reporter=default --reporter=json \
  --outputFile.json="/tmp/stack-reliability-$stamp-main.json" \
  test/reliability/crash.test.ts test/reliability/races.test.ts test/reliability/engine-trouble.test.ts \
  test/reliability/data-safety.test.ts test/reliability/secrets.test.ts test/reliability/invalid-input.test.ts \
  test/reliability/hung-engine.test.ts test/reliability/engine-lock.test.ts test/reliability/late-stop.test.ts \
  test/reliability/foreign-stop.test.ts \
  test/reliability/project-name.test.ts test/reliability/engine-door.test.ts \
  2>&1 | tee "/tmp/stack-reliability-$stamp.log" || status=1

echo "[sweep] the model cache's trust rules (a forged entry, foreign or writable directories and entries)"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="/tmp/stack-reliability-$stamp-cache.json" \
  test/cli/model-cache.test.ts 2>&1 | tee -a "/tmp/stack-reliability-$stamp.log" || status=1

if [ -z "${SKIP_FUZZ:-}" ]; then
  echo "[sweep] loader fuzzing: ${FUZZ_RUNS:-100000} inputs"
  FUZZ_RUNS=${FUZZ_RUNS:-100000} FUZZ_SCALE=${FUZZ_SCALE:-6} npx vitest run --project reliability --reporter=default --reporter=json \
    --outputFile.json="/tmp/stack-reliability-$stamp-fuzz.json" test/reliability/fuzz-loader.test.ts 2>&1 | tee -a "/tmp/stack-reliability-$stamp.log" || status=1
fi

if [ -z "${SKIP_DAEMON:-}" ]; then
  echo "[sweep] daemon restarts on a private dockerd ($PRIV_SOCK)"
  start_private
  trap stop_private EXIT
  docker -H unix:///var/run/docker.sock save stack-test/busybox:latest | docker -H "unix://$PRIV_SOCK" load -q
  STACK_TEST_ENGINE_SOCKET="$PRIV_SOCK" REL_DOCKERD_RESTART="$PWD/scripts/reliability-sweep.sh --restart-private" \
    npx vitest run --project reliability --reporter=default --reporter=json --outputFile.json="/tmp/stack-reliability-$stamp-daemon.json" \
    test/reliability/daemon-restart.test.ts 2>&1 | tee -a "/tmp/stack-reliability-$stamp.log" || status=1
fi

echo
echo "[sweep] results: $results"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
const crash = lines.filter((l) => l.suite === "crash" && l.fired);
const by = {};
for (const l of crash) { const k = l.scenario + " / kill " + l.mode; by[k] ??= [0, 0]; by[k][1]++; if (l.converged) by[k][0]++; }
for (const [k, [ok, n]] of Object.entries(by)) console.log(`  ${k}: converged ${ok}/${n}`);
const ok = crash.filter((l) => l.converged).length;
console.log(`  crash at write k, total: converged ${ok}/${crash.length}`);
for (const l of crash.filter((l) => !l.converged)) console.log(`  FAILED ${l.scenario} ${l.mode} k=${l.k} (${l.route}): ${l.problems[0]?.split("\n")[0]}`);
' "$results"
report="/tmp/stack-reliability-$stamp.md"
node scripts/reliability-report.mjs "$results" /tmp/stack-reliability-"$stamp"-*.json >"$report" || status=1
echo "[sweep] log: /tmp/stack-reliability-$stamp.log"
echo "[sweep] markdown for docs/reliability.md: $report"
exit $status
