"""notifier-service events, version 1 (topic ``regua.notification.events``)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from regua_contracts.base import Instant, Payload
from regua_contracts.dunning.v1 import Channel


class MessageSentV1(Payload):
    message_id: UUID
    step_id: UUID
    invoice_id: UUID
    channel: Channel
    template: str = Field(min_length=1, max_length=100)
    provider: str = Field(min_length=1, max_length=50)
    provider_message_id: str | None = Field(default=None, max_length=200)
    sent_at: Instant


class MessageFailedV1(Payload):
    step_id: UUID
    invoice_id: UUID
    #: The last channel tried, when any was.
    channel: Channel | None = None
    #: Machine-readable reason, e.g. ``unknown_template``, ``no_consented_channel``.
    reason: str = Field(min_length=1, max_length=100)
    detail: str | None = Field(default=None, max_length=500)
    failed_at: Instant


class MessageSuppressedV1(Payload):
    """A step's message was deliberately not sent: the invoice was paid (or
    closed) before the provider call, or nothing is due any more. The
    scheduler ends the step in a terminal status with this reason, so a
    paid invoice's timeline shows no pending step."""

    step_id: UUID
    invoice_id: UUID
    #: Machine-readable, e.g. ``suppressed_paid``, ``suppressed_closed``, ``nothing_due``.
    reason: str = Field(min_length=1, max_length=100)
    suppressed_at: Instant
