from datetime import UTC, date, datetime
from uuid import uuid4

import orjson
import pytest

from regua_contracts import EVENTS, ContractError, new_envelope, parse_envelope
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import PaymentReceivedV1

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def issued(**overrides: object) -> InvoiceIssuedV1:
    fields: dict[str, object] = {
        "debtor_id": uuid4(),
        "invoice_id": uuid4(),
        "external_id": "NF-1",
        "amount_cents": 123_45,
        "due_date": date(2026, 12, 1),
        "issued_at": NOW,
    }
    fields.update(overrides)
    return InvoiceIssuedV1.model_validate(fields)


def event_json(**envelope_overrides: object) -> dict[str, object]:
    env = new_envelope(issued(), tenant_id=uuid4(), source="/regua/invoice-service", time=NOW)
    body = orjson.loads(env.to_json())
    body.update(envelope_overrides)
    return body


def test_round_trip_keeps_every_field_and_the_payload_type() -> None:
    payload = issued(description="Mensalidade")
    tenant = uuid4()
    env = new_envelope(
        payload, tenant_id=tenant, source="/regua/invoice-service", time=NOW, subject=str(payload.invoice_id)
    )
    back = parse_envelope(env.to_json())
    assert back == env
    assert isinstance(back.payload, InvoiceIssuedV1)
    assert back.payload == payload
    assert back.tenantid == tenant
    assert back.specversion == "1.0"
    assert back.type == "br.regua.invoice.issued.v1"
    assert back.dataschema == "schemas/br.regua.invoice.issued.v1.json"
    assert back.topic == "regua.invoice.events"


def test_partition_key_is_the_debtor_id() -> None:
    payload = issued()
    env = new_envelope(payload, tenant_id=uuid4(), source="/s", time=NOW)
    assert env.key == str(payload.debtor_id).encode()


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: s.type)
def test_every_event_type_has_a_distinct_versioned_name_and_a_topic(spec: object) -> None:
    from regua_contracts.registry import EventSpec

    assert isinstance(spec, EventSpec)
    assert spec.type.startswith("br.regua.") and spec.type.endswith(".v1")
    assert spec.topic.startswith("regua.")
    assert "debtor_id" in spec.model.model_fields


def test_float_money_is_refused() -> None:
    body = event_json()
    body["data"]["amount_cents"] = 123.45  # type: ignore[index]
    with pytest.raises(ContractError, match="amount_cents"):
        parse_envelope(orjson.dumps(body))


def test_integral_float_money_is_refused_too() -> None:
    body = event_json()
    body["data"]["amount_cents"] = 100.0  # type: ignore[index]
    with pytest.raises(ContractError, match="amount_cents"):
        parse_envelope(orjson.dumps(body))


def test_money_as_string_is_refused() -> None:
    with pytest.raises(ValueError, match="amount_cents"):
        PaymentReceivedV1.model_validate(
            {
                "debtor_id": uuid4(),
                "payment_id": uuid4(),
                "invoice_id": uuid4(),
                "method": "pix",
                "amount_cents": "100",
                "gateway_reference": "E1",
                "paid_at": NOW,
            }
        )


def test_missing_tenant_is_refused() -> None:
    body = event_json()
    del body["tenantid"]
    with pytest.raises(ContractError, match="tenantid: Field required"):
        parse_envelope(orjson.dumps(body))


def test_naive_datetime_is_refused_in_envelope_and_payload() -> None:
    body = event_json(time="2026-11-23T12:00:00")
    with pytest.raises(ContractError, match="time"):
        parse_envelope(orjson.dumps(body))
    body = event_json()
    body["data"]["issued_at"] = "2026-11-23T12:00:00"  # type: ignore[index]
    with pytest.raises(ContractError, match="issued_at"):
        parse_envelope(orjson.dumps(body))


def test_unknown_type_is_refused() -> None:
    body = event_json(type="br.regua.invoice.exploded.v1")
    with pytest.raises(ContractError, match="unknown event type"):
        parse_envelope(orjson.dumps(body))


def test_type_name_must_follow_the_convention() -> None:
    body = event_json(type="InvoiceIssued")
    with pytest.raises(ContractError, match="type"):
        parse_envelope(orjson.dumps(body))


def test_unknown_payload_field_is_refused() -> None:
    body = event_json()
    body["data"]["cpf"] = "12345678909"  # type: ignore[index]
    with pytest.raises(ContractError, match="cpf"):
        parse_envelope(orjson.dumps(body))


def test_dataschema_must_match_the_type() -> None:
    body = event_json(dataschema="schemas/br.regua.payment.received.v1.json")
    with pytest.raises(ContractError, match="dataschema"):
        parse_envelope(orjson.dumps(body))


def test_not_json_and_not_an_object_are_refused() -> None:
    with pytest.raises(ContractError, match="not JSON"):
        parse_envelope(b"{nope")
    with pytest.raises(ContractError, match="JSON object"):
        parse_envelope(b"[1, 2]")


def test_negative_money_is_refused() -> None:
    with pytest.raises(ValueError, match="amount_cents"):
        issued(amount_cents=-1)
