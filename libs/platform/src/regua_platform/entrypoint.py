"""The one process entrypoint of every service image: ``<service> ROLE``.

Roles: ``api`` (HTTP API), ``worker`` (relay, consumers, timers; serves only
the health and metrics endpoints), ``all`` (both, for the dev stack) and
``migrate`` (apply migrations and exit; a Kubernetes Job runs this).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn

from regua_platform.app import ServiceDefinition, SettingsT, create_app
from regua_platform.migrations import upgrade


def main(
    definition: ServiceDefinition[SettingsT, Any],
    load_settings: Callable[[], SettingsT],
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=definition.name, description=definition.description)
    parser.add_argument("role", choices=["api", "worker", "all", "migrate"])
    parser.add_argument("--revision", default="head", help="migrate: target revision")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except Exception as exc:  # pydantic's ValidationError names every bad setting
        print(f"{definition.name}: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    if args.role == "migrate":
        upgrade(definition.migrations_dir, settings.database.url, args.revision)
        print(f"{definition.name}: migrations applied up to {args.revision}")
        return 0
    app = create_app(definition, settings, role=args.role)
    uvicorn.run(
        app,
        host=settings.http.host,
        port=settings.http.port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        # The app believes X-Forwarded-For only from http.trusted_proxies.
        proxy_headers=False,
        h11_max_incomplete_event_size=settings.http.max_header_bytes * 4,
        timeout_graceful_shutdown=int(settings.http.shutdown_grace_seconds) + 5,
    )
    return 0
