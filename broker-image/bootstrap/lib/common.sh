# shellcheck shell=bash
# Messages of the bootstrap scripts go to stderr, so that a function's stdout is its result.
#
# The instance the bootstrap changes can be moved, for tests and image builds, by variables of the
# bootstrap's own environment (node.env never sets them):
#   STRATA_ROOT            a directory every instance path is taken under (/etc, /var/lib, /dev/disk,
#                          /usr/local/bin); the bundle itself is wherever the scripts are
#   STRATA_SYSTEMCTL       the command run as systemctl (default: systemctl)
#   STRATA_INSTALL_PACKAGES  the command packages are installed with (default: dnf install -y -q)
#   STRATA_SERVICE_USER    the user the broker and etcd run as (default: strata)
#   STRATA_VOLUME_WAIT_SECONDS  how long a broker waits for its data volume (default: 600)

BOOTSTRAP_VARIABLES=(
  STRATA_ROOT STRATA_SYSTEMCTL STRATA_INSTALL_PACKAGES STRATA_SERVICE_USER STRATA_VOLUME_WAIT_SECONDS
)

log() {
  printf 'strata-node: %s\n' "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

is_ipv4() {
  local IFS=. part
  [[ $1 =~ ^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$ ]] || return 1
  for part in $1; do
    [ "$part" -le 255 ] || return 1
  done
}

is_port() {
  [[ $1 =~ ^[1-9][0-9]{0,4}$ ]] && [ "$1" -le 65535 ]
}

# Checks the variables above, before anything is changed.
validate_bootstrap_environment() {
  local root=${STRATA_ROOT:-}
  if [ -n "$root" ]; then
    [[ $root == /* ]] || die "STRATA_ROOT \"$root\" is not an absolute path"
    [ -d "$root" ] || die "STRATA_ROOT \"$root\" is not a directory"
  fi
  [[ ${STRATA_SYSTEMCTL-systemctl} =~ [^[:space:]] ]] || die "STRATA_SYSTEMCTL is blank"
  [[ ${STRATA_INSTALL_PACKAGES-dnf} =~ [^[:space:]] ]] || die "STRATA_INSTALL_PACKAGES is blank"
  [[ ${STRATA_SERVICE_USER:-strata} =~ ^[a-z_][a-z0-9_-]*$ ]] ||
    die "STRATA_SERVICE_USER \"$STRATA_SERVICE_USER\" is not a user name"
  [[ ${STRATA_VOLUME_WAIT_SECONDS:-600} =~ ^(0|[1-9][0-9]{0,5})$ ]] ||
    die "STRATA_VOLUME_WAIT_SECONDS \"$STRATA_VOLUME_WAIT_SECONDS\" is not a number of seconds"
}

# Keeps the variables above from the environment of what is started next (a broker would take
# them for its settings).
unexport_bootstrap_variables() {
  export -n "${BOOTSTRAP_VARIABLES[@]}"
}

# An instance path (absolute) under STRATA_ROOT.
host_path() {
  local root=${STRATA_ROOT:-}
  printf '%s%s\n' "${root%/}" "$1"
}

systemctl_command() {
  local command
  read -ra command <<<"${STRATA_SYSTEMCTL:-systemctl}"
  "${command[@]}" "$@"
}

install_packages() {
  local command
  read -ra command <<<"${STRATA_INSTALL_PACKAGES:-dnf install -y -q}"
  "${command[@]}" "$@"
}

service_user() {
  printf '%s\n' "${STRATA_SERVICE_USER:-strata}"
}

# Writes a file from stdin in one step, so a failed bootstrap never leaves half a file behind.
write_file() {
  local path=$1 mode=$2 owner=${3:-}
  cat >"$path.strata-new"
  chmod "$mode" "$path.strata-new"
  [ -z "$owner" ] || chown "$owner" "$path.strata-new"
  mv -f "$path.strata-new" "$path"
}
