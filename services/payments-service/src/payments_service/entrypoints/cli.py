"""``payments-service api|worker|all|migrate``."""

from __future__ import annotations

import sys

from payments_service.main import build_definition
from payments_service.settings import Settings
from regua_platform.entrypoint import main as run


def main() -> None:
    try:
        config = Settings()
    except Exception as exc:  # pydantic's ValidationError names every bad setting
        print(f"payments-service: invalid settings:\n{exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(run(build_definition(config), lambda: config))
