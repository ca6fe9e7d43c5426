"""``negotiation-service api|worker|all|migrate``."""

import sys

from regua_platform.entrypoint import main as run
from negotiation_service.main import DEFINITION
from negotiation_service.settings import Settings


def main() -> None:
    sys.exit(run(DEFINITION, Settings))
