import logging
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from regua_platform.clock import FixedClock
from regua_platform.logs import JsonFormatter, redact


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("debtor 123.456.789-09 not found", "123.456.789-09"),
        ("cpf 12345678909", "12345678909"),
        ("company 11.222.333/0001-81", "11.222.333/0001-81"),
        ("mail maria.silva+x@example.com.br bounced", "maria.silva+x@example.com.br"),
        ("sms to +55 11 91234-5678 failed", "91234-5678"),
        ("call (11) 91234-5678", "91234-5678"),
        # Alphanumeric CNPJ (IN RFB 2.229/2024; the example of the Receita's FAQ), both layouts.
        ("company 12.ABC.345/01DE-35 owes", "12.ABC.345/01DE-35"),
        ("company 12ABC34501DE35 owes", "12ABC34501DE35"),
        # Phones written with spaces, dots, an isolated 9, or E.164 without the plus.
        ("whatsapp 11 91234 5678", "91234 5678"),
        ("whatsapp +55 (11) 9 1234 5678", "1234 5678"),
        ("sms 11.91234.5678", "91234.5678"),
        ("to 5511912345678", "5511912345678"),
        ("landline (11) 3456 7890", "3456 7890"),
    ],
)
def test_personal_data_is_masked(text: str, leak: str) -> None:
    assert leak not in redact(text)


def test_ids_and_amounts_survive_redaction() -> None:
    text = "invoice 5877f5d2-3854-4887-aa69-7b0f7814e35e amount 12345 offset 42"
    assert redact(text) == text


def test_json_log_line_has_event_level_and_redacted_extras() -> None:
    record = logging.LogRecord("regua.x", logging.INFO, __file__, 1, "notifier.message.sent", None, None)
    record.to = "joao@example.com"
    record.attempt = 2
    line = orjson.loads(JsonFormatter("notifier-service").format(record))
    assert line["event"] == "notifier.message.sent"
    assert line["level"] == "info" and line["service"] == "notifier-service"
    assert line["to"] == "[email]" and line["attempt"] == 2


def test_fixed_clock_moves_only_when_told() -> None:
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    clock = FixedClock(start)
    assert clock.now() == start
    clock.advance(timedelta(days=1))
    assert clock.now() == start + timedelta(days=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))
