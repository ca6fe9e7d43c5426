"""Which channel carries a step's message, in which order, and to which address."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

Channel = Literal["email", "sms", "whatsapp", "voice"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
#: Channels with a provider. Voice is not implemented: treated as unavailable.
SUPPORTED: frozenset[Channel] = frozenset({"email", "sms", "whatsapp"})


@dataclass(frozen=True)
class Contacts:
    """What the notifier knows of a debtor (from ``debtor.updated``)."""

    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    preferred_channels: Sequence[Channel] = ()
    #: ``False`` is an opt-out; absent means no recorded objection.
    consents: Mapping[Channel, bool] = field(default_factory=dict)

    def address(self, channel: Channel) -> str | None:
        if channel == "email":
            return self.email
        if channel == "sms":
            return self.phone
        if channel == "whatsapp":
            # WhatsApp usually rides on the mobile number when none is given apart.
            return self.whatsapp or self.phone
        return None


def ordered_channels(step_channels: Sequence[Channel], preferred: Sequence[Channel]) -> list[Channel]:
    """The step's channels, those the debtor prefers first (in the debtor's
    order), then the rest in the step's order. A preferred channel the step
    does not name is not added: the régua decides which channels a step may use."""
    unique = list(dict.fromkeys(step_channels))
    first = [c for c in dict.fromkeys(preferred) if c in unique]
    return first + [c for c in unique if c not in first]


def usable(channel: Channel, contacts: Contacts) -> bool:
    """A provider exists, the debtor has an address there and has not opted out."""
    return (
        channel in SUPPORTED
        and contacts.address(channel) is not None
        and contacts.consents.get(channel, True) is not False
    )


def next_channel(
    step_channels: Sequence[Channel], contacts: Contacts, exhausted: Collection[Channel]
) -> Channel | None:
    """The first usable channel not yet exhausted (failed or already used)."""
    for channel in ordered_channels(step_channels, contacts.preferred_channels):
        if channel not in exhausted and usable(channel, contacts):
            return channel
    return None
