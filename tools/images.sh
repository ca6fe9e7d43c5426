#!/usr/bin/env bash
# `make images`: build the Régua image (all five services, one image) with the
# repository's Dockerfile.
#
# - A Docker engine must answer; as root without one, Debian's docker.io is
#   installed (when missing) and dockerd started, logging to .local/dockerd.log.
# - BASE_IMAGE defaults to the official python:3.11-slim-bookworm. When it is
#   neither present nor pullable (no registry reachable, as on the CI machine),
#   a Debian bookworm base with Python 3.11 is built locally with debootstrap
#   and imported as regua-base:bookworm (about 80 s, once), carrying this
#   host's CA bundle so pip inside the build trusts the same registries.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${IMAGE:-regua:0.1.0}
base=${BASE_IMAGE:-python:3.11-slim-bookworm}
mkdir -p .local

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "no Docker engine answers: start one (e.g. sudo dockerd) and run make images again" >&2
    exit 1
  fi
  command -v dockerd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; }
  echo "starting dockerd (log: .local/dockerd.log)"
  nohup dockerd >.local/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start: see .local/dockerd.log" >&2; exit 1; }
fi

if ! docker image inspect "$base" >/dev/null 2>&1 && ! docker pull -q "$base" >/dev/null 2>&1; then
  base=regua-base:bookworm
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    root=$(mktemp -d)
    echo "no registry: building $base with debootstrap from $mirror"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$mirror" >/dev/null
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    tar -C "$root" -c . | docker import \
      --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
      --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
      - "$base" >/dev/null
    rm -rf "$root"
  fi
fi

echo "building $tag from $base"
docker build --build-arg BASE_IMAGE="$base" -t "$tag" .
docker image inspect "$tag" --format '{{.Id}} {{.Size}} bytes, user {{.Config.User}}'
