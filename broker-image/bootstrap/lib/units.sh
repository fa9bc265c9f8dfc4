# shellcheck shell=bash
# The systemd units of a node, printed for /etc/systemd/system/.

# strata-broker.service: the broker as the service user, on the mounted data volume. A stop is
# SIGTERM, which the broker answers with a controlled shutdown (leaderships handed over, logs
# flushed), given minutes rather than systemd's default 90 seconds before a SIGKILL.
broker_service_unit() {
  local node=$1 heap_mib=$2 bundle_dir=$3 properties=$4 data_mount=$5 user=$6
  cat <<UNIT
[Unit]
Description=Strata broker
Wants=network-online.target
After=network-online.target
RequiresMountsFor=$data_mount
StartLimitIntervalSec=0

[Service]
Type=simple
User=$user
Group=$(id -gn "$user")
ExecStart=$node --max-old-space-size=$heap_mib $bundle_dir/bin/strata-broker.js $properties
Restart=on-failure
RestartSec=5
# Exit status 2 is a configuration error, which starting again does not fix.
RestartPreventExitStatus=2
LimitNOFILE=1048576
KillSignal=SIGTERM
TimeoutStopSec=600
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=$data_mount

[Install]
WantedBy=multi-user.target
UNIT
}

# strata-etcd.service: the coordinator's etcd member. It reports ready (Type=notify) once it has
# joined the cluster, which waits for a quorum of the three members to be up.
etcd_service_unit() {
  local etcd=$1 data_dir=$2 user=$3
  shift 3
  local flag exec_start="ExecStart=$etcd"
  for flag in "$@"; do
    exec_start+=$' \\\n  '"$flag"
  done
  cat <<UNIT
[Unit]
Description=Strata coordinator (etcd member)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=notify
User=$user
Group=$(id -gn "$user")
$exec_start
Restart=on-failure
RestartSec=5
TimeoutStartSec=600
LimitNOFILE=65536
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=$data_dir

[Install]
WantedBy=multi-user.target
UNIT
}

# strata-growfs.service and its timer: every minute, grow the data volume's file system if EBS
# has grown the volume, so a ModifyVolume needs no restart and no one on the instance.
growfs_service_unit() {
  local grow_script=$1 data_mount=$2
  cat <<UNIT
[Unit]
Description=Grow the Strata data file system to its volume's size
RequiresMountsFor=$data_mount

[Service]
Type=oneshot
ExecStart=$grow_script $data_mount
UNIT
}

growfs_timer_unit() {
  cat <<'UNIT'
[Unit]
Description=Check every minute whether the Strata data volume has grown

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
UNIT
}
