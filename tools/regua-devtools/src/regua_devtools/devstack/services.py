"""The five services as dev-stack processes: their table, environment, start
and stop."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from regua_devtools.devstack import paths
from regua_devtools.devstack.infra import Infra
from regua_devtools.devstack.process import log_tail, pidfile_alive, spawn, stop_pidfile


@dataclass(frozen=True)
class Service:
    name: str  # also the console script and the log / pidfile stem
    package: str
    port: int

    @property
    def env_prefix(self) -> str:
        """``REGUA_INVOICE_`` for invoice-service."""
        return f"REGUA_{self.name.removesuffix('-service').upper()}_"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES: tuple[Service, ...] = (
    Service("invoice-service", "invoice_service", 8001),
    Service("scheduler-service", "scheduler_service", 8002),
    Service("notifier-service", "notifier_service", 8003),
    Service("negotiation-service", "negotiation_service", 8004),
    Service("payments-service", "payments_service", 8005),
)


def service_named(name: str) -> Service:
    for service in SERVICES:
        if name in (service.name, service.name.removesuffix("-service"), service.package):
            return service
    raise KeyError(f"no service called {name!r}")


@dataclass(frozen=True)
class StackSecrets:
    """The dev stack's keys, each its own random root (none derives from another):
    the API tokens' HS256 secret, the portal's key (links, sessions; shared by
    the notifier, which mints links, and negotiation, which opens them) and the
    key encrypting tenants' secrets at rest (payments; a Fernet key)."""

    jwt: str
    portal_key: str
    encryption_key: str

    @classmethod
    def generate(cls) -> StackSecrets:
        from cryptography.fernet import Fernet

        return cls(
            jwt=secrets.token_urlsafe(48),
            portal_key=secrets.token_urlsafe(48),
            encryption_key=Fernet.generate_key().decode(),
        )


def service_env(service: Service, infra: Infra, keys: StackSecrets, port: int) -> dict[str, str]:
    """The environment a service process needs on top of ours (settings use
    the ``REGUA_<SVC>_`` prefix and ``__`` nesting). The dev stack listens on
    loopback only, so its docs and metrics are open."""
    prefix = service.env_prefix
    env = {
        f"{prefix}DATABASE__URL": infra.database_url,
        f"{prefix}KAFKA__BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        f"{prefix}AUTH__JWT_SECRET": keys.jwt,
        f"{prefix}HTTP__HOST": "127.0.0.1",
        f"{prefix}HTTP__PORT": str(port),
        f"{prefix}HTTP__PUBLIC_DOCS": "true",
        f"{prefix}TELEMETRY__PUBLIC_METRICS": "true",
    }
    if service.name in ("notifier-service", "negotiation-service"):
        env[f"{prefix}PORTAL_KEYS"] = json.dumps([keys.portal_key])
    if service.name == "negotiation-service":
        env[f"{prefix}PORTAL_HTTPS"] = "false"  # plain HTTP on loopback: no Secure/__Host- cookies
    if service.name == "payments-service":
        env[f"{prefix}ENCRYPTION_KEYS"] = json.dumps([keys.encryption_key])
    return env


def script_path(service: Service) -> Path:
    """The service's console script in the environment running us."""
    return Path(sysconfig.get_path("scripts")) / service.name


def pidfile(service: Service, root: Path | None = None) -> Path:
    return paths.run_dir(root) / f"{service.name}.pid"


def log_path(service: Service, root: Path | None = None) -> Path:
    return paths.logs_dir(root) / f"{service.name}.log"


def _full_env(service: Service, infra: Infra, keys: StackSecrets) -> dict[str, str]:
    return {**os.environ, **service_env(service, infra, keys, service.port)}


def migrate(
    service: Service, infra: Infra, keys: StackSecrets, *, root: Path | None = None, timeout: float = 300
) -> None:
    """Run the service's ``migrate`` role to completion; raise with the log's
    tail when it fails."""
    log = log_path(service, root)
    with log.open("ab") as handle:
        result = subprocess.run(  # noqa: S603
            [str(script_path(service)), "migrate"],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_full_env(service, infra, keys),
            cwd=root or paths.repo_root(),
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        code = result.returncode
        raise RuntimeError(f"{service.name} migrate exited with {code}:\n{log_tail(log)}")


def start(service: Service, infra: Infra, keys: StackSecrets, *, root: Path | None = None) -> int:
    """Start ``<service> all`` (API and worker in one process) in the background."""
    return spawn(
        [str(script_path(service)), "all"],
        log_path=log_path(service, root),
        pidfile=pidfile(service, root),
        env=_full_env(service, infra, keys),
        cwd=root or paths.repo_root(),
    )


def running_pid(service: Service, root: Path | None = None) -> int | None:
    return pidfile_alive(pidfile(service, root))


def stop(service: Service, *, root: Path | None = None, timeout: float = 20.0) -> bool:
    """SIGTERM the service's process group, SIGKILL after ``timeout``."""
    return stop_pidfile(pidfile(service, root), timeout=timeout)
