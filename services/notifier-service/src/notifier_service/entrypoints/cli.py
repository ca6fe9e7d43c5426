"""``notifier-service api|worker|all|migrate``."""

import sys

from notifier_service.main import DEFINITION
from notifier_service.settings import Settings
from regua_platform.entrypoint import main as run


def main() -> None:
    sys.exit(run(DEFINITION, Settings))
