#!/usr/bin/env bash
# Turns a fresh Amazon Linux 2023 instance into a Strata node, as its user data asks once the node
# bundle is unpacked in /opt/strata:
#   strata-node.sh [node.env]        (default /etc/strata/node.env)
# A broker gets Node.js, its data volume mounted at /var/lib/strata/data (formatted only when
# blank, grown when EBS grows it), server.properties, strata-broker.service and
# strata-growfs.timer; a coordinator gets the pinned etcd release and strata-etcd.service, its data
# in /var/lib/strata/etcd. Every step is safe to run again. lib/common.sh lists the variables
# that move the instance's paths and commands elsewhere (tests).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/node-env.sh
source "$here/lib/node-env.sh"
# shellcheck source=lib/instance.sh
source "$here/lib/instance.sh"
# shellcheck source=lib/broker-properties.sh
source "$here/lib/broker-properties.sh"
# shellcheck source=lib/etcd.sh
source "$here/lib/etcd.sh"
# shellcheck source=lib/volume.sh
source "$here/lib/volume.sh"
# shellcheck source=lib/units.sh
source "$here/lib/units.sh"

BUNDLE_DIR=$(dirname "$here")
# Where the broker's data volume is mounted: the path whose disk use the deployment watches.
DATA_MOUNT_PATH=/var/lib/strata/data

# The broker admin endpoint's token (admin.listener.token.file): 32 random bytes in base64url, made
# on the first run and kept after, readable by root and the broker's group only.
ensure_admin_token() {
  local file=$1 group=$2
  [ -s "$file" ] && return 0
  head -c 32 /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_' | write_file "$file" 0640 "root:$group"
}

bootstrap_broker() {
  local ip=$1 user=$2 config_dir data_mount unit_dir logs_dir properties node heap group
  config_dir=$(host_path /etc/strata)
  data_mount=$(host_path "$DATA_MOUNT_PATH")
  unit_dir=$(host_path /etc/systemd/system)
  logs_dir=$data_mount/logs

  [ -f "$BUNDLE_DIR/bin/strata-broker.js" ] || die "the node bundle in $BUNDLE_DIR has no bin/strata-broker.js"
  install_packages nodejs20 xfsprogs
  ensure_service_user "$user"
  group=$(id -gn "$user")
  prepare_data_volume "$STRATA_DATA_VOLUME_ID" "$data_mount" "$(host_path /etc/fstab)" \
    "$(host_path /dev/disk/by-id)"
  install -d -o "$user" -g "$group" -m 0750 "$logs_dir"

  install -d -m 0755 "$config_dir" "$unit_dir"
  ensure_admin_token "$config_dir/admin.token" "$group"
  properties=$(render_broker_properties "$ip" "$logs_dir")
  # The admin endpoint takes changes only with the token in this file.
  properties+=$'\n'"admin.listener.token.file=$config_dir/admin.token"
  printf '%s\n' "$properties" | write_file "$config_dir/server.properties" 0640 "root:$group"
  node=$(node_binary)
  heap=$(broker_heap_mib "$(memory_kib)")
  broker_service_unit "$node" "$heap" "$BUNDLE_DIR" "$config_dir/server.properties" "$data_mount" "$user" |
    write_file "$unit_dir/strata-broker.service" 0644
  growfs_service_unit "$here/grow-data-volume.sh" "$data_mount" |
    write_file "$unit_dir/strata-growfs.service" 0644
  growfs_timer_unit | write_file "$unit_dir/strata-growfs.timer" 0644

  systemctl_command daemon-reload
  systemctl_command enable --now strata-growfs.timer strata-broker.service
  log "broker $STRATA_NODE_ID of cluster $STRATA_CLUSTER_ID started on $ip"
}

bootstrap_coordinator() {
  local ip=$1 user=$2 bin_dir data_dir unit_dir flags_text flags group
  bin_dir=$(host_path /usr/local/bin)
  data_dir=$(host_path /var/lib/strata/etcd)
  unit_dir=$(host_path /etc/systemd/system)

  # Checked before anything is installed: the address must be this coordinator's.
  flags_text=$(render_etcd_flags "$ip" "$data_dir")
  ensure_service_user "$user"
  group=$(id -gn "$user")
  [ -x "$bin_dir/etcd" ] || install_etcd "$bin_dir"
  install -d -m 0755 "$(dirname "$data_dir")" "$unit_dir"
  install -d -o "$user" -g "$group" -m 0700 "$data_dir"
  mapfile -t flags <<<"$flags_text"
  etcd_service_unit "$bin_dir/etcd" "$data_dir" "$user" "${flags[@]}" |
    write_file "$unit_dir/strata-etcd.service" 0644
  systemctl_command daemon-reload
  systemctl_command enable strata-etcd.service
  # etcd reports ready only once a quorum is up, and the other members may still be booting.
  systemctl_command start --no-block strata-etcd.service
  log "coordinator $STRATA_NODE_ID of cluster $STRATA_CLUSTER_ID started on $ip"
}

main() {
  [ $# -le 1 ] || die "usage: strata-node.sh [node.env]"
  validate_bootstrap_environment
  load_node_env "${1:-$(host_path /etc/strata/node.env)}"
  validate_node_env any
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  local ip user
  ip=$(private_ip)
  user=$(service_user)
  case $STRATA_NODE_ROLE in
    broker) bootstrap_broker "$ip" "$user" ;;
    coordinator) bootstrap_coordinator "$ip" "$user" ;;
  esac
}

main "$@"
