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
