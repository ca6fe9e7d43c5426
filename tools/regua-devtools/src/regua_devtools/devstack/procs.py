"""Services as separate processes for end-to-end tests and benchmarks: started against the
test session's Kafka and database, under a topic namespace of their own, on
free ports, with their logs kept for the assertions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from regua_devtools.devstack.infra import Infra
from regua_devtools.devstack.services import Service, StackSecrets, script_path, service_env
from regua_devtools.testing import free_port, wait_for


@dataclass
class ServiceProcess:
    service: Service
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # noqa: S603 (our own console script)
            [str(script_path(self.service)), "migrate"],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )

    def start(self, **extra_env: str) -> None:
        env = {**self.env, f"{self.service.env_prefix}HTTP__PORT": str(self.port)}
        env.update({f"{self.service.env_prefix}{k}": v for k, v in extra_env.items()})
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 (our own console script)
                [str(script_path(self.service)), "all"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout: float = 90) -> None:  # noqa: ASYNC109 (wait_for's own)
        async with httpx.AsyncClient(timeout=5) as client:

            async def ready() -> bool:
                assert self.proc is not None and self.proc.poll() is None, (
                    f"{self.service.name} exited:\n{self.log.read_text()[-3000:]}"
                )
                try:
                    return (await client.get(f"{self.base_url}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(ready, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.log.read_text().splitlines() if x.startswith("{")]


def service_process(
    service: Service,
    *,
    infra: Infra,
    database_url: str,
    namespace: str,
    keys: StackSecrets,
    log_dir: Path,
    **extra_env: str,
) -> ServiceProcess:
    stack = Infra(bootstrap_servers=infra.bootstrap_servers, database_url=database_url)
    env = {**os.environ, **service_env(service, stack, keys, 1)}
    env[f"{service.env_prefix}KAFKA__TOPIC_NAMESPACE"] = namespace
    env[f"{service.env_prefix}HTTP__SHUTDOWN_GRACE_SECONDS"] = "5"
    env.update({f"{service.env_prefix}{k}": v for k, v in extra_env.items()})
    return ServiceProcess(service=service, env=env, log=log_dir / f"{service.name}.log")
