#!/usr/bin/env bash
# `make test-compose`: docker-compose.yml on a real Docker engine.
#
# A Docker engine must answer: as root, tools/dockerd.sh installs Debian's
# docker.io when missing and starts dockerd; otherwise it says what to do and
# this fails (never a silent skip). Compose: the v2 plugin (`docker compose`)
# when the docker CLI has it, else Debian's docker-compose (v1.29, installed
# as root when missing): both run the same file. Then `make images` (offline:
# stand-ins where no registry answers) and tests/compose against the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/dockerd.sh
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "no Docker Compose: install the compose plugin (or docker-compose) and run make test-compose again" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
if [ "${REGUA_IMAGES_BUILDING:-}" = 1 ]; then
  # `make test` started tools/images.sh in the background: wait for it.
  while [ ! -s .local/images.rc ]; do sleep 2; done
  if [ "$(cat .local/images.rc)" != 0 ]; then
    cat .local/images.log >&2
    exit 1
  fi
fi
tools/images.sh  # cached when the background build ran: seconds
REGUA_TEST_COMPOSE=1 .venv/bin/pytest -q -p no:cacheprovider tests/compose "$@"
# The same tests, the same assertions, on Kafka and PostgreSQL from testcontainers.
REGUA_TEST_INFRA=containers .venv/bin/pytest -q -p no:cacheprovider \
  libs/platform/tests/integration/test_outbox_relay.py libs/platform/tests/integration/test_consumer.py
