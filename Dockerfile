# syntax=docker/dockerfile:1
# One image for the five services; the command picks the service and the role:
#   docker run IMAGE invoice-service api|worker|migrate
# BASE_IMAGE: the official Python image a user would pull; where no registry is
# reachable, `make images` builds a Debian base locally and passes it here.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY constraints.txt ./
COPY libs/contracts libs/contracts
COPY libs/platform libs/platform
COPY libs/br libs/br
COPY services services
# Wheels only (every pinned dependency ships them for CPython 3.11 on Linux):
# no compiler in either stage.
RUN python3 -m venv /opt/regua \
 && /opt/regua/bin/pip install --only-binary=:all: -c constraints.txt hatchling editables \
 && /opt/regua/bin/pip install --no-build-isolation -c constraints.txt \
      ./libs/contracts ./libs/platform ./libs/br \
      ./services/invoice-service ./services/scheduler-service ./services/notifier-service \
      ./services/negotiation-service ./services/payments-service \
 && /opt/regua/bin/pip uninstall -y hatchling editables

# The `regua` command (channel/PSP/bank sandboxes, `regua dlq redrive`,
# `regua token`) on top: a separate image, `--target tools`, never the services'.
FROM build AS build-tools
COPY tools/regua-devtools tools/regua-devtools
RUN /opt/regua/bin/pip install --only-binary=:all: -c constraints.txt hatchling editables \
 && /opt/regua/bin/pip install --no-build-isolation -c constraints.txt ./tools/regua-devtools \
 && /opt/regua/bin/pip uninstall -y hatchling editables pip

FROM build AS build-services
RUN /opt/regua/bin/pip uninstall -y pip

FROM ${BASE_IMAGE} AS runtime-base
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="regua" \
      org.opencontainers.image.description="Régua debt collection: invoice, scheduler, notifier, negotiation and payments services" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/regua/regua" \
      org.opencontainers.image.licenses="Proprietary"
RUN groupadd --gid 10001 regua && useradd --uid 10001 --gid regua --no-create-home --shell /usr/sbin/nologin regua
ENV PATH=/opt/regua/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 REGUA_HEALTH_PORT=8000
USER 10001:10001
EXPOSE 8000
# Every role but migrate serves /healthz; set each service's HTTP__PORT to 8000 (or REGUA_HEALTH_PORT).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['REGUA_HEALTH_PORT'], timeout=2)"]
# uvicorn handles SIGTERM: stop accepting, drain HTTP__SHUTDOWN_GRACE_SECONDS, commit, exit.
STOPSIGNAL SIGTERM

FROM runtime-base AS tools
COPY --from=build-tools /opt/regua /opt/regua
CMD ["regua", "--help"]

# The default target: the five services.
FROM runtime-base AS services
COPY --from=build-services /opt/regua /opt/regua
CMD ["invoice-service", "api"]
