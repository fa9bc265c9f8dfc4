# shellcheck shell=bash
# A broker's EBS data volume: find its device, give it a file system once, mount it, and grow the
# file system when the volume has grown (EBS ModifyVolume changes the device's size under a
# running instance; the file system follows only when grown). Requires common.sh.

# On Nitro instances an EBS volume is an NVMe device whose serial is the volume id without its
# dash; udev names it /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<serial>.
volume_serial() {
  printf '%s' "${1/-/}"
}

# The device of the volume, by its serial. No output when it is not attached (yet).
volume_device() {
  local volume_id=$1 by_id_dir=$2 serial link
  serial=$(volume_serial "$volume_id")
  link="$by_id_dir/nvme-Amazon_Elastic_Block_Store_$serial"
  if [ -e "$link" ]; then
    readlink -f "$link"
    return
  fi
  lsblk --nodeps --noheadings --paths --output NAME,SERIAL 2>/dev/null |
    awk -v serial="$serial" '$2 == serial { print $1; exit }'
}

# Waits up to `timeout` seconds for the volume (the provider attaches it while the instance boots).
find_volume_device() {
  local volume_id=$1 timeout=$2 by_id_dir=$3 device waited=0
  while :; do
    device=$(volume_device "$volume_id" "$by_id_dir")
    if [ -n "$device" ] && [ -b "$device" ]; then
      printf '%s\n' "$device"
      return
    fi
    [ "$waited" -lt "$timeout" ] || die "volume $volume_id is not attached after ${timeout}s"
    [ "$waited" -gt 0 ] || log "waiting for volume $volume_id to be attached"
    sleep 1
    waited=$((waited + 1))
  done
}

# One tag of what blkid finds on the device (TYPE: its file system, PTTYPE: its partition table);
# no output when blkid finds none. A device blkid cannot read is an error, never "blank", so that a
# volume holding data is never formatted by mistake.
probe_tag() {
  local tag=$1 device=$2 status=0 value
  value=$(blkid --probe --match-tag "$tag" --output value "$device") || status=$?
  case $status in
    0) printf '%s\n' "$value" ;;
    2) ;;
    *) die "blkid cannot read $device (status $status)" ;;
  esac
}

# Makes an XFS file system on a blank device; a device with a file system keeps it (a replaced
# broker's volume comes back with its logs).
format_if_blank() {
  local device=$1 type
  type=$(probe_tag TYPE "$device")
  if [ -n "$type" ]; then
    log "$device already has a file system ($type)"
    return
  fi
  type=$(probe_tag PTTYPE "$device")
  [ -z "$type" ] || die "$device has a $type partition table and no file system; not formatting it"
  log "making an XFS file system on $device"
  mkfs.xfs -q "$device"
  if command -v udevadm >/dev/null; then udevadm settle || true; fi
}

filesystem_uuid() {
  blkid --probe --match-tag UUID --output value "$1" || die "$1 has no file system UUID"
}

# One fstab line for the mount point, by UUID (NVMe device names change between boots). nofail:
# a volume that fails to attach must not stop the instance from booting; the broker's unit
# requires the mount, so the broker does not start on an empty directory instead.
ensure_fstab_entry() {
  local fstab=$1 uuid=$2 mount_point=$3 fstype=$4 kept
  kept=$(awk -v mp="$mount_point" '$2 != mp' "$fstab" 2>/dev/null || true)
  {
    [ -z "$kept" ] || printf '%s\n' "$kept"
    printf 'UUID=%s %s %s defaults,noatime,nofail 0 2\n' "$uuid" "$mount_point" "$fstype"
  } >"$fstab.strata-new"
  chmod 0644 "$fstab.strata-new"
  mv -f "$fstab.strata-new" "$fstab"
}

# Mounts the mount point as the fstab says, unless the device is already mounted there.
mount_from_fstab() {
  local fstab=$1 mount_point=$2 device=$3 mounted
  mkdir -p "$mount_point"
  mounted=$(findmnt --noheadings --output SOURCE --mountpoint "$mount_point" || true)
  if [ -n "$mounted" ]; then
    [ "$(readlink -f "$mounted")" = "$(readlink -f "$device")" ] ||
      die "$mount_point is already a mount of $mounted, not of $device"
    return
  fi
  mount --fstab "$fstab" "$mount_point"
}

# Bytes of the XFS file system mounted at the mount point (its data section, as xfs_growfs sees it).
xfs_size_bytes() {
  xfs_info "$1" | awk '
    /^data[ \t]+=/ {
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^bsize=/) { split($i, kv, "="); bsize = kv[2] }
        if ($i ~ /^blocks=/) { split($i, kv, "="); gsub(/,/, "", kv[2]); blocks = kv[2] }
      }
    }
    END { if (bsize && blocks) print bsize * blocks; else exit 1 }'
}

# Bytes of the ext2/3/4 file system on the device, from its superblock.
ext_size_bytes() {
  dumpe2fs -h "$1" 2>/dev/null | awk -F: '
    /^Block count:/ { count = $2 + 0 }
    /^Block size:/ { size = $2 + 0 }
    END { if (count && size) print count * size; else exit 1 }'
}

# Grows the file system at the mount point to its device's size, while it stays mounted (XFS with
# xfs_growfs, ext4 with resize2fs). EBS sizes step by whole GiB, so a device larger by less than a
# MiB is not a grown volume (only space the file system cannot use).
grow_filesystem() {
  local mount_point=$1 device fstype device_bytes fs_bytes grown_bytes
  device=$(findmnt --noheadings --output SOURCE --mountpoint "$mount_point") ||
    die "$mount_point is not mounted"
  fstype=$(findmnt --noheadings --output FSTYPE --mountpoint "$mount_point")
  device_bytes=$(blockdev --getsize64 "$device")
  case $fstype in
    xfs) fs_bytes=$(xfs_size_bytes "$mount_point") || die "cannot read the size of $mount_point" ;;
    ext2 | ext3 | ext4) fs_bytes=$(ext_size_bytes "$device") || die "cannot read the size of $device" ;;
    *) die "$mount_point is $fstype; only XFS and ext4 are grown" ;;
  esac
  if [ "$device_bytes" -lt $((fs_bytes + 1048576)) ]; then
    log "$mount_point fills $device ($fs_bytes bytes)"
    return
  fi
  case $fstype in
    xfs)
      xfs_growfs "$mount_point" >/dev/null
      grown_bytes=$(xfs_size_bytes "$mount_point")
      ;;
    *)
      resize2fs "$device" >/dev/null 2>&1 || die "resize2fs cannot grow $device"
      grown_bytes=$(ext_size_bytes "$device")
      ;;
  esac
  log "grew $mount_point from $fs_bytes to $grown_bytes bytes ($device has $device_bytes)"
}

# Everything a broker's volume needs at boot, in order; safe to run again.
prepare_data_volume() {
  local volume_id=$1 mount_point=$2 fstab=$3 by_id_dir=$4 device uuid fstype
  device=$(find_volume_device "$volume_id" "${STRATA_VOLUME_WAIT_SECONDS:-600}" "$by_id_dir")
  format_if_blank "$device"
  uuid=$(filesystem_uuid "$device")
  fstype=$(probe_tag TYPE "$device")
  ensure_fstab_entry "$fstab" "$uuid" "$mount_point" "$fstype"
  mount_from_fstab "$fstab" "$mount_point" "$device"
  grow_filesystem "$mount_point"
}
