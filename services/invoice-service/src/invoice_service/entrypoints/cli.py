"""``invoice-service api|worker|all|migrate``."""

import sys

from invoice_service.main import DEFINITION
from invoice_service.settings import Settings
from regua_platform.entrypoint import main as run


def main() -> None:
    sys.exit(run(DEFINITION, Settings))
