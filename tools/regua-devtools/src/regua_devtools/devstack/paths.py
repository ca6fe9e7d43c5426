"""Where the dev stack keeps its state: ``.local/`` in the repository for
logs, pidfiles and small env files, and a per-user cache for downloads."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that overrides the repository root discovery.
ROOT_ENV = "REGUA_REPO_ROOT"


def repo_root(start: Path | None = None) -> Path:
    """The monorepo root: the nearest directory at or above ``start`` (the
    working directory by default) holding ``constraints.txt`` and ``services/``."""
    if override := os.environ.get(ROOT_ENV):
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "constraints.txt").is_file() and (candidate / "services").is_dir():
            return candidate
    # Fall back on this file's location so that tests run from elsewhere work.
    for candidate in Path(__file__).resolve().parents:
        if (candidate / "constraints.txt").is_file() and (candidate / "services").is_dir():
            return candidate
    raise RuntimeError(f"no Régua repository (constraints.txt + services/) at or above {here}")


def local_dir(root: Path | None = None) -> Path:
    """``<repo>/.local``, created on demand."""
    path = (root or repo_root()) / ".local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir(root: Path | None = None) -> Path:
    path = local_dir(root) / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(root: Path | None = None) -> Path:
    """Pidfiles and locks."""
    path = local_dir(root) / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/regua``: downloads shared by every checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "regua"
    path.mkdir(parents=True, exist_ok=True)
    return path
