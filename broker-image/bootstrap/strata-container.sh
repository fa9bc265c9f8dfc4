#!/usr/bin/env bash
# The broker container's entrypoint: renders server.properties with the same renderer an EC2
# broker uses, then runs the broker in the foreground:
#   strata-container.sh [--override key=value ...]
#   strata-container.sh --ready      (the health check: exits 0 once the broker is ready)
# The node settings (node.env's names: STRATA_NODE_ID, STRATA_ZONE, STRATA_COORDINATORS, ...) come
# from /etc/strata/node.env when the container has one, or else from the container's environment;
# without coordinators the broker runs alone, on its embedded metadata store. The address is
# STRATA_PRIVATE_IP, or the container's own. Other STRATA_* variables (STRATA_LOG_RETENTION_MS)
# and the arguments reach the broker as its settings. The data is in /var/lib/strata/data.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/node-env.sh
source "$here/lib/node-env.sh"
# shellcheck source=lib/broker-properties.sh
source "$here/lib/broker-properties.sh"

BUNDLE_DIR=$(dirname "$here")

# node.env from the environment's node settings, with a lone broker's defaults.
node_env_from_environment() {
  local name
  printf 'STRATA_NODE_ROLE=%s\n' "${STRATA_NODE_ROLE:-broker}"
  printf 'STRATA_CLUSTER_ID=%s\n' "${STRATA_CLUSTER_ID:-strata-local}"
  printf 'STRATA_NODE_ID=%s\n' "${STRATA_NODE_ID:-1}"
  printf 'STRATA_ZONE=%s\n' "${STRATA_ZONE:-local}"
  for name in "${NODE_ENV_SETTINGS[@]}"; do
    case $name in STRATA_NODE_ROLE | STRATA_CLUSTER_ID | STRATA_NODE_ID | STRATA_ZONE) continue ;; esac
    [ -z "${!name:-}" ] || printf '%s=%s\n' "$name" "${!name}"
  done
}

container_ip() {
  local ips ip
  read -ra ips <<<"$(hostname -i 2>/dev/null || true)"
  for ip in "${ips[@]}"; do
    if is_ipv4 "$ip" && [[ $ip != 127.* ]]; then
      printf '%s\n' "$ip"
      return
    fi
  done
  die "the container has no IPv4 address of its own: set STRATA_PRIVATE_IP"
}

# Asks the running broker's admin endpoint whether it is ready.
ready() {
  local properties=$1 address
  [ -r "$properties" ] || die "no $properties yet: the broker has not started"
  address=$(property_value admin.listener "$(cat "$properties")") || die "$properties has no admin.listener"
  exec node -e "fetch('http://' + process.argv[1] + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
    "$address"
}

main() {
  validate_bootstrap_environment
  local node_env state_dir data_dir properties ip
  node_env=$(host_path /etc/strata/node.env)
  state_dir=$(host_path /var/lib/strata)
  if [ "${1:-}" = --ready ]; then ready "$state_dir/server.properties"; fi
  data_dir=$state_dir/data/logs
  mkdir -p "$data_dir"
  if [ -e "$node_env" ]; then
    local name
    for name in "${NODE_ENV_SETTINGS[@]}"; do
      [ -z "${!name:-}" ] || die "$name is set in the environment and $node_env exists: use one of them"
    done
  else
    node_env=$state_dir/node.env
    node_env_from_environment >"$node_env"
  fi
  # Loading unsets the node settings in the environment: they are the renderer's, never the
  # broker's own (it would refuse them).
  load_node_env "$node_env"
  [ "$STRATA_NODE_ROLE" = broker ] || die "STRATA_NODE_ROLE is $STRATA_NODE_ROLE: a container runs a broker"
  validate_broker_settings --coordinators-optional
  ip=${STRATA_PRIVATE_IP:-}
  [ -n "$ip" ] || ip=$(container_ip)
  properties=$(render_broker_properties "$ip" "$data_dir")
  printf '%s\n' "$properties" >"$state_dir/server.properties"
  # The bootstrap's own variables are not the broker's settings either.
  unexport_bootstrap_variables
  exec node "$BUNDLE_DIR/bin/strata-broker.js" "$state_dir/server.properties" "$@"
}

main "$@"
