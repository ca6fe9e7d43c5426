"""``payments-service api|worker|all|migrate``."""

from __future__ import annotations

import sys

from payments_service.main import DEFINITION
from payments_service.settings import Settings
from regua_platform.entrypoint import main as run


def main() -> None:
    sys.exit(run(DEFINITION, Settings))
