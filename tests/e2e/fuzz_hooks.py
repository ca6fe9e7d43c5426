"""Schemathesis hooks (``SCHEMATHESIS_HOOKS``) for what a JSON Schema cannot
say: the custom string formats our OpenAPI documents use, and bodies of the
raw media types of the batch import.

- ``cpf-cnpj`` / ``cnpj``: documents with valid check digits, computed here by
  the published algorithm of the Receita Federal (modulo 11 with weights
  10..2 / 11..2 for a CPF, 5..2,9..2 / 6..2,9..2 for a CNPJ), independently
  of ``regua_br``. Every API also accepts punctuation, so half come formatted.
- ``phone``: Brazilian mobile numbers as the national numbering plan (Anatel)
  assigns them: a DDD in use, then 9 and eight digits.
- ``application/x-ndjson`` and ``text/csv`` (``POST /v1/invoices:batch``):
  well-formed bodies whose rows may each be right or wrong; the service
  reports bad rows one by one (200), which is what the check expects.
"""

from __future__ import annotations

import json
import uuid

import schemathesis
from hypothesis import strategies as st

DDDS = ("11", "12", "19", "21", "27", "31", "41", "47", "51", "61", "62", "71", "81", "85", "91", "92")


def _check_digit(digits: list[int], weights: list[int]) -> int:
    rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


@st.composite
def cpfs(draw: st.DrawFn) -> str:
    base = draw(st.lists(st.integers(0, 9), min_size=9, max_size=9).filter(lambda d: len(set(d)) > 1))
    d1 = _check_digit(base, list(range(10, 1, -1)))
    d2 = _check_digit([*base, d1], list(range(11, 1, -1)))
    text = "".join(map(str, [*base, d1, d2]))
    return draw(st.sampled_from([text, f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"]))


@st.composite
def cnpjs(draw: st.DrawFn) -> str:
    base = draw(st.lists(st.integers(0, 9), min_size=12, max_size=12).filter(lambda d: len(set(d)) > 1))
    d1 = _check_digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    d2 = _check_digit([*base, d1], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    t = "".join(map(str, [*base, d1, d2]))
    return draw(st.sampled_from([t, f"{t[:2]}.{t[2:5]}.{t[5:8]}/{t[8:12]}-{t[12:]}"]))


@st.composite
def phones(draw: st.DrawFn) -> str:
    ddd = draw(st.sampled_from(DDDS))
    rest = draw(st.text("0123456789", min_size=8, max_size=8))
    return draw(st.sampled_from([f"+55{ddd}9{rest}", f"({ddd}) 9{rest[:4]}-{rest[4:]}"]))


def _row() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {
            "external_id": st.text("abcdefghij0123456789-", min_size=1, max_size=20),
            "debtor_id": st.builds(lambda: str(uuid.uuid4())),
            "amount_cents": st.integers(-5, 10**9),
            "due_date": st.dates().map(lambda d: d.isoformat()),
        }
    )


ndjson = st.lists(_row(), min_size=1, max_size=5).map(
    lambda rows: "\n".join(json.dumps(r) for r in rows).encode()
)
csv = st.lists(_row(), min_size=1, max_size=5).map(
    lambda rows: (
        "external_id,debtor_id,amount_cents,due_date\n"
        + "".join(f"{r['external_id']},{r['debtor_id']},{r['amount_cents']},{r['due_date']}\n" for r in rows)
    ).encode()
)

schemathesis.openapi.format("cpf-cnpj", st.one_of(cpfs(), cnpjs()))
schemathesis.openapi.format("cnpj", cnpjs())
schemathesis.openapi.format("phone", phones())
schemathesis.openapi.media_type("application/x-ndjson", ndjson)
schemathesis.openapi.media_type("text/csv", csv)


@schemathesis.serializer("application/x-ndjson", "text/csv")
def _raw_text(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    """The documents' examples of these bodies are their text; generated ones are bytes already."""
    return value if isinstance(value, bytes) else str(value).encode()
