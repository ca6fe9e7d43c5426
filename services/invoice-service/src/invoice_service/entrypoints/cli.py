"""``invoice-service api|worker|all|migrate``."""

import sys

from regua_platform.entrypoint import main as run
from invoice_service.main import DEFINITION
from invoice_service.settings import Settings


def main() -> None:
    sys.exit(run(DEFINITION, Settings))
