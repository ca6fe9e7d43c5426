"""``regua``: tokens, dead-letter re-drive, event schemas, and the dev stack."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

app = typer.Typer(help="Régua developer and operator tools.", no_args_is_help=True, add_completion=False)
dlq = typer.Typer(help="Dead-letter topics.", no_args_is_help=True)
app.add_typer(dlq, name="dlq")


def _mount_stack() -> None:
    from regua_devtools.devstack.cli import app as stack

    app.add_typer(stack, name="stack", help="The dev stack: Kafka, PostgreSQL and the services.")


def _secret_from_local() -> str | None:
    from regua_devtools.devstack.paths import local_dir

    path = local_dir() / "secrets.env"
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("REGUA_JWT_SECRET="):
                return line.split("=", 1)[1].strip()
    return None


@app.command()
def token(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant id (UUID).")],
    scopes: Annotated[
        list[str] | None,
        typer.Option(
            "--scopes",
            help="Scopes to grant (repeat or space-separate; the README lists them); default: admin.",
        ),
    ] = None,
    ttl_hours: Annotated[
        int, typer.Option(min=1, max=24, help="Lifetime; services refuse tokens living over 24 h.")
    ] = 24,
    issuer: Annotated[str, typer.Option(envvar="REGUA_JWT_ISSUER")] = "regua-dev",
    audience: Annotated[str, typer.Option(envvar="REGUA_JWT_AUDIENCE")] = "regua",
) -> None:
    """Mint a bearer token for TENANT, signed with REGUA_JWT_SECRET (or the dev
    stack's secret in .local/secrets.env)."""
    from regua_platform.auth import SCOPES, mint_token

    try:
        UUID(tenant)
    except ValueError:
        typer.echo(f"error: --tenant must be a UUID, got {tenant!r}", err=True)
        raise typer.Exit(2) from None
    secret = os.environ.get("REGUA_JWT_SECRET") or _secret_from_local()
    if not secret:
        typer.echo("error: set REGUA_JWT_SECRET or start the dev stack (make run) first", err=True)
        raise typer.Exit(2)
    granted = [s for item in (scopes or ["admin"]) for s in item.split()]
    if unknown := [s for s in granted if s not in SCOPES]:
        typer.echo(f"error: unknown scope(s) {' '.join(unknown)}; known: {' '.join(SCOPES)}", err=True)
        raise typer.Exit(2)
    typer.echo(
        mint_token(
            secret=secret,
            tenant_id=tenant,
            scopes=granted,
            issuer=issuer,
            audience=audience,
            ttl=timedelta(hours=ttl_hours),
            now=datetime.now(UTC),
        )
    )


@app.command()
def topics(
    bootstrap: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")] = "127.0.0.1:9092",
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the broker.")] = 120,
) -> None:
    """Create Régua's topics on a broker (partitions and compaction as the code
    expects); those that exist are left alone. What docker-compose.yml runs once."""
    from regua_devtools.devstack.kafka import wait_ready
    from regua_devtools.devstack.topics import ensure_platform_topics

    try:
        wait_ready(bootstrap, timeout=timeout)
        asyncio.run(ensure_platform_topics(bootstrap))
    except (TimeoutError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"topics ready on {bootstrap}")


@dlq.command("redrive")
def dlq_redrive(
    topic: Annotated[str, typer.Argument(help="Event topic, e.g. regua.invoice.events")],
    limit: Annotated[int | None, typer.Option(min=1, help="Re-drive at most this many.")] = None,
    bootstrap: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")] = "127.0.0.1:9092",
    namespace: Annotated[str, typer.Option(help="Topic namespace prefix.")] = "",
) -> None:
    """Publish the dead letters of TOPIC back to it, once each."""
    from regua_contracts.topics import EVENT_TOPICS
    from regua_platform.consumer import redrive
    from regua_platform.settings import KafkaSettings

    if topic not in EVENT_TOPICS:
        typer.echo(f"error: unknown topic {topic!r}; one of: {', '.join(EVENT_TOPICS)}", err=True)
        raise typer.Exit(2)
    settings = KafkaSettings(bootstrap_servers=bootstrap, topic_namespace=namespace)
    moved = asyncio.run(redrive(settings, topic, limit=limit))
    typer.echo(f"re-drove {moved} dead letter(s) to {namespace}{topic}")


@app.command()
def schemas(
    out: Annotated[Path, typer.Option(help="Folder for the JSON Schema files.")] = Path(
        "libs/contracts/schemas"
    ),
    check: Annotated[bool, typer.Option("--check", help="Fail if a file is missing or stale.")] = False,
) -> None:
    """Write every event's JSON Schema and the AsyncAPI document beside them
    (or, with --check, verify they are current)."""
    from regua_contracts.asyncapi import document
    from regua_contracts.schemas import all_schemas, render
    from regua_devtools.offline import receivers

    wanted = {name: render(schema) for name, schema in all_schemas().items()}
    asyncapi = out.parent / "asyncapi.json"
    asyncapi_body = render(document(receivers()))
    if check:
        stale = [n for n, body in wanted.items() if not (out / n).exists() or (out / n).read_bytes() != body]
        extra = sorted(p.name for p in out.glob("*.json") if p.name not in wanted)
        if not asyncapi.exists() or asyncapi.read_bytes() != asyncapi_body:
            stale.append(str(asyncapi))
        if stale or extra:
            typer.echo(f"schemas drifted: stale {stale}, unexpected {extra}; run `make schemas`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(wanted)} schemas and the AsyncAPI document up to date")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, body in wanted.items():
        (out / name).write_bytes(body)
    asyncapi.write_bytes(asyncapi_body)
    typer.echo(f"wrote {len(wanted)} schemas to {out} and {asyncapi}")


@app.command()
def k8s(
    check: Annotated[
        bool, typer.Option("--check", help="Fail if a generated manifest is missing or stale.")
    ] = False,
) -> None:
    """Write the generated Kubernetes manifests (deploy/k8s/base, deploy/k8s/optional/strimzi)
    from the service table and the topic catalogue (or, with --check, verify them)."""
    from regua_devtools.k8s import generated

    files = generated(Path.cwd())
    if check:
        stale = [str(p) for p, body in files.items() if not p.exists() or p.read_text() != body]
        if stale:
            typer.echo(f"manifests drifted: {stale}; run `make k8s`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(files)} manifests up to date")
        return
    for path, body in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    typer.echo(f"wrote {len(files)} manifests")


@app.command()
def sandbox(
    smtp_port: Annotated[int, typer.Option(min=1, max=65535, help="SMTP port.")] = 1025,
    http_port: Annotated[int, typer.Option(min=1, max=65535, help="HTTP port (SMS, WhatsApp, page).")] = 8025,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    record_file: Annotated[
        Path | None, typer.Option(help="Also append every message to this JSON-lines file.")
    ] = None,
    psp_port: Annotated[
        int, typer.Option(min=0, max=65535, help="PSP sandbox (API Pix) port; 0 = off.")
    ] = 8026,
    bank_port: Annotated[int, typer.Option(min=0, max=65535, help="Bank sandbox port; 0 = off.")] = 8027,
    psp_client: Annotated[
        list[str] | None,
        typer.Option(help="A PSP receiver CLIENT_ID:SECRET:PIX_KEY (repeatable; default: the demo one)."),
    ] = None,
    bank_client: Annotated[
        list[str] | None,
        typer.Option(help="A bank client CLIENT_ID:SECRET (repeatable; default: the demo one)."),
    ] = None,
    clock_offset_seconds: Annotated[
        int, typer.Option(envvar="REGUA_SANDBOX_CLOCK_OFFSET_SECONDS", help="Shift the PSP and bank's today.")
    ] = 0,
) -> None:
    """The channel sandbox: a real SMTP server and HTTP stand-ins for the SMS and
    WhatsApp providers; what they receive is listed at http://HOST:HTTP_PORT/.
    Beside it, the PSP (API Pix) and bank (boleto registration) sandboxes."""
    from regua_devtools.sandbox import serve_forever
    from regua_devtools.sandboxes.setup import companions

    try:
        apps = companions(
            psp_port=psp_port,
            bank_port=bank_port,
            psp_clients=psp_client or [],
            bank_clients=bank_client or [],
            clock_offset_seconds=clock_offset_seconds,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    asyncio.run(
        serve_forever(
            smtp_port=smtp_port, http_port=http_port, host=host, record_file=record_file, companions=apps
        )
    )


def main() -> None:
    _mount_stack()
    sys.exit(app())
