#!/usr/bin/env bash
# A three-"host" Ringleader cluster on one Linux machine, for trying the cluster across hosts:
# three network namespaces (rldemo-h1..h3), each with a veth (veth0, 10.201.0.<n>/24) into a
# bridge in a fourth namespace (rldemo-sw), and one example server in each, run with
# `--interface veth0` (TTL 1 implied) and a cluster key made by `keygen`. Nothing is added to
# this machine's own network: the bridge, the veths and the addresses exist only inside the
# namespaces. Prints what to try, then waits; Ctrl+C stops the servers and deletes everything.
#
#   mvn -B -q package -DskipTests         # builds messaging-examples/target/messaging-examples.jar
#   sudo scripts/netns-cluster.sh         # extra arguments go to every server, e.g. --heartbeat 200ms
#
# Needs root, iproute2 (`ip`), and for the loss example iptables.
set -euo pipefail

cd "$(dirname "$0")/.."
JAR=${JAR:-messaging-examples/target/messaging-examples.jar}
NS=rldemo
HOSTS=3

if [ "$(id -u)" -ne 0 ]; then
  echo "netns-cluster: needs root (it creates network namespaces): sudo $0" >&2
  exit 1
fi
if [ ! -f "$JAR" ]; then
  echo "netns-cluster: $JAR not found; build it first: mvn -B -q package -DskipTests" >&2
  exit 1
fi
if ip netns list | grep -q "^$NS-"; then
  echo "netns-cluster: namespaces $NS-* exist already (another run?); delete them with:" >&2
  echo "  for n in \$(ip netns list | awk '/^$NS-/ {print \$1}'); do ip netns delete \$n; done" >&2
  exit 1
fi

work=$(mktemp -d)
pids=()
teardown() {
  trap - EXIT INT TERM
  echo
  echo "netns-cluster: stopping the servers and deleting the namespaces"
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  for ns in $(seq -f "$NS-h%g" "$HOSTS" -1 1) "$NS-sw"; do
    if [ -e "/run/netns/$ns" ]; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -9 "$pid" 2>/dev/null || true
      done
      ip netns delete "$ns" || true
    fi
  done
  rm -rf "$work"
}
trap teardown EXIT INT TERM

ip netns add "$NS-sw"
ip -n "$NS-sw" link set lo up
ip -n "$NS-sw" link add br0 type bridge mcast_snooping 0
ip -n "$NS-sw" link set br0 up
for n in $(seq 1 "$HOSTS"); do
  ip netns add "$NS-h$n"
  ip -n "$NS-sw" link add "h$n" type veth peer name veth0 netns "$NS-h$n"
  ip -n "$NS-sw" link set "h$n" master br0 up
  ip -n "$NS-h$n" link set lo up
  ip -n "$NS-h$n" addr add "10.201.0.$n/24" dev veth0
  ip -n "$NS-h$n" link set veth0 multicast on up
done

java -jar "$JAR" keygen > "$work/cluster.key"
chmod 600 "$work/cluster.key"
for n in $(seq 1 "$HOSTS"); do
  ip netns exec "$NS-h$n" java -jar "$JAR" server "server$n" 7001 --interface veth0 \
    --cluster-key "$work/cluster.key" --http-port 8080 "$@" > "$work/server$n.log" 2>&1 &
  pids+=($!)
done

cat <<EOF
netns-cluster: three hosts on one bridge, a server on each (logs in $work):
  host      namespace   address      server    pid
$(for n in $(seq 1 "$HOSTS"); do
    printf '  host %s    %-10s  10.201.0.%s   server%s   %s\n' "$n" "$NS-h$n" "$n" "$n" "${pids[$((n - 1))]}"
  done)

Try, in another terminal (as root):
  # a client on host 1, through server1; another on host 3, through server2
  ip netns exec $NS-h1 java -jar $JAR client alice 10.201.0.1 7001
  ip netns exec $NS-h3 java -jar $JAR client bob 10.201.0.2 7001
  # what server1 knows (leader, members, their client addresses); the dashboard is on the same port
  ip netns exec $NS-h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET /status HTTP/1.0\r\n\r\n" >&3; cat <&3'
  # crash the leader (server3): the others elect server2
  kill -9 ${pids[2]}
  # unplug host 1 from the switch, and plug it back in
  ip -n $NS-sw link set h1 down;  ip -n $NS-sw link set h1 up
  # drop 20 % of what host 2 receives
  ip netns exec $NS-h2 iptables -A INPUT -m statistic --mode random --probability 0.2 -j DROP
  # follow a server's log
  tail -f $work/server1.log

Ctrl+C here stops the servers and deletes the namespaces.
EOF

# Wait until Ctrl+C (or every server has ended).
wait "${pids[@]}" || true
