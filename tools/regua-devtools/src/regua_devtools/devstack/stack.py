"""``regua stack up|down|status|logs|infra``: the whole platform as local
processes, the state kept under ``.local/``."""

from __future__ import annotations

import os
import secrets
import sys
import sysconfig
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from regua_devtools.devstack import kafka, paths, postgres, services
from regua_devtools.devstack.infra import Infra, ensure_infra
from regua_devtools.devstack.process import (
    log_tail,
    pidfile_alive,
    port_open,
    run_coroutine_blocking,
    spawn,
    stop_pidfile,
)
from regua_devtools.devstack.services import SERVICES, Service, service_named
from regua_devtools.devstack.topics import ensure_platform_topics

READY_TIMEOUT = 180.0
SANDBOX_SMTP_PORT = 1025
SANDBOX_HTTP_PORT = 8025
#: The PSP (API Pix v2 cobv subset) and bank (boleto registration) sandboxes.
SANDBOX_PSP_PORT = 8026
SANDBOX_BANK_PORT = 8027
SANDBOX_PORTS = (SANDBOX_SMTP_PORT, SANDBOX_HTTP_PORT, SANDBOX_PSP_PORT, SANDBOX_BANK_PORT)
JWT_SECRET_KEY = "REGUA_JWT_SECRET"  # noqa: S105 - the variable's name, not a secret
TENANT_KEY = "REGUA_TENANT_ID"
TOKEN_KEY = "REGUA_TOKEN"  # noqa: S105
WEBHOOK_KEY = "REGUA_WEBHOOK_SECRET"
LOADED_KEY = "REGUA_DEMO_LOADED"
DEMO_SCOPES = ("admin",)

Echo = Callable[[str], None]


class StackError(RuntimeError):
    """A step of ``up`` failed; the message says which and shows the log tail."""


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return values
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read (it holds secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _env_text(values: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


PORTAL_KEY_KEY = "REGUA_PORTAL_KEY"
ENCRYPTION_KEY_KEY = "REGUA_ENCRYPTION_KEY"


def stack_secrets(root: Path | None = None) -> services.StackSecrets:
    """The stack's keys (JWT secret, portal key, encryption key), each
    generated once into ``.local/secrets.env`` (mode 0600) and kept across runs."""
    path = paths.local_dir(root) / "secrets.env"
    known = _read_env_file(path)
    fresh = services.StackSecrets.generate()
    keys = services.StackSecrets(
        jwt=known.get(JWT_SECRET_KEY) or fresh.jwt,
        portal_key=known.get(PORTAL_KEY_KEY) or fresh.portal_key,
        encryption_key=known.get(ENCRYPTION_KEY_KEY) or fresh.encryption_key,
    )
    values = {
        JWT_SECRET_KEY: keys.jwt,
        PORTAL_KEY_KEY: keys.portal_key,
        ENCRYPTION_KEY_KEY: keys.encryption_key,
    }
    if values != {k: known.get(k) for k in values}:
        _write_private(path, _env_text(values))
    return keys


def jwt_secret(root: Path | None = None) -> str:
    """The stack's JWT signing secret (see :func:`stack_secrets`)."""
    return stack_secrets(root).jwt


def demo_tenant_id(root: Path | None = None) -> str:
    """The demo tenant's id, kept in ``.local/demo.env`` across runs."""
    existing = _read_env_file(paths.local_dir(root) / "demo.env").get(TENANT_KEY)
    return existing or str(uuid.uuid4())


def mint_demo_token(secret: str, tenant_id: str) -> str:
    from regua_platform.auth import mint_token

    return mint_token(
        secret=secret,
        tenant_id=tenant_id,
        scopes=list(DEMO_SCOPES),
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=23),  # under the services' one-day lifetime cap
        now=datetime.now(UTC),
    )


def load_demo(root: Path, tenant_id: str, token: str, echo: Echo) -> dict[str, str]:
    """Load the demo tenant's data through the services' APIs, once per tenant;
    returns the lines to keep in ``.local/demo.env``."""
    from regua_devtools import demo

    known = _read_env_file(paths.local_dir(root) / "demo.env")
    webhook_secret = known.get(WEBHOOK_KEY) or secrets.token_urlsafe(24)
    kept = {WEBHOOK_KEY: webhook_secret}
    if known.get(LOADED_KEY) == tenant_id:
        echo("Demo data already loaded.")
        return {**kept, LOADED_KEY: tenant_id}
    urls = demo.Urls(
        *(service_named(n).base_url for n in ("invoice", "scheduler", "notifier", "payments", "negotiation"))
    )
    try:
        demo.load(urls, tenant_id=tenant_id, token=token, webhook_secret=webhook_secret, echo=echo)
    except (RuntimeError, httpx.HTTPError) as exc:
        raise StackError(f"loading the demo failed: {exc}") from exc
    return {**kept, LOADED_KEY: tenant_id}


def _get_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _healthy(service: Service) -> bool:
    return _get_ok(f"{service.base_url}/healthz")


def _ready(service: Service) -> bool:
    return _get_ok(f"{service.base_url}/readyz")


def _sandbox_pidfile(root: Path) -> Path:
    return paths.run_dir(root) / "sandbox.pid"


def _sandbox_log(root: Path) -> Path:
    return paths.logs_dir(root) / "sandbox.log"


def _start_sandbox(root: Path, echo: Echo, timeout: float = 30.0) -> None:
    """The channel sandbox (``regua sandbox``) in the background, before the
    services, so their first messages have somewhere to go."""
    pidfile = _sandbox_pidfile(root)
    pid = pidfile_alive(pidfile)
    if pid is not None and all(port_open(p) for p in SANDBOX_PORTS):
        echo(f"  sandbox: already running (pid {pid})")
        return
    if pid is not None:
        stop_pidfile(pidfile)
    busy = [p for p in SANDBOX_PORTS if port_open(p)]
    if busy:
        raise StackError(f"sandbox port(s) {', '.join(map(str, busy))} taken by another process")
    regua = Path(sysconfig.get_path("scripts")) / "regua"
    argv = [
        str(regua),
        "sandbox",
        "--smtp-port",
        str(SANDBOX_SMTP_PORT),
        "--http-port",
        str(SANDBOX_HTTP_PORT),
        "--psp-port",
        str(SANDBOX_PSP_PORT),
        "--bank-port",
        str(SANDBOX_BANK_PORT),
    ]
    pid = spawn(argv, log_path=_sandbox_log(root), pidfile=pidfile, cwd=root)
    deadline = time.monotonic() + timeout
    while not all(port_open(p) for p in SANDBOX_PORTS):
        if pidfile_alive(pidfile) is None or time.monotonic() > deadline:
            raise StackError(f"the sandbox did not start; last log lines:\n{log_tail(_sandbox_log(root))}")
        time.sleep(0.2)
    echo(
        f"  sandbox: started (pid {pid}), SMTP :{SANDBOX_SMTP_PORT}, http://127.0.0.1:{SANDBOX_HTTP_PORT}/,"
        f" PSP :{SANDBOX_PSP_PORT}, bank :{SANDBOX_BANK_PORT}"
    )


def _start_services(infra: Infra, keys: services.StackSecrets, root: Path, echo: Echo) -> None:
    for service in SERVICES:
        pid = services.running_pid(service, root)
        if pid is not None and _healthy(service):
            echo(f"  {service.name}: already running (pid {pid})")
            continue
        if pid is not None:
            echo(f"  {service.name}: pid {pid} does not answer /healthz, restarting it")
            services.stop(service, root=root)
        if port_open(service.port):
            raise StackError(f"port {service.port} for {service.name} is taken by another process")
        pid = services.start(service, infra, keys, root=root)
        echo(f"  {service.name}: started (pid {pid})")


def _wait_ready(root: Path, echo: Echo, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(SERVICES)
    while pending:
        for service in list(pending):
            if services.running_pid(service, root) is None:
                raise StackError(
                    f"{service.name} exited during start-up; last log lines:\n"
                    f"{log_tail(services.log_path(service, root))}"
                )
            if _ready(service):
                pending.remove(service)
                echo(f"  {service.name}: ready")
        if pending and time.monotonic() > deadline:
            details = "\n".join(
                f"--- {s.name} ({s.base_url}/readyz) ---\n{log_tail(services.log_path(s, root))}"
                for s in pending
            )
            names = ", ".join(s.name for s in pending)
            raise StackError(f"not ready after {timeout:.0f}s: {names}\n{details}")
        if pending:
            time.sleep(0.5)


def prepare_infra(echo: Echo, root: Path | None = None) -> Infra:
    """Broker, database and topics."""
    infra = ensure_infra(root=root)
    kafka_state = "started" if infra.started_kafka else "reused"
    pg_state = "started" if infra.started_postgres else "reused"
    echo(f"Kafka {kafka_state}: {infra.bootstrap_servers}")
    echo(f"PostgreSQL {pg_state}: {infra.database_url}")
    run_coroutine_blocking(ensure_platform_topics(infra.bootstrap_servers))
    echo("Topics ready.")
    return infra


def up(echo: Echo = print, *, timeout: float = READY_TIMEOUT) -> None:
    """Start (or reuse) everything and print how to use it."""
    root = paths.repo_root()
    infra = prepare_infra(echo, root)
    keys = stack_secrets(root)
    echo("Migrating...")
    for service in SERVICES:
        try:
            services.migrate(service, infra, keys, root=root)
        except RuntimeError as exc:
            raise StackError(str(exc)) from exc
    echo("Starting the channel sandbox and the services...")
    _start_sandbox(root, echo)
    _start_services(infra, keys, root, echo)
    _wait_ready(root, echo, timeout)

    tenant_id = demo_tenant_id(root)
    token = mint_demo_token(keys.jwt, tenant_id)
    demo_env = {TENANT_KEY: tenant_id, TOKEN_KEY: token}
    _write_private(paths.local_dir(root) / "demo.env", _env_text(demo_env))
    demo_env |= load_demo(root, tenant_id, token, echo)
    _write_private(paths.local_dir(root) / "demo.env", _env_text(demo_env))

    echo("")
    echo("Régua is up:")
    for service in SERVICES:
        echo(f"  {service.name:<20} {service.base_url}/docs")
    echo(
        f"  {'channel sandbox':<20} http://127.0.0.1:{SANDBOX_HTTP_PORT}/"
        f" (SMTP 127.0.0.1:{SANDBOX_SMTP_PORT})"
    )
    echo(f"  {'PSP sandbox':<20} http://127.0.0.1:{SANDBOX_PSP_PORT}/docs (API Pix v2 cobv)")
    echo(f"  {'bank sandbox':<20} http://127.0.0.1:{SANDBOX_BANK_PORT}/docs (boleto registration)")
    echo(f"Demo tenant: {tenant_id}")
    echo(f"Token (admin, 23 hours: mint another with `regua token`; also in .local/demo.env):\n{token}")
    echo("Logs: `make logs` (or `regua stack logs -f`); stop: `make down`.")


def down(echo: Echo = print) -> None:
    """Stop the services, then Kafka, then PostgreSQL: whatever our pidfiles name."""
    root = paths.repo_root()
    for service in SERVICES:
        if services.stop(service, root=root):
            echo(f"{service.name}: stopped")
    if stop_pidfile(_sandbox_pidfile(root)):
        echo("sandbox: stopped")
    if kafka.stop(root):
        echo("Kafka: stopped")
    if postgres.stop(root):
        echo("PostgreSQL: stopped")
    ports = (
        *(s.port for s in SERVICES),
        *SANDBOX_PORTS,
        kafka.DEFAULT_PORT,
        kafka.DEFAULT_CONTROLLER_PORT,
        postgres.DEFAULT_PORT,
    )
    busy = [port for port in ports if port_open(port)]
    if busy:
        echo(f"Still listening (not started by this stack?): {', '.join(map(str, busy))}")


def _line(name: str, state: str, where: str, pid: int | None) -> str:
    return f"{name:<20} {state:<8} {where}" + (f" pid {pid}" if pid else "")


def status_lines() -> list[str]:
    """One line per component."""
    root = paths.repo_root()
    kafka_pid = pidfile_alive(kafka.KafkaLayout.for_repo(root).pidfile)
    kafka_up = kafka_pid is not None and port_open(kafka.DEFAULT_PORT)
    pg_pid = postgres.running_pid(postgres.PgLayout.for_repo(root))
    pg_up = pg_pid is not None and port_open(postgres.DEFAULT_PORT)
    lines = [
        _line(
            "kafka",
            "running" if kafka_up else "stopped",
            f"127.0.0.1:{kafka.DEFAULT_PORT}",
            kafka_pid,
        ),
        _line(
            "postgres",
            "running" if pg_up else "stopped",
            f"127.0.0.1:{postgres.DEFAULT_PORT}",
            pg_pid,
        ),
    ]
    sandbox_pid = pidfile_alive(_sandbox_pidfile(root))
    sandbox_up = sandbox_pid is not None and all(port_open(p) for p in SANDBOX_PORTS)
    lines.append(
        _line(
            "sandbox",
            "running" if sandbox_up else "stopped",
            f"http://127.0.0.1:{SANDBOX_HTTP_PORT}",
            sandbox_pid,
        )
    )
    for service in SERVICES:
        pid = services.running_pid(service, root)
        if pid is None:
            state = "stopped"
        elif _ready(service):
            state = "ready"
        else:
            state = "unready" if _healthy(service) else "starting"
        lines.append(_line(service.name, state, service.base_url, pid))
    return lines


def log_files(name: str | None = None) -> list[Path]:
    """``.local/logs/*.log``, or those of one component (``kafka``, ``postgres``,
    ``invoice`` / ``invoice-service``)."""
    files = sorted(paths.logs_dir().glob("*.log"))
    if name is None:
        return files
    wanted = name.removesuffix("-service")
    return [f for f in files if f.stem.removesuffix("-service").startswith(wanted)]


def print_logs(files: Sequence[Path], *, follow: bool, lines: int, echo: Echo = print) -> None:
    """The tail of each file; with ``follow``, keep printing what is appended."""
    label = len(files) > 1
    for path in files:
        if label:
            echo(f"==> {path.name} <==")
        echo(log_tail(path, lines))
    if not follow:
        return
    offsets = {path: path.stat().st_size if path.exists() else 0 for path in files}
    try:
        while True:
            for path in files:
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if size < offsets[path]:  # truncated or replaced
                    offsets[path] = 0
                if size > offsets[path]:
                    with path.open("rb") as handle:
                        handle.seek(offsets[path])
                        chunk = handle.read(size - offsets[path])
                    offsets[path] = size
                    for line in chunk.decode("utf-8", "replace").splitlines():
                        echo(f"{path.stem}: {line}" if label else line)
            sys.stdout.flush()
            time.sleep(0.5)
    except KeyboardInterrupt:
        return
