#!/usr/bin/env bash
# Installs the Debian packages Strata and its tests need: etcd (the coordinator quorum of a
# cluster), kcat (librdkafka's CLI), curl and jq (the README's walk-through), PostgreSQL (the
# control plane's production database, tested alongside SQLite), a JDK and Maven (Kafka's Java
# client and tools come from Maven Central), the headers node-rdkafka builds librdkafka
# against, Python's venv (the local AWS emulator installs into one), and the file-system tools the
# node bootstrap runs on a broker's data volume (mkfs.xfs, xfs_growfs, resize2fs, blkid, findmnt,
# losetup), which its tests run on real loop devices, and unzip (a test reads Kafka's message
# definitions out of its client jar) and openssl (the TLS tests make their certificates with it).
# Run as root or with sudo.
set -euo pipefail

packages=(
  kcat
  etcd-server
  curl
  jq
  postgresql
  openjdk-17-jdk-headless
  maven
  build-essential
  python3
  python3-venv
  libssl-dev
  zlib1g-dev
  libzstd-dev
  liblz4-dev
  libsasl2-dev
  libcurl4-openssl-dev
  shellcheck
  xfsprogs
  e2fsprogs
  util-linux
  unzip
  openssl
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
