"""scheduler-service events, version 1 (topic ``regua.dunning.step-due``)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from regua_contracts.base import Instant, Payload

Channel = Literal["email", "sms", "whatsapp", "voice"]
Tone = Literal["friendly", "firm", "final"]
StepAction = Literal["message", "offer", "final_notice", "credit_bureau"]


class StepDueV1(Payload):
    """A planned step of a régua whose time has come."""

    step_id: UUID
    invoice_id: UUID
    policy_id: UUID
    step_name: str = Field(min_length=1, max_length=100)
    step_index: int = Field(ge=0)
    template: str = Field(min_length=1, max_length=100)
    tone: Tone
    action: StepAction
    channels: list[Channel] = Field(min_length=1)
    planned_for: Instant
    due_at: Instant
