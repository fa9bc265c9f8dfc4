#!/usr/bin/env bash
# Grows the data volume's file system to the size of its device, if the volume has grown:
#   grow-data-volume.sh <mount-point>
# strata-growfs.timer runs it every minute, so a ModifyVolume reaches the broker with no restart.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/volume.sh
source "$here/lib/volume.sh"

[ $# -eq 1 ] || die "usage: grow-data-volume.sh <mount-point>"
grow_filesystem "$1"
