"""Building blocks shared by every payload: strict money, aware time, ids."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

#: Money is integer centavos, never a float: ``10.5`` and ``"10"`` are refused.
Cents = Annotated[StrictInt, Field(ge=0, le=10**13)]
#: A signed amount (a balance that may be negative after an overpayment).
SignedCents = Annotated[StrictInt, Field(ge=-(10**13), le=10**13)]
Currency = Literal["BRL"]
#: An instant: timezone-aware, naive datetimes are refused.
Instant = AwareDatetime
#: A calendar date (due dates), read in the tenant's time zone.
CalendarDate = date


class Payload(BaseModel):
    """Base of every event payload. Every event is about one debtor: its id is
    the Kafka partition key."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    debtor_id: UUID

    def partition_key(self) -> bytes:
        """The Kafka record key: the debtor id, so one debtor's events stay in order."""
        return str(self.debtor_id).encode()
