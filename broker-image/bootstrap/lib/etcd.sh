# shellcheck shell=bash
# A coordinator's etcd member: its command-line flags, and the pinned etcd release it runs.
# Requires common.sh and node-env.sh (loaded).

# Amazon Linux 2023 does not package etcd; coordinators run this official release, checked against
# the sha256 published for etcd-v3.5.21-linux-amd64.tar.gz. node.env may name another release
# (STRATA_ETCD_VERSION with its STRATA_ETCD_SHA256) or a mirror of it (STRATA_ETCD_URL).
ETCD_VERSION=v3.5.21
ETCD_LINUX_AMD64_SHA256=adddda4b06718e68671ffabff2f8cee48488ba61ad82900e639d108f2148501c

etcd_release_url() {
  local version=$1
  printf 'https://github.com/etcd-io/etcd/releases/download/%s/etcd-%s-linux-amd64.tar.gz' \
    "$version" "$version"
}

# Downloads the release, checks its sha256 and installs etcd, etcdctl and etcdutl into `bin_dir`.
install_etcd() {
  local bin_dir=$1 version sha256 url work
  if [ -n "${STRATA_ETCD_VERSION:-}" ]; then
    [ -n "${STRATA_ETCD_SHA256:-}" ] || die "STRATA_ETCD_VERSION needs its STRATA_ETCD_SHA256"
    version=$STRATA_ETCD_VERSION
    sha256=$STRATA_ETCD_SHA256
  else
    [ -z "${STRATA_ETCD_SHA256:-}" ] || die "STRATA_ETCD_SHA256 needs the STRATA_ETCD_VERSION it is for"
    version=$ETCD_VERSION
    sha256=$ETCD_LINUX_AMD64_SHA256
  fi
  url=${STRATA_ETCD_URL:-$(etcd_release_url "$version")}
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # the directory is known now
  trap "rm -rf '$work'" EXIT
  log "downloading etcd $version from $url"
  curl -fsSL --retry 5 --retry-connrefused --connect-timeout 10 -o "$work/etcd.tar.gz" "$url" ||
    die "cannot download $url"
  printf '%s  %s\n' "$sha256" "$work/etcd.tar.gz" | sha256sum --check --status ||
    die "$url does not have the sha256 $sha256"
  mkdir "$work/release"
  tar -xzf "$work/etcd.tar.gz" -C "$work/release" --strip-components=1
  [ -x "$work/release/etcd" ] || die "$url holds no etcd binary"
  mkdir -p "$bin_dir"
  local tool
  for tool in etcd etcdctl etcdutl; do
    if [ -f "$work/release/$tool" ]; then install -m 0755 "$work/release/$tool" "$bin_dir/$tool"; fi
  done
  rm -rf "$work"
  trap - EXIT
  log "installed $("$bin_dir/etcd" --version | head -n 1) in $bin_dir"
}

etcd_member_name() {
  printf 'coordinator-%s' "$1"
}

# coordinator-0=http://<ip0>:2380,... from STRATA_COORDINATORS.
etcd_initial_cluster() {
  local port index=0 ip members=()
  port=$(etcd_peer_port)
  while IFS= read -r ip; do
    members+=("$(etcd_member_name "$index")=http://$ip:$port")
    index=$((index + 1))
  done < <(coordinator_ips)
  local IFS=,
  printf '%s' "${members[*]}"
}

# A data dir holds a member once etcd has written its write-ahead log there.
etcd_data_has_member() {
  [ -d "$1/member/wal" ]
}

# Prints the member's flags, one per line. A member with data restarts from it (etcd then ignores
# the initial-cluster flags); a fresh one bootstraps the cluster with the other two.
render_etcd_flags() {
  local ip=$1 data_dir=$2 own_ip state=new client_url peer_url
  is_ipv4 "$ip" || die "\"$ip\" is not an IPv4 address"
  [ -n "$data_dir" ] || die "no data directory given"
  own_ip=$(coordinator_ips | sed -n "$((STRATA_NODE_ID + 1))p")
  [ "$own_ip" = "$ip" ] ||
    die "coordinator $STRATA_NODE_ID's address in STRATA_COORDINATORS is $own_ip, not $ip"
  if etcd_data_has_member "$data_dir"; then state=existing; fi
  client_url="http://$ip:$(etcd_client_port)"
  peer_url="http://$ip:$(etcd_peer_port)"
  cat <<FLAGS
--name=$(etcd_member_name "$STRATA_NODE_ID")
--data-dir=$data_dir
--listen-client-urls=$client_url
--advertise-client-urls=$client_url
--listen-peer-urls=$peer_url
--initial-advertise-peer-urls=$peer_url
--initial-cluster=$(etcd_initial_cluster)
--initial-cluster-state=$state
--initial-cluster-token=$STRATA_CLUSTER_ID
--auto-compaction-mode=periodic
--auto-compaction-retention=1h
FLAGS
}
