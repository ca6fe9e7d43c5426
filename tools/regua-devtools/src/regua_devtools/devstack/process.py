"""Background processes of the dev stack: spawn detached with a pidfile, check,
stop by process group."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Keep our own children's Popen objects so they are reaped (no zombies that look
# alive to ``kill(pid, 0)``) and Python does not warn about them at exit.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid: int) -> bool:
    """True when ``pid`` runs and is not a zombie."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # The state letter follows the parenthesised command name.
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def pidfile_alive(pidfile: Path) -> int | None:
    """The pid recorded in ``pidfile`` if that process is still running."""
    pid = read_pid(pidfile)
    return pid if pid is not None and pid_alive(pid) else None


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port_closed(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_open(port):
            return True
        time.sleep(0.2)
    return not port_open(port)


def spawn(
    argv: Sequence[str],
    *,
    log_path: Path,
    pidfile: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``argv`` in its own session (so ``down`` can signal the whole group
    and a Ctrl-C in the terminal does not reach it), output appended to
    ``log_path``; the pid goes to ``pidfile``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv is built by us, no shell
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


def stop_process(pid: int, *, timeout: float = 20.0) -> None:
    """SIGTERM the process group led by ``pid``, SIGKILL it after ``timeout``."""
    if not pid_alive(pid):
        _CHILDREN.pop(pid, None)
        return
    _signal_group(pid, signal.SIGTERM)
    if not _wait_dead(pid, timeout):
        _signal_group(pid, signal.SIGKILL)
        _wait_dead(pid, 5.0)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=1.0)


def stop_pidfile(pidfile: Path, *, timeout: float = 20.0) -> bool:
    """Stop the process named by ``pidfile`` and remove the file; True when
    something was running."""
    pid = pidfile_alive(pidfile)
    if pid is not None:
        stop_process(pid, timeout=timeout)
    pidfile.unlink(missing_ok=True)
    return pid is not None


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        data = path.read_bytes()[-64_000:]
    except OSError:
        return f"(no log at {path})"
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so that ``regua stack up`` and a test session
    starting at the same moment do not both start a broker."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_coroutine_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, on a private event loop
    in a helper thread: works whether or not the caller already runs a loop
    (``ensure_infra`` is called from pytest-asyncio fixtures as well as the CLI)."""
    outcome: dict[str, Any] = {}

    def runner() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=runner, name="regua-devstack-async", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value
