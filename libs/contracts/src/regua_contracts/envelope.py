"""The CloudEvents 1.0 envelope (structured JSON mode) every Régua event travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from regua_contracts.base import Payload
from regua_contracts.registry import spec_for, spec_of


class ContractError(ValueError):
    """An event that does not honour its contract; the message says why."""


class Envelope(BaseModel):
    """A CloudEvents 1.0 event with the Régua extensions ``tenantid`` and a
    ``dataschema`` naming the payload's versioned JSON Schema.

    ``data`` is validated against the payload model registered for ``type``
    (unknown types are refused) and is available typed as :attr:`payload`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=100)
    type: str = Field(pattern=r"^br\.regua\.[a-z-]+\.[a-z-]+\.v[0-9]+$")
    source: str = Field(min_length=1, max_length=200)
    time: AwareDatetime
    subject: str | None = Field(default=None, max_length=200)
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    tenantid: UUID
    data: dict[str, Any]

    _payload: Payload = PrivateAttr()

    @model_validator(mode="after")
    def _check_data(self) -> Envelope:
        try:
            spec = spec_for(self.type)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if self.dataschema != spec.dataschema:
            raise ValueError(f"dataschema {self.dataschema!r} does not match type {self.type!r}")
        try:
            self._payload = spec.model.model_validate(self.data)
        except ValidationError as exc:
            raise ValueError(f"data does not match {self.type}: {_describe(exc)}") from None
        return self

    @property
    def payload(self) -> Payload:
        return self._payload

    @property
    def key(self) -> bytes:
        """Kafka record key: the debtor id."""
        return self._payload.partition_key()

    @property
    def topic(self) -> str:
        return spec_for(self.type).topic

    def to_json(self) -> bytes:
        """The structured-mode JSON: the same bytes as ``model_dump(mode="json",
        exclude_none=True)`` (a ``None`` subject left out, ``data`` as is),
        written directly: an event is serialised once per publish."""
        body: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "time": _iso(self.time),
        }
        if self.subject is not None:
            body["subject"] = self.subject
        body["datacontenttype"] = self.datacontenttype
        body["dataschema"] = self.dataschema
        body["tenantid"] = str(self.tenantid)
        body["data"] = self.data
        return orjson.dumps(body)


def new_envelope(
    payload: Payload,
    *,
    tenant_id: UUID,
    source: str,
    time: AwareDatetime,
    subject: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Wrap ``payload`` in an envelope of its registered type.

    The payload was validated when it was built, and the envelope's fields
    come from the registry and the caller's clock, so the envelope is
    assembled without validating ``data`` against the payload model a second
    time (that was most of the cost of publishing an event); what a caller
    passes is still checked. :func:`parse_envelope` validates everything."""
    spec = spec_of(type(payload))
    if time.tzinfo is None or time.utcoffset() is None:
        raise ContractError("an event's time must be timezone-aware")
    if not 0 < len(source) <= _SOURCE_MAX or (subject is not None and len(subject) > _SUBJECT_MAX):
        raise ContractError("source must be 1-200 characters and subject at most 200")
    envelope = Envelope.model_construct(
        id=event_id or str(uuid4()),
        type=spec.type,
        source=source,
        time=time,
        subject=subject,
        dataschema=spec.dataschema,
        tenantid=tenant_id,
        data=payload.model_dump(mode="json"),
    )
    envelope._payload = payload
    return envelope


_SOURCE_MAX = 200
_SUBJECT_MAX = 200


def _iso(moment: datetime) -> str:
    """As pydantic writes an aware datetime: ISO 8601, ``Z`` for UTC."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_envelope(raw: bytes | str) -> Envelope:
    """Parse and validate one event from JSON; raise :class:`ContractError` with a
    readable reason (bad JSON, unknown type, float money, naive time, ...)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError(f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ContractError("an event must be a JSON object")
    try:
        return Envelope.model_validate(body)
    except ValidationError as exc:
        raise ContractError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "event"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
