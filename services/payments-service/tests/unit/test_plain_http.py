"""Which gateway URLs may use plain http: a deployment setting, loopback by default."""

from __future__ import annotations

import pytest

from payments_service.api.schemas import plain_http_refused
from payments_service.settings import GatewaySettings

LOOPBACK = GatewaySettings().plain_http_hosts


@pytest.mark.parametrize(
    ("url", "hosts", "refused"),
    [
        ("https://pix.example.com.br/api", LOOPBACK, False),
        ("http://127.0.0.1:8026", LOOPBACK, False),
        ("http://localhost:8026/v2", LOOPBACK, False),
        ("http://sandbox:8026", LOOPBACK, True),
        ("http://sandbox:8026", ["sandbox"], False),
        ("http://pix.example.com.br", ["sandbox"], True),
        ("http://127.0.0.1:8026", [], True),
        ("https://anything.example", [], False),
        (None, [], False),
    ],
)
def test_plain_http_only_to_the_listed_hosts(url: str | None, hosts: list[str], refused: bool) -> None:
    assert (plain_http_refused(url, hosts) is not None) is refused
