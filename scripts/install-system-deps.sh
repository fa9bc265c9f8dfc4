#!/usr/bin/env bash
# Installs the Debian packages the test suite needs: kcat (librdkafka's CLI), etcd (the
# coordinator quorum of a cluster), a JDK and Maven (Kafka's Java client and tools come from Maven
# Central), and the headers node-rdkafka builds librdkafka against. Run as root or with sudo.
set -euo pipefail

packages=(
  kcat
  etcd-server
  curl
  openjdk-17-jdk-headless
  maven
  build-essential
  python3
  libssl-dev
  zlib1g-dev
  libzstd-dev
  liblz4-dev
  libsasl2-dev
  libcurl4-openssl-dev
  shellcheck
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
