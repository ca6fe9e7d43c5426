"""Request and response bodies of the scheduler API."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from regua_br.calendar import DEFAULT_TIMEZONE
from regua_contracts.dunning.v1 import Channel, StepAction, Tone
from regua_platform.json_types import JsonBool
from scheduler_service.adapters.db.repositories import PolicyRecord, StepRecord
from scheduler_service.domain.planning import StepStatus
from scheduler_service.domain.policy import (
    NAME_PATTERN,
    TIMEZONE_NAMES,
    PolicyDefinition,
    StepDefinition,
    WindowDefinition,
    valid_timezone,
)
from scheduler_service.service_layer.plans import Timeline


class PolicyCreate(PolicyDefinition):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    #: Becomes the tenant's default: applies to invoices issued from now on.
    default: JsonBool = False
    #: IANA zone in which due dates and send windows are read.
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64, json_schema_extra={"enum": TIMEZONE_NAMES})

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return valid_timezone(value)

    def definition(self) -> PolicyDefinition:
        return PolicyDefinition(send_window=self.send_window, steps=self.steps)


class PolicyRead(BaseModel):
    id: UUID
    name: str
    default: bool
    #: Created by the service for a tenant that had no default policy.
    builtin: bool
    timezone: str
    send_window: WindowDefinition | None
    steps: list[StepDefinition]
    created_at: datetime

    @classmethod
    def of(cls, record: PolicyRecord) -> PolicyRead:
        return cls(
            id=record.id,
            name=record.name,
            default=record.is_default,
            builtin=record.builtin,
            timezone=record.timezone,
            send_window=record.definition.send_window,
            steps=record.definition.steps,
            created_at=record.created_at,
        )


class TimelineStepRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    index: int
    name: str
    offset: str
    channels: list[Channel]
    template: str
    tone: Tone
    action: StepAction
    #: Due date at 00:00 plus the offset, in the policy's zone.
    planned_for: datetime
    #: When the timer fires (fired) it: inside the send window, or the catch-up time.
    due_at: datetime
    status: StepStatus
    #: Why a step was skipped, cancelled, suppressed (``suppressed_paid``, ``nothing_due``, ...) or failed.
    reason: str | None
    updated_at: datetime

    @classmethod
    def of(cls, step: StepRecord, tz: ZoneInfo) -> TimelineStepRead:
        return cls.model_validate(
            {
                "id": step.id,
                "index": step.step_index,
                "name": step.name,
                "offset": step.offset,
                "channels": step.channels,
                "template": step.template,
                "tone": step.tone,
                "action": step.action,
                "planned_for": step.planned_for.astimezone(tz),
                "due_at": step.due_at.astimezone(tz),
                "status": step.status,
                "reason": step.reason,
                "updated_at": step.updated_at.astimezone(tz),
            }
        )


class TimelineRead(BaseModel):
    invoice_id: UUID
    debtor_id: UUID
    policy_id: UUID
    due_date: date
    timezone: str
    steps: list[TimelineStepRead]

    @classmethod
    def of(cls, timeline: Timeline) -> TimelineRead:
        plan = timeline.plan
        tz = ZoneInfo(plan.timezone)
        return cls(
            invoice_id=plan.invoice_id,
            debtor_id=plan.debtor_id,
            policy_id=plan.policy_id,
            due_date=plan.due_date,
            timezone=plan.timezone,
            steps=[TimelineStepRead.of(s, tz) for s in timeline.steps],
        )
