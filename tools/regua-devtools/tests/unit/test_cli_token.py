"""``regua token``: mints a token with exactly the chosen scopes, refuses
scopes no route knows and lifetimes the services would refuse."""

from __future__ import annotations

import re
from uuid import uuid4

import jwt
import pytest
from typer.testing import CliRunner

from regua_devtools.cli import app

SECRET = "s" * 48


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("REGUA_JWT_SECRET", SECRET)
    return CliRunner()


def test_mints_the_chosen_scopes_for_at_most_a_day(runner: CliRunner) -> None:
    tenant = str(uuid4())
    args = [
        "token",
        "--tenant",
        tenant,
        "--scopes",
        "invoices:read debtors:read",
        "--scopes",
        "messages:read",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"], audience="regua")
    assert claims["tenant_id"] == tenant
    assert claims["scope"].split() == ["invoices:read", "debtors:read", "messages:read"]
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert claims["jti"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scopes", "reports:read"], "unknown scope(s) reports:read"),
        (["--ttl-hours", "25"], "less than or equal to 24"),
        (["--ttl-hours", "0"], "greater than or equal to 1"),
    ],
)
def test_refuses_what_no_service_accepts(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["token", "--tenant", str(uuid4()), *args])
    assert result.exit_code == 2
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # unwrap typer's error box
    assert message in text
