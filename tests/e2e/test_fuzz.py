"""Schemathesis against every service's OpenAPI document, over real HTTP with
the whole stack up, authenticated as a tenant's admin, with schemathesis'
default checks: no 5xx, every status, media type and header the document
declares, schema-valid requests accepted and schema-violating ones refused.

The oracle is the OpenAPI document itself (what integrators generate clients
from), checked by a tool that is not ours. The seed is fixed so a failure
replays; ``REGUA_FUZZ_SEED`` picks another one for exploratory runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from regua_devtools.testing import admin_token

from .conftest import NAMES, SECRET, Stack

SEED = os.environ.get("REGUA_FUZZ_SEED", "20261202")
EXAMPLES = os.environ.get("REGUA_FUZZ_EXAMPLES", "20")


def schemathesis() -> str:
    return str(Path(sys.executable).with_name("st"))


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", NAMES)
async def test_schemathesis_finds_no_failure(stack: Stack, name: str, tmp_path: Path) -> None:
    token = admin_token(SECRET, uuid4())
    base = stack.url(name)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        document = await http.get(f"{base}/openapi.json")
    assert document.status_code == 200, document.text
    schema = tmp_path / "openapi.json"
    schema.write_bytes(document.content)
    run = await asyncio.create_subprocess_exec(
        schemathesis(),
        "run",
        str(schema),
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--no-color",
        "--output-truncate",
        "false",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await run.communicate()
    text = output.decode(errors="replace")
    assert run.returncode == 0, f"schemathesis found failures on {name}:\n{text[-20_000:]}"
