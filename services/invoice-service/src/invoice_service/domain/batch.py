"""Parsing a bulk invoice load: JSON lines or CSV with a header row.

Parsing only splits the body into rows of raw fields; each row is then
validated like a single ``POST /v1/invoices`` body. Rows are numbered from 1
in the order they appear (the CSV header is not a row; blank lines are skipped
but still counted in JSON lines, so the number is the line number there).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

CSV_COLUMNS = ("external_id", "debtor_id", "amount_cents", "due_date", "description")
REQUIRED_CSV_COLUMNS = frozenset({"external_id", "debtor_id", "amount_cents", "due_date"})


class BatchFormatError(ValueError):
    """The body as a whole cannot be read (no header, too many rows...)."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    detail: str
    external_id: str | None = None


@dataclass
class ParsedBatch:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_ndjson(text: str, *, max_rows: int) -> ParsedBatch:
    """One JSON object per line."""
    parsed = ParsedBatch()
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        count += 1
        if count > max_rows:
            raise BatchFormatError(f"a batch holds at most {max_rows} rows")
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.errors.append(RowError(number, f"not JSON: {exc.msg}"))
            continue
        if not isinstance(value, dict):
            parsed.errors.append(RowError(number, "each line must be a JSON object"))
            continue
        parsed.rows.append((number, value))
    return parsed


def parse_csv(text: str, *, max_rows: int) -> ParsedBatch:
    """Comma-separated with a header row naming the columns; ``amount_cents``
    is an integer number of centavos; empty ``description`` means none."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or ()]
    if not header:
        raise BatchFormatError("the CSV needs a header row")
    missing = REQUIRED_CSV_COLUMNS - set(header)
    if missing:
        raise BatchFormatError(f"the CSV header lacks: {', '.join(sorted(missing))}")
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise BatchFormatError(f"unknown CSV columns: {', '.join(sorted(unknown))}")
    reader.fieldnames = header
    parsed = ParsedBatch()
    for number, record in enumerate(reader, start=1):
        if number > max_rows:
            raise BatchFormatError(f"a batch holds at most {max_rows} rows")
        if None in record:
            parsed.errors.append(RowError(number, "more fields than the header names"))
            continue
        row: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items()}
        if row.get("description") == "":
            row["description"] = None
        amount = row.get("amount_cents")
        if isinstance(amount, str) and amount.lstrip("-").isdigit():
            row["amount_cents"] = int(amount)
        parsed.rows.append((number, row))
    return parsed
