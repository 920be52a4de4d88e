#!/usr/bin/env bash
# Side by side with NATS: starts a 3-server NATS cluster on loopback (Debian's nats-server,
# routes between the servers), runs the scenarios of Ringleader's `bench --processes` against it
# with scripts/nats-compare/NatsBench.java (a JDK-only NATS client), stops the servers, and, with
# --ringleader <jar>, runs Ringleader's bench with the same parameters right after.
#
#   scripts/compare-nats.sh [--seconds 5] [--rate 5000] [--size 128] [--subscribers 6]
#                           [--window 1000] [--ping-rate 500] [--warmup 0] [--count 1000000]
#                           [--scenario all|fanout|steady|rtt] [--ringleader <messaging-examples.jar>]
#
# Everything listens on 127.0.0.1 only (client and cluster ports; no monitoring port). The
# servers are stopped and reaped on any exit. Exit status: the worst of the runs (0 all clean).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/scripts/nats-compare/NatsBench.java"
SERVERS=3
seconds=5 rate=5000 size=128 subscribers=$((2 * SERVERS)) window=1000 ping_rate=500 warmup=0
count=1000000 scenario=all ringleader=""

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --subscribers) subscribers="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --ping-rate) ping_rate="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --scenario) scenario="$2"; shift 2 ;;
    --ringleader) ringleader="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare-nats: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -n "$ringleader" ] && [ ! -f "$ringleader" ]; then
  echo "compare-nats: no jar at $ringleader (build it with: mvn -B -q package -DskipTests)" >&2
  exit 2
fi
for tool in java ss; do
  command -v "$tool" >/dev/null || { echo "compare-nats: needs $tool" >&2; exit 2; }
done

# ---- nats-server from Debian, if missing
if ! command -v nats-server >/dev/null; then
  echo "== installing nats-server (Debian package)"
  if ! apt-cache policy nats-server 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  # The package enables a system service listening on all interfaces; where systemd runs, stop it.
  if [ -d /run/systemd/system ]; then
    systemctl disable --now nats-server.service >/dev/null 2>&1 || true
  fi
fi
echo "== $(nats-server --version)"

# ---- three servers, loopback only
WORK="$(mktemp -d /tmp/compare-nats.XXXXXX)"
PIDS=()
stop_servers() {
  local pid i
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  stop_servers
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free ports: random in 20000..59999, not listening now and not already chosen (a small race
# with other programs remains; a server that cannot bind exits and the script says so).
CHOSEN=" "
free_port() {
  local p i
  for i in $(seq 200); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    case "$CHOSEN" in *" $p "*) continue ;; esac
    if ! ss -Htln "sport = :$p" | grep -q .; then CHOSEN="$CHOSEN$p "; echo "$p"; return 0; fi
  done
  echo "compare-nats: no free port found" >&2; return 1
}
CLIENT=() ROUTE=()
for i in $(seq "$SERVERS"); do CLIENT+=("$(free_port)"); ROUTE+=("$(free_port)"); done
CLUSTER="nats-bench-$$"
for i in $(seq 0 $((SERVERS - 1))); do
  routes=""
  for j in $(seq 0 $((SERVERS - 1))); do
    [ "$i" = "$j" ] || routes="$routes nats://127.0.0.1:${ROUTE[$j]}"
  done
  cat >"$WORK/n$((i + 1)).conf" <<EOF
# no http/https port: monitoring is off
server_name: n$((i + 1))
listen: 127.0.0.1:${CLIENT[$i]}
cluster {
  name: $CLUSTER
  listen: 127.0.0.1:${ROUTE[$i]}
  no_advertise: true
  routes: [$(echo $routes | sed 's/ /, /g')]
}
EOF
  nats-server -c "$WORK/n$((i + 1)).conf" -l "$WORK/n$((i + 1)).log" &
  PIDS+=("$!")
done
ADDRS="$(printf '127.0.0.1:%s,' "${CLIENT[@]}")"; ADDRS="${ADDRS%,}"
echo "== NATS cluster $CLUSTER: clients $ADDRS; routes on 127.0.0.1:$(IFS=,; echo "${ROUTE[*]}")"

# Wait (at most 10 s) for the client ports and for each server to log its routes to the others.
fail() {
  echo "compare-nats: $1" >&2
  for f in "$WORK"/n*.log; do echo "--- $(basename "$f"), last lines:" >&2; tail -n 15 "$f" >&2 || true; done
  exit 3
}
for i in $(seq 100); do
  up=0
  for k in $(seq 0 $((SERVERS - 1))); do
    kill -0 "${PIDS[$k]}" 2>/dev/null || fail "server n$((k + 1)) exited"
    if (exec 3<>"/dev/tcp/127.0.0.1/${CLIENT[$k]}") 2>/dev/null \
        && [ "$(grep -c 'Route connection created' "$WORK/n$((k + 1)).log" || true)" -ge $((SERVERS - 1)) ]; then
      up=$((up + 1))
    fi
  done
  [ "$up" -eq "$SERVERS" ] && break
  [ "$i" -eq 100 ] && fail "servers or routes not up within 10 s"
  sleep 0.1
done
# Nothing but 127.0.0.1 may listen: check every listening socket of these processes.
listening="$(ss -Htlnp | grep -E "pid=($(IFS='|'; echo "${PIDS[*]}"))," | awk '{print $4}' | sort)"
if echo "$listening" | grep -vq '^127\.0\.0\.1:'; then fail "a server listens beyond loopback: $listening"; fi
echo "== listening: $(echo $listening)"
# A probe message from every server to every server: the routes carry traffic.
java "$BENCH" probe --servers "$ADDRS" --timeout 10 || fail "probe failed"

# ---- the scenarios
echo
echo "== NATS: NatsBench --scenario $scenario --seconds $seconds --rate $rate --size $size" \
  "--subscribers $subscribers --window $window --ping-rate $ping_rate --warmup $warmup --count $count"
echo "   (NATS core has no per-message ack: 'published' is what the publisher wrote and the server read)"
status=0
java "$BENCH" bench --servers "$ADDRS" --scenario "$scenario" --seconds "$seconds" --rate "$rate" \
  --size "$size" --subscribers "$subscribers" --window "$window" --ping-rate "$ping_rate" \
  --warmup "$warmup" --count "$count" || status=$?
stop_servers
echo "== NATS servers stopped"

if [ -n "$ringleader" ]; then
  echo
  echo "== Ringleader: bench --processes --scenario $scenario, same parameters"
  rstatus=0
  java -jar "$ringleader" bench --processes --scenario "$scenario" --servers "$SERVERS" --seconds "$seconds" \
    --rate "$rate" --size "$size" --subscribers "$subscribers" --window "$window" --ping-rate "$ping_rate" \
    --warmup "$warmup" --count "$count" || rstatus=$?
  [ "$rstatus" -gt "$status" ] && status=$rstatus
fi
exit "$status"
