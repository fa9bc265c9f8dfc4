#!/usr/bin/env bash
# Prints the flags a coordinator instance runs its etcd member with, one per line:
#   render-etcd-flags.sh <node.env> <private-ip> <data-dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/node-env.sh
source "$here/lib/node-env.sh"
# shellcheck source=lib/etcd.sh
source "$here/lib/etcd.sh"

[ $# -eq 3 ] || die "usage: render-etcd-flags.sh <node.env> <private-ip> <data-dir>"
load_node_env "$1"
validate_node_env coordinator
render_etcd_flags "$2" "$3"
