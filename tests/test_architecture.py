"""The layering rules of the monorepo hold (import-linter): contracts do no
I/O, libraries never import services, services never import each other."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed in this environment"
    result = subprocess.run(
        [lint_imports], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_committed_event_schemas_are_current() -> None:
    regua = shutil.which("regua", path=str(Path(sys.executable).parent))
    assert regua
    result = subprocess.run(
        [regua, "schemas", "--check"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_every_service_handles_only_events_another_service_publishes() -> None:
    """The wiring create_app does at start-up, for each service: every handler
    takes a payload class of the contracts registry (so its event has a type,
    a topic and a schema) whose declared producer is another Régua service."""
    from regua_contracts.registry import EVENTS

    from .offline import definitions, offline_settings

    names = {d.name for d in definitions()}
    assert {spec.producer for spec in EVENTS} <= names
    for definition in definitions():
        settings = offline_settings(definition)
        subscriptions = definition.subscriptions(settings)
        assert subscriptions, f"{definition.name} handles no event"
        for spec in subscriptions.specs:
            assert spec.producer != definition.name, f"{definition.name} consumes its own {spec.type}"
            schema = ROOT / "libs" / "contracts" / spec.dataschema
            assert schema.is_file(), f"{spec.type} has no JSON Schema at {schema}"
