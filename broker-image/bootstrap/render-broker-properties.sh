#!/usr/bin/env bash
# Prints the server.properties a broker instance runs with:
#   render-broker-properties.sh <node.env> <private-ip> <data-dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/node-env.sh
source "$here/lib/node-env.sh"
# shellcheck source=lib/broker-properties.sh
source "$here/lib/broker-properties.sh"

[ $# -eq 3 ] || die "usage: render-broker-properties.sh <node.env> <private-ip> <data-dir>"
load_node_env "$1"
validate_node_env broker
render_broker_properties "$2" "$3"
