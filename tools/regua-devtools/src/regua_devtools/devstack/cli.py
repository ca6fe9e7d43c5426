"""``regua stack``: the dev stack's commands."""

from __future__ import annotations

from typing import Annotated

import typer

from regua_devtools.devstack import stack
from regua_devtools.devstack.infra import DATABASE_ENV, KAFKA_ENV

app = typer.Typer(
    help="Run Kafka, PostgreSQL, the channel sandbox and the five services locally, without Docker.",
    no_args_is_help=True,
)
ReadyTimeout = Annotated[float, typer.Option(help="Seconds to wait for every /readyz.")]
LogName = Annotated[str | None, typer.Argument(help="kafka, postgres, invoice, ... (default: all)")]
Follow = Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")]


@app.command()
def up(
    timeout: ReadyTimeout = stack.READY_TIMEOUT,
) -> None:
    """Start (or reuse) Kafka, PostgreSQL, the channel sandbox and the services; migrate;
    mint a demo token."""
    try:
        stack.up(typer.echo, timeout=timeout)
    except (stack.StackError, RuntimeError, TimeoutError) as exc:
        typer.echo(f"regua stack up failed: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def down() -> None:
    """Stop the services, the sandbox, Kafka and PostgreSQL that this stack started."""
    stack.down(typer.echo)


@app.command()
def status() -> None:
    """One line per component."""
    for line in stack.status_lines():
        typer.echo(line)


@app.command()
def logs(
    name: LogName = None,
    follow: Follow = False,
    lines: Annotated[int, typer.Option("--lines", "-n")] = 40,
) -> None:
    """Print the tail of the stack's logs."""
    files = stack.log_files(name)
    if not files:
        typer.echo(f"no logs{f' for {name}' if name else ''} in .local/logs", err=True)
        raise typer.Exit(1)
    stack.print_logs(files, follow=follow, lines=lines, echo=typer.echo)


@app.command()
def infra() -> None:
    """Only Kafka, PostgreSQL and the topics; print their env vars."""
    try:
        ready = stack.prepare_infra(lambda message: typer.echo(message, err=True))
    except (RuntimeError, TimeoutError) as exc:
        typer.echo(f"regua stack infra failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{KAFKA_ENV}={ready.bootstrap_servers}")
    typer.echo(f"{DATABASE_ENV}={ready.database_url}")
