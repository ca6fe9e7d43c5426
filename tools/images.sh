#!/usr/bin/env bash
# `make images`: the images docker-compose.yml runs.
#
# - regua:0.1.0 (the five services) and regua-tools:0.1.0 (the `regua` command:
#   sandboxes, dlq redrive, tokens), both from the repository's Dockerfile.
# - BASE_IMAGE defaults to the official python:3.11-slim-bookworm. When it is
#   neither present nor pullable (no registry reachable, as on the CI machine),
#   a Debian bookworm base with Python 3.11 is built locally with debootstrap
#   and imported as regua-base:bookworm (about 80 s, once), carrying this
#   host's CA bundle so pip and apt inside the builds trust the same registries.
# - apache/kafka:4.1.1, postgres:15-bookworm, the OpenTelemetry Collector and Prometheus:
#   pulled when a registry answers; otherwise the stand-ins of deploy/docker
#   are built under those names (see deploy/docker/README.md). An image
#   already present is kept.
# - A Docker engine must answer: tools/dockerd.sh starts one as root.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${IMAGE:-regua:0.1.0}
tools_tag=${TOOLS_IMAGE:-regua-tools:0.1.0}
kafka_image=apache/kafka:4.1.1
postgres_image=postgres:15-bookworm
otel_image=otel/opentelemetry-collector-contrib:0.114.0
prometheus_image=prom/prometheus:v2.55.1
base=${BASE_IMAGE:-python:3.11-slim-bookworm}
tools/dockerd.sh

# Build output goes to .local/images-build.log; on failure its tail is shown.
build() {
  if ! docker build "$@" >>.local/images-build.log 2>&1; then
    tail -n 40 .local/images-build.log >&2
    echo "docker build failed: see .local/images-build.log" >&2
    exit 1
  fi
}
: >.local/images-build.log

present_or_pulled() {
  docker image inspect "$1" >/dev/null 2>&1 || docker pull -q "$1" >/dev/null 2>&1
}

local_base() {
  local image=regua-base:bookworm root mirror
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null 2>&1 || {
      [ "$(id -u)" = 0 ] || { echo "debootstrap is needed: sudo apt-get install debootstrap" >&2; exit 1; }
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    root=$(mktemp -d)
    echo "no registry: building $image with debootstrap from $mirror" >&2
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,tzdata bookworm "$root" "$mirror" >/dev/null
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    tar -C "$root" -c . | docker import \
      --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
      --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
      --change 'ENV LANG=C.UTF-8' \
      - "$image" >/dev/null
    rm -rf "$root"
  fi
  echo "$image"
}

if ! present_or_pulled "$base"; then
  base=$(local_base)
fi

began=$(date +%s)
echo "building $tag and $tools_tag from $base"
build --build-arg BASE_IMAGE="$base" --target services -t "$tag" .
build --build-arg BASE_IMAGE="$base" --target tools -t "$tools_tag" .

if ! present_or_pulled "$kafka_image"; then
  echo "no $kafka_image to pull: building the stand-in (deploy/docker/kafka)"
  libs=$(.venv/bin/python -c 'from regua_devtools.devstack.kafka import ensure_jars; print(ensure_jars())')
  context=$(mktemp -d)
  cp -r deploy/docker/kafka/. "$context"
  cp -r "$libs" "$context/libs"
  build --build-arg BASE_IMAGE="$(local_base)" -t "$kafka_image" "$context"
  rm -rf "$context"
fi
if ! present_or_pulled "$postgres_image"; then
  echo "no $postgres_image to pull: building the stand-in (deploy/docker/postgres)"
  build --build-arg BASE_IMAGE="$(local_base)" -t "$postgres_image" deploy/docker/postgres
fi
if ! present_or_pulled "$otel_image"; then
  echo "no $otel_image to pull: building the stand-in (deploy/docker/otel-collector)"
  build --build-arg REGUA_IMAGE="$tag" -t "$otel_image" deploy/docker/otel-collector
fi
if ! present_or_pulled "$prometheus_image"; then
  echo "no $prometheus_image to pull: building the stand-in (deploy/docker/prometheus)"
  build --build-arg BASE_IMAGE="$(local_base)" -t "$prometheus_image" deploy/docker/prometheus
fi
for image in "$tag" "$tools_tag" "$kafka_image" "$postgres_image" "$otel_image" "$prometheus_image"; do
  docker image inspect "$image" --format "  $image: {{.Size}} bytes, user {{.Config.User}}"
done
echo "images ready in $(( $(date +%s) - began )) s"
