# shellcheck shell=bash
# /etc/strata/node.env, written by the instance's user data: KEY=VALUE lines rendered by the
# control plane's EC2 provider. The file is parsed, never sourced, so a value is only ever a value.
# Requires common.sh.
#
# The contract's settings:
#   STRATA_NODE_ROLE            broker | coordinator
#   STRATA_CLUSTER_ID           the cluster's id (etcd keys live under /strata/<id>/)
#   STRATA_NODE_ID              a broker's id (1..n), or a coordinator's index (0..2)
#   STRATA_ZONE                 the availability zone (a broker's broker.rack)
#   STRATA_COORDINATORS         the coordinators' private IPs, comma-separated, in index order
#   STRATA_DATA_VOLUME_ID       a broker's EBS data volume (vol-...)
#   STRATA_BROKER_SETTINGS_B64  base64 of server.properties lines: the cluster's own configuration
#   STRATA_BUNDLE_URI           where user data fetched the node bundle from (s3://...)
# Optional, for tests and unusual networks (the control plane sets none of them):
#   STRATA_PRIVATE_IP           the address to use instead of asking the instance metadata service
#   STRATA_KAFKA_PORT, STRATA_ADMIN_PORT, STRATA_ETCD_CLIENT_PORT, STRATA_ETCD_PEER_PORT
#                               ports other than 9092, 9093, 2379, 2380
#   STRATA_ETCD_VERSION, STRATA_ETCD_SHA256, STRATA_ETCD_URL
#                               another etcd release, or a mirror of it (see etcd.sh)

NODE_ENV_SETTINGS=(
  STRATA_NODE_ROLE STRATA_CLUSTER_ID STRATA_NODE_ID STRATA_ZONE STRATA_COORDINATORS
  STRATA_DATA_VOLUME_ID STRATA_BROKER_SETTINGS_B64 STRATA_BUNDLE_URI
  STRATA_PRIVATE_IP STRATA_KAFKA_PORT STRATA_ADMIN_PORT STRATA_ETCD_CLIENT_PORT STRATA_ETCD_PEER_PORT
  STRATA_ETCD_VERSION STRATA_ETCD_SHA256 STRATA_ETCD_URL
)

is_node_env_setting() {
  local name
  for name in "${NODE_ENV_SETTINGS[@]}"; do
    [ "$name" != "$1" ] || return 0
  done
  return 1
}

# Sets the file's settings as shell variables (not exported: the broker reads STRATA_* variables
# as its own settings, so none of these may reach its environment). Settings the file leaves out
# are unset, whatever the caller's environment had; a name that is not a setting is refused.
load_node_env() {
  local file=$1 line key value number=0
  [ -r "$file" ] || die "cannot read $file"
  unset "${NODE_ENV_SETTINGS[@]}"
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    line=${line%$'\r'}
    case $line in '' | '#'*) continue ;; esac
    [[ $line =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || die "$file:$number: expected NAME=value"
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    is_node_env_setting "$key" || die "$file:$number: $key is not a node setting"
    if [[ $value =~ ^\'(.*)\'$ || $value =~ ^\"(.*)\"$ ]]; then value=${BASH_REMATCH[1]}; fi
    printf -v "$key" '%s' "$value"
  done <"$file"
}

require_settings() {
  local name missing=()
  for name in "$@"; do
    [ -n "${!name:-}" ] || missing+=("$name")
  done
  [ ${#missing[@]} -eq 0 ] || die "node.env lacks ${missing[*]}"
}

# The coordinators' addresses, one per line, in index order.
coordinator_ips() {
  local ip ips
  IFS=, read -ra ips <<<"${STRATA_COORDINATORS:-}"
  for ip in "${ips[@]}"; do
    is_ipv4 "$ip" || die "STRATA_COORDINATORS: \"$ip\" is not an IPv4 address"
    printf '%s\n' "$ip"
  done
}

# Checks what every node needs, before anything on the instance is changed.
validate_common_settings() {
  require_settings STRATA_CLUSTER_ID STRATA_NODE_ID
  [[ $STRATA_NODE_ID =~ ^(0|[1-9][0-9]{0,8})$ ]] || die "STRATA_NODE_ID \"$STRATA_NODE_ID\" is not a number"
  [[ $STRATA_CLUSTER_ID =~ ^[A-Za-z0-9._-]+$ ]] ||
    die "STRATA_CLUSTER_ID \"$STRATA_CLUSTER_ID\" may hold only letters, digits, '.', '_' and '-'"
  coordinator_ips >/dev/null
  local name
  for name in STRATA_KAFKA_PORT STRATA_ADMIN_PORT STRATA_ETCD_CLIENT_PORT STRATA_ETCD_PEER_PORT; do
    [ -z "${!name:-}" ] || is_port "${!name}" || die "$name \"${!name}\" is not a port"
  done
  [ -z "${STRATA_PRIVATE_IP:-}" ] || is_ipv4 "$STRATA_PRIVATE_IP" ||
    die "STRATA_PRIVATE_IP \"$STRATA_PRIVATE_IP\" is not an IPv4 address"
}

# A broker's settings. A lone broker (a container on its own) may go without coordinators: it
# keeps its metadata in its embedded store.
validate_broker_settings() {
  local coordinators=$1
  validate_common_settings
  case $coordinators in
    --coordinators-required) require_settings STRATA_COORDINATORS ;;
    --coordinators-optional) ;;
    *) die "validate_broker_settings: unexpected \"$coordinators\"" ;;
  esac
  require_settings STRATA_ZONE
  [ "$STRATA_NODE_ID" -ge 1 ] || die "STRATA_NODE_ID of a broker starts at 1, not $STRATA_NODE_ID"
  [[ $STRATA_ZONE =~ ^[A-Za-z0-9._-]+$ ]] ||
    die "STRATA_ZONE \"$STRATA_ZONE\" may hold only letters, digits, '.', '_' and '-'"
  validate_cluster_broker_settings
}

validate_coordinator_settings() {
  validate_common_settings
  require_settings STRATA_COORDINATORS
  local count
  count=$(coordinator_ips | wc -l)
  [ "$STRATA_NODE_ID" -lt "$count" ] ||
    die "STRATA_NODE_ID $STRATA_NODE_ID is not the index of one of the $count STRATA_COORDINATORS"
  [ -z "${STRATA_ETCD_SHA256:-}" ] || [[ $STRATA_ETCD_SHA256 =~ ^[0-9a-f]{64}$ ]] ||
    die "STRATA_ETCD_SHA256 \"$STRATA_ETCD_SHA256\" is not a sha256 in hex"
  [ -z "${STRATA_ETCD_VERSION:-}" ] || [[ $STRATA_ETCD_VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "STRATA_ETCD_VERSION \"$STRATA_ETCD_VERSION\" is not a release name such as v3.5.21"
}

# Checks node.env as a whole for the role it names, before anything on the instance is changed;
# `expected_role`, unless "any", is the only role accepted.
validate_node_env() {
  local expected_role=$1
  require_settings STRATA_NODE_ROLE
  case $STRATA_NODE_ROLE in
    broker | coordinator) ;;
    *) die "STRATA_NODE_ROLE \"$STRATA_NODE_ROLE\" is neither broker nor coordinator" ;;
  esac
  [ "$expected_role" = any ] || [ "$STRATA_NODE_ROLE" = "$expected_role" ] ||
    die "STRATA_NODE_ROLE is $STRATA_NODE_ROLE, not $expected_role"
  case $STRATA_NODE_ROLE in
    broker)
      validate_broker_settings --coordinators-required
      require_settings STRATA_DATA_VOLUME_ID
      [[ $STRATA_DATA_VOLUME_ID =~ ^vol-[0-9a-f]+$ ]] ||
        die "STRATA_DATA_VOLUME_ID \"$STRATA_DATA_VOLUME_ID\" is not a volume id"
      ;;
    coordinator) validate_coordinator_settings ;;
  esac
}

kafka_port() { printf '%s' "${STRATA_KAFKA_PORT:-9092}"; }
admin_port() { printf '%s' "${STRATA_ADMIN_PORT:-9093}"; }
etcd_client_port() { printf '%s' "${STRATA_ETCD_CLIENT_PORT:-2379}"; }
etcd_peer_port() { printf '%s' "${STRATA_ETCD_PEER_PORT:-2380}"; }
