# shellcheck shell=bash
# What the bootstrap learns about, and sets up on, the instance itself. Requires common.sh.

IMDS_ENDPOINT=http://169.254.169.254

# The instance metadata service, IMDSv2 only (a session token first, then the request with it).
imds_get() {
  local path=$1 token
  token=$(curl -fsS --retry 10 --retry-connrefused --retry-delay 1 --connect-timeout 2 --max-time 10 \
    -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS_ENDPOINT/latest/api/token") ||
    die "the instance metadata service gives no session token"
  curl -fsS --retry 10 --retry-connrefused --retry-delay 1 --connect-timeout 2 --max-time 10 \
    -H "X-aws-ec2-metadata-token: $token" "$IMDS_ENDPOINT/latest/meta-data/$path" ||
    die "the instance metadata service does not answer $path"
}

# The instance's private IPv4 address: STRATA_PRIVATE_IP when node.env sets it, else the metadata
# service's local-ipv4.
private_ip() {
  local ip=${STRATA_PRIVATE_IP:-}
  [ -n "$ip" ] || ip=$(imds_get local-ipv4)
  is_ipv4 "$ip" || die "the private IP \"$ip\" is not an IPv4 address"
  printf '%s\n' "$ip"
}

# The Node.js 20 binary: Amazon Linux 2023's nodejs20 package installs it as node-20 (node itself
# is an alternatives link that another installed version could take over).
node_binary() {
  local candidate path
  for candidate in node-20 node; do
    path=$(command -v "$candidate") || continue
    if [ "$("$path" -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
      printf '%s\n' "$path"
      return
    fi
  done
  die "no Node.js 20 or later is installed"
}

# Half the memory for the broker's heap, the rest left to the page cache its logs are read
# through; within 256 MiB and 6 GiB, the heap Kafka's operations guide gives a busy broker.
broker_heap_mib() {
  local memory_kib=$1 heap
  heap=$((memory_kib / 1024 / 2))
  [ "$heap" -ge 256 ] || heap=256
  [ "$heap" -le 6144 ] || heap=6144
  printf '%s\n' "$heap"
}

memory_kib() {
  awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}

# The system user the broker and etcd run as.
ensure_service_user() {
  local user=$1
  id -u "$user" >/dev/null 2>&1 && return
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin "$user"
}
