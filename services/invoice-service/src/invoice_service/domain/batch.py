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
import re
from dataclasses import dataclass, field
from typing import Any

#: A row is a few hundred characters (external id 128, description 500); a
#: longer line is not a row of ours.
MAX_LINE_CHARS = 8_192
#: Amounts are at most 14 digits (R$ 100 bilhões); a longer number is not a
#: typo but an attempt at the cost of converting it (Python refuses 4,300+).
MAX_NUMBER_DIGITS = 30
_INTEGER = re.compile(r"-?[0-9]+")

CSV_COLUMNS = ("external_id", "debtor_id", "amount_cents", "due_date", "description")
REQUIRED_CSV_COLUMNS = frozenset({"external_id", "debtor_id", "amount_cents", "due_date"})


class BatchFormatError(ValueError):
    """The body as a whole cannot be read (no header, too many rows, a line
    that no honest export holds: too long, a NUL, nested too deep, a number of
    thousands of digits). Nothing of such a body is written."""


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BatchFormatError("the body holds a NUL character")
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise BatchFormatError(f"line {number} is longer than {MAX_LINE_CHARS} characters")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise BatchFormatError(f"a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


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
    _check_text(text)
    parsed = ParsedBatch()
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        count += 1
        if count > max_rows:
            raise BatchFormatError(f"a batch holds at most {max_rows} rows")
        try:
            value = json.loads(line, parse_int=_bounded_int)
        except BatchFormatError as exc:
            raise BatchFormatError(f"line {number}: {exc}") from None
        except RecursionError:
            raise BatchFormatError(f"line {number}: JSON nested too deep") from None
        except ValueError as exc:  # json.JSONDecodeError among them
            parsed.errors.append(RowError(number, f"not JSON: {getattr(exc, 'msg', 'unreadable')}"))
            continue
        if not isinstance(value, dict):
            parsed.errors.append(RowError(number, "each line must be a JSON object"))
            continue
        parsed.rows.append((number, value))
    return parsed


def parse_csv(text: str, *, max_rows: int) -> ParsedBatch:
    """Comma-separated with a header row naming the columns; ``amount_cents``
    is an integer number of centavos; empty ``description`` means none."""
    _check_text(text)
    try:
        return _parse_csv(text, max_rows=max_rows)
    except csv.Error as exc:
        raise BatchFormatError(f"not CSV: {exc}") from None


def _parse_csv(text: str, *, max_rows: int) -> ParsedBatch:
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
        if isinstance(amount, str) and _INTEGER.fullmatch(amount):
            try:
                row["amount_cents"] = _bounded_int(amount)
            except BatchFormatError as exc:
                raise BatchFormatError(f"row {number}: {exc}") from None
        parsed.rows.append((number, row))
    return parsed
