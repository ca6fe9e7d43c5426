#!/usr/bin/env bash
# Make sure a Docker engine answers. As root without one, Debian's docker.io is
# installed (when missing) and dockerd started, logging to .local/dockerd.log;
# otherwise say what to do, in one line, and fail.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .local
docker info >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "no Docker engine answers: start one (sudo dockerd, or Docker Desktop) and run this again" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
echo "starting dockerd (log: .local/dockerd.log)"
nohup dockerd >.local/dockerd.log 2>&1 &
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done
echo "dockerd did not start: see .local/dockerd.log" >&2
exit 1
