"""Kafka handlers keyed by the payload class they take.

A handler is one small typed function per effect::

    async def on_invoice_issued_plan_steps(
        event: InvoiceIssuedV1, meta: EventMeta, uow: SchedulerUnitOfWork
    ) -> None: ...

Its first parameter's annotation names the event: :func:`bind_handlers` looks
the payload class up in the contracts registry to learn the CloudEvents type
and the topic, so the subscriptions of a service follow from its handlers and
nothing is keyed by a hand-written string. Parameters after ``uow`` are
dependencies (settings, adapters), injected by their annotated type from what
the service provides. A payload class the registry does not know (no event
type, so no schema and no declared producer), or a dependency nobody
provides, fails at start-up with :class:`HandlerError`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from regua_contracts import Envelope
from regua_contracts.base import Payload
from regua_contracts.registry import EventSpec, spec_of

#: A handler as the consumer runner calls it: dependencies already bound.
BoundHandler = Callable[[Any, "EventMeta", Any], Awaitable[None]]


class HandlerError(TypeError):
    """A handler that cannot be wired: the service must not start."""


@dataclass(frozen=True, slots=True)
class EventMeta:
    """What a handler may need of the envelope besides its payload."""

    id: str
    type: str
    tenant_id: UUID
    source: str
    time: datetime
    subject: str | None
    topic: str

    @classmethod
    def of(cls, envelope: Envelope, topic: str) -> EventMeta:
        return cls(
            id=envelope.id,
            type=envelope.type,
            tenant_id=envelope.tenantid,
            source=envelope.source,
            time=envelope.time,
            subject=envelope.subject,
            topic=topic,
        )


@dataclass(frozen=True)
class Lane:
    """Topics a service consumes with one consumer of their own.

    A service declares its lanes in its composition root, the most urgent
    first (that one keeps the service's consumer group); every topic it
    subscribes to must be in exactly one lane. Order is kept per partition
    inside a lane; there is none between topics anyway.
    """

    name: str
    topics: tuple[str, ...]
    #: While this lane handles a batch, the process's loops that defer to
    #: urgent work wait (:class:`regua_platform.aio.Urgency`).
    urgent: bool = False


@dataclass(frozen=True)
class Subscriptions:
    """A service's handlers by event type, and the topics they come from."""

    handlers: Mapping[str, Sequence[BoundHandler]]
    specs: tuple[EventSpec, ...]

    @property
    def topics(self) -> list[str]:
        return sorted({spec.topic for spec in self.specs})

    def __bool__(self) -> bool:
        return bool(self.handlers)

    def lanes(self, declared: Sequence[Lane]) -> list[Lane]:
        """The lanes to consume, each with only the topics subscribed to (a lane
        left with none is dropped); no lanes declared is one lane of every
        topic. A subscribed topic in no lane, or in two, fails start-up with
        :class:`HandlerError`."""
        topics = self.topics
        if not declared:
            return [Lane("main", tuple(topics))] if topics else []
        placed: dict[str, str] = {}
        for lane in declared:
            for topic in lane.topics:
                if topic in placed:
                    raise HandlerError(f"topic {topic} is in lanes {placed[topic]} and {lane.name}")
                placed[topic] = lane.name
        if missing := [t for t in topics if t not in placed]:
            raise HandlerError(f"subscribed topics in no lane: {', '.join(missing)}")
        kept = [
            Lane(lane.name, tuple(t for t in lane.topics if t in topics), lane.urgent) for lane in declared
        ]
        return [lane for lane in kept if lane.topics]


def event_spec_of(handler: Callable[..., Awaitable[None]]) -> EventSpec:
    """The event ``handler`` takes, from its first parameter's annotation."""
    params = list(inspect.signature(handler).parameters.values())
    name = getattr(handler, "__name__", repr(handler))
    if len(params) < 3:
        raise HandlerError(f"{name} must take (event, meta, uow, *dependencies)")
    model = _annotation(handler, params[0].name)
    if not (isinstance(model, type) and issubclass(model, Payload)):
        raise HandlerError(f"{name}: its first parameter must be annotated with an event payload class")
    try:
        return spec_of(model)
    except KeyError:
        raise HandlerError(
            f"{name} takes {model.__name__}, which no event type of the contracts registry carries:"
            " nobody publishes it and it has no schema"
        ) from None


def _annotation(function: Callable[..., Any], name: str) -> Any:
    """The annotation of one parameter, evaluated alone (others may name types
    imported only for type checking)."""
    raw = inspect.get_annotations(function).get(name)
    if isinstance(raw, str):
        try:
            return eval(raw, getattr(function, "__globals__", {}))  # noqa: S307 (our own annotations)
        except NameError:
            return None
    return raw


def bind_handlers(
    handlers: Iterable[Callable[..., Awaitable[None]]], dependencies: Iterable[object] = ()
) -> Subscriptions:
    """Key ``handlers`` by event type and bind their dependencies (matched by
    the exact type of each object in ``dependencies``)."""
    provided = {type(dep): dep for dep in dependencies}
    table: dict[str, list[BoundHandler]] = {}
    specs: dict[str, EventSpec] = {}
    for handler in handlers:
        spec = event_spec_of(handler)
        extra = list(inspect.signature(handler).parameters.values())[3:]
        kwargs: dict[str, object] = {}
        for param in extra:
            wanted = _annotation(handler, param.name)
            if wanted not in provided:
                raise HandlerError(
                    f"{handler.__name__} needs {getattr(wanted, '__name__', wanted)!s},"
                    " which the service does not provide"
                )
            kwargs[param.name] = provided[wanted]
        bound: BoundHandler = functools.partial(handler, **kwargs) if kwargs else handler
        table.setdefault(spec.type, []).append(bound)
        specs[spec.type] = spec
    return Subscriptions(handlers=table, specs=tuple(specs.values()))
