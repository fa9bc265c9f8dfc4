# shellcheck shell=bash
# The broker's server.properties, from node.env (loaded), the instance's private IP and its data
# directory. Requires common.sh and node-env.sh.

# What the node itself decides; the cluster's configuration may not set them.
NODE_OWN_PROPERTIES=(
  node.id broker.id broker.rack cluster.id listeners advertised.listeners admin.listener
  admin.listener.token.file log.dirs log.dir coordinator.endpoints
)

# The cluster's own Kafka settings (STRATA_BROKER_SETTINGS_B64, decoded), or nothing.
cluster_broker_settings() {
  [ -n "${STRATA_BROKER_SETTINGS_B64:-}" ] || return 0
  [[ $STRATA_BROKER_SETTINGS_B64 =~ ^[A-Za-z0-9+/]+=*$ ]] ||
    die "STRATA_BROKER_SETTINGS_B64 is not base64"
  printf '%s' "$STRATA_BROKER_SETTINGS_B64" | base64 -d 2>/dev/null ||
    die "STRATA_BROKER_SETTINGS_B64 is not base64"
}

# The property names a properties text sets, one per line. Lines are `key=value`, `key: value` or
# `key value`; # and ! start comments.
property_names() {
  printf '%s\n' "$1" | awk '
    /^[ \t]*([#!]|$)/ { next }
    {
      line = $0
      sub(/^[ \t]+/, "", line)
      sub(/[ \t]*[=: \t].*$/, "", line)
      print line
    }'
}

# The value a properties text gives `key` (the last one, as a properties file reads); fails when
# the text does not set it.
property_value() {
  local key=$1 text=$2
  printf '%s\n' "$text" | awk -v want="$key" '
    /^[ \t]*([#!]|$)/ { next }
    {
      line = $0
      sub(/^[ \t]+/, "", line)
      name = line
      sub(/[ \t]*[=: \t].*$/, "", name)
      if (name != want) next
      value = substr(line, length(name) + 1)
      sub(/^[ \t]*[=:]?[ \t]*/, "", value)
      found = 1
    }
    END {
      if (found) print value
      exit !found
    }'
}

# Refuses cluster settings that are not `name=value` lines or that set what the node decides.
validate_cluster_broker_settings() {
  local settings name own
  settings=$(cluster_broker_settings)
  [ -n "$settings" ] || return 0
  while IFS= read -r name; do
    [[ $name =~ ^[a-z][a-z0-9._-]*$ ]] ||
      die "STRATA_BROKER_SETTINGS_B64 holds a line that is not a setting: \"$name\""
    for own in "${NODE_OWN_PROPERTIES[@]}"; do
      [ "$name" != "$own" ] ||
        die "STRATA_BROKER_SETTINGS_B64 sets $name, which each node sets for itself"
    done
  done < <(property_names "$settings")
  local key value
  for key in default.replication.factor min.insync.replicas offsets.topic.replication.factor; do
    value=$(property_value "$key" "$settings") || continue
    [[ $value =~ ^[1-9][0-9]{0,4}$ ]] || die "STRATA_BROKER_SETTINGS_B64: $key \"$value\" is not a count"
  done
}

# http://<ip>:<port> for each coordinator, comma-separated.
coordinator_endpoints() {
  local port ip urls=()
  port=$(etcd_client_port)
  while IFS= read -r ip; do
    urls+=("http://$ip:$port")
  done < <(coordinator_ips)
  local IFS=,
  printf '%s' "${urls[*]}"
}

# Prints server.properties. With coordinators, replication defaults are MSK's for three zones
# (three replicas, two in sync), as the control plane's; a lone broker keeps one copy. The
# cluster's settings come last, so that whatever they set wins.
render_broker_properties() {
  local ip=$1 data_dir=$2 settings default_replication_factor=1 replication_factor
  is_ipv4 "$ip" || die "\"$ip\" is not an IPv4 address"
  [ -n "$data_dir" ] || die "no data directory given"
  settings=$(cluster_broker_settings)
  [ -z "${STRATA_COORDINATORS:-}" ] || default_replication_factor=3
  replication_factor=$(property_value default.replication.factor "$settings") ||
    replication_factor=$default_replication_factor
  cat <<PROPERTIES
# Rendered from node.env by the node bootstrap; the cluster's settings come last.
node.id=$STRATA_NODE_ID
broker.rack=$STRATA_ZONE
cluster.id=$STRATA_CLUSTER_ID
listeners=PLAINTEXT://$ip:$(kafka_port)
advertised.listeners=PLAINTEXT://$ip:$(kafka_port)
admin.listener=$ip:$(admin_port)
log.dirs=$data_dir
PROPERTIES
  [ -z "${STRATA_COORDINATORS:-}" ] || echo "coordinator.endpoints=$(coordinator_endpoints)"
  property_value default.replication.factor "$settings" >/dev/null ||
    echo "default.replication.factor=$replication_factor"
  property_value min.insync.replicas "$settings" >/dev/null ||
    echo "min.insync.replicas=$((replication_factor >= 3 ? 2 : 1))"
  property_value offsets.topic.replication.factor "$settings" >/dev/null ||
    echo "offsets.topic.replication.factor=$replication_factor"
  if [ -n "$settings" ]; then
    echo "# The cluster's configuration"
    printf '%s\n' "$settings"
  fi
}
