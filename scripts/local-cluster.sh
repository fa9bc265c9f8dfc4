#!/usr/bin/env bash
# Starts or stops a replicated cluster on this machine: a 3-member etcd quorum (the coordinator
# nodes, one per zone) and three brokers in zones az-a, az-b and az-c.
#
#   scripts/local-cluster.sh start   # brokers on 127.0.0.1:9192-9194 (CLUSTER_BASE_PORT=9192)
#   scripts/local-cluster.sh stop
#
# Data, logs and pids go to CLUSTER_DIR (default ./.strata/local-cluster). Run `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${CLUSTER_BASE_PORT:-9192}
dir=${CLUSTER_DIR:-./.strata/local-cluster}
zones=(az-a az-b az-c)

etcd_client_port() { echo $((base + 100 + $1)); }
etcd_peer_port() { echo $((base + 200 + $1)); }

wait_for() { # url, what
  for _ in $(seq 1 300); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $2 ($1)" >&2
  return 1
}

start() {
  mkdir -p "$dir"
  local initial="" endpoints=""
  for i in 0 1 2; do
    initial+="${initial:+,}etcd-$i=http://127.0.0.1:$(etcd_peer_port "$i")"
    endpoints+="${endpoints:+,}http://127.0.0.1:$(etcd_client_port "$i")"
  done
  for i in 0 1 2; do
    etcd --name "etcd-$i" --data-dir "$dir/etcd-$i" \
      --listen-client-urls "http://127.0.0.1:$(etcd_client_port "$i")" \
      --advertise-client-urls "http://127.0.0.1:$(etcd_client_port "$i")" \
      --listen-peer-urls "http://127.0.0.1:$(etcd_peer_port "$i")" \
      --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer_port "$i")" \
      --initial-cluster "$initial" --initial-cluster-token strata-local \
      --log-level error >"$dir/etcd-$i.log" 2>&1 &
    echo $! >"$dir/etcd-$i.pid"
  done
  for i in 0 1 2; do wait_for "http://127.0.0.1:$(etcd_client_port "$i")/health" "etcd-$i"; done
  for i in 0 1 2; do
    local id=$((i + 1)) port=$((base + i))
    node bin/strata-broker.js config/server.properties \
      --override node.id="$id" \
      --override broker.rack="${zones[$i]}" \
      --override listeners="PLAINTEXT://127.0.0.1:$port" \
      --override advertised.listeners="PLAINTEXT://127.0.0.1:$port" \
      --override log.dirs="$dir/broker-$id" \
      --override admin.listener="127.0.0.1:$((base + 10 + i))" \
      --override coordinator.endpoints="$endpoints" \
      --override cluster.id=local-cluster \
      --override default.replication.factor=3 \
      --override min.insync.replicas=2 \
      --override offsets.topic.replication.factor=3 >"$dir/broker-$id.log" 2>&1 &
    echo $! >"$dir/broker-$id.pid"
  done
  for i in 0 1 2; do wait_for "http://127.0.0.1:$((base + 10 + i))/readyz" "broker $((i + 1))"; done
  echo "brokers: 127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
}

stop() {
  for pidfile in "$dir"/broker-*.pid "$dir"/etcd-*.pid; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$pidfile"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
