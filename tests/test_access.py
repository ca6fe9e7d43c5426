"""Every route of every service declares its access, and the README's scope
table is the route table: walked from what each service really mounts
(``regua_platform.app.route_table``), so a new route without a declared scope,
or with one the README does not list, fails the build. The live half (a token
lacking the scope gets 403, another tenant's ids get 404) is
``tests/e2e/test_access.py``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from regua_platform.auth import ADMIN_SCOPE, SCOPES

from .offline import route_tables

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- scopes:begin -->", "<!-- scopes:end -->"
#: The only entry points that take no bearer token: probes, metrics and the
#: docs (which guard themselves), the debtor portal and the gateways' webhooks.
PUBLIC_PREFIXES = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/portal", "/v1/webhooks/")


def test_every_route_declares_a_known_scope_or_why_it_is_public() -> None:
    undeclared, unknown, public = [], [], []
    for service, routes in route_tables().items():
        for r in routes:
            where = f"{service} {r.method} {r.path}"
            if r.access is None:
                undeclared.append(where)
            elif r.access.scope is not None and r.access.scope not in SCOPES:
                unknown.append(f"{where}: {r.access.scope}")
            elif r.access.public is not None and not r.path.startswith(PUBLIC_PREFIXES):
                public.append(where)
    assert not undeclared, f"routes declaring no scope (use a scopes alias or public(reason)): {undeclared}"
    assert not unknown, f"scopes missing from regua_platform.auth.SCOPES: {unknown}"
    assert not public, f"public routes outside the known entry points: {public}"


def test_settings_need_the_admin_scope_and_every_scope_guards_a_route() -> None:
    used: set[str] = set()
    for service, routes in route_tables().items():
        for r in routes:
            assert r.access is not None
            if r.access.scope:
                used.add(r.access.scope)
            if "/settings" in r.path:
                assert r.access.scope == ADMIN_SCOPE, f"{service} {r.method} {r.path}"
    assert used == set(SCOPES), f"scopes no route needs: {set(SCOPES) - used}"


def scope_table() -> str:
    """The README's table: each scope, what it grants, and the routes needing it."""
    routes: dict[str, list[str]] = defaultdict(list)
    for service, table in route_tables().items():
        for r in table:
            if r.access is not None and r.access.scope is not None:
                routes[r.access.scope].append(f"{service.removesuffix('-service')} `{r.method} {r.path}`")
    lines = ["| scope | grants | routes |", "|---|---|---|"]
    for scope, grants in SCOPES.items():
        lines.append(f"| `{scope}` | {grants} | {'<br>'.join(routes[scope])} |")
    return "\n".join(lines)


def test_the_readme_lists_every_scope_and_its_routes() -> None:
    text = README.read_text()
    assert BEGIN in text and END in text, f"README.md needs the scope table between {BEGIN} and {END}"
    block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = scope_table()
    assert block == expected, f"README.md's scope table is stale; it should read:\n\n{expected}\n"
