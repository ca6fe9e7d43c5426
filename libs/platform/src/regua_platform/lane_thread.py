"""An urgent lane on a thread of its own.

asyncio has no priorities. In a worker process that is busy (the notifier
sending at its rate limits costs most of a core), every round trip of the
priority lane's transaction, and every fetch response, waits for its turn
behind all the ready tasks of the bulk work: measured at the 08:00 burst,
a payment waited 0.5 s to be fetched and 0.5 s more to be committed.

So an urgent lane (:class:`regua_platform.handlers.Lane` with ``urgent``)
runs its consumer on a thread with its own event loop, its own small
connection pool and its own dead-letter producer. The interpreter switches
threads every few milliseconds whatever the other loop is doing, so the
lane gets its share of the CPU at once. Everything else is as on the main
loop: the same handlers, the same one-transaction-per-batch, inbox and
offset rules. The :class:`~regua_platform.aio.Urgency` gate is crossed from
the thread with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Any

from regua_platform.aio import Urgency
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.kafka import idempotent_producer

if TYPE_CHECKING:
    from regua_platform.app import Runtime
    from regua_platform.consumer import ConsumerRunner

log = logging.getLogger("regua.consumer")

#: Connections of a lane thread's own pool: one batch transaction at a time.
THREAD_POOL_SIZE = 2


class _CrossThreadUrgency(Urgency):
    """Enters and leaves ``target`` (a main-loop gate) from another thread."""

    def __init__(self, target: Urgency, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._target = target
        self._loop = loop

    def __enter__(self) -> Urgency:
        self._loop.call_soon_threadsafe(self._target.__enter__)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._target.__exit__, None, None, None)


async def consume_on_own_thread(
    runtime: Runtime[Any, Any], runner: ConsumerRunner, stop: asyncio.Event
) -> None:
    """Run ``runner``'s lane on a new thread until ``stop``; a crash there is
    raised here (the supervisor restarts the worker)."""
    main_loop = asyncio.get_running_loop()
    started: asyncio.Future[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = main_loop.create_future()
    finished: asyncio.Future[None] = main_loop.create_future()

    def settle(future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    async def lane_main() -> None:
        thread_stop = asyncio.Event()
        main_loop.call_soon_threadsafe(settle, started, (asyncio.get_running_loop(), thread_stop))
        settings = runtime.settings
        engine = create_engine(
            settings.database.model_copy(update={"pool_size": THREAD_POOL_SIZE, "max_overflow": 0}),
            application_name=f"{runtime.definition.name}-{runner.lane}",
        )
        sessions = create_sessionmaker(engine)
        producer = idempotent_producer(settings.kafka, client_id=f"{runtime.definition.name}-{runner.lane}")
        await producer.start()
        try:
            moved = runner.moved(
                uow_factory=lambda: runtime.uow(sessions),
                dlq_producer=producer,
                urgency=_CrossThreadUrgency(runtime.urgency, main_loop) if runner.urgent else None,
            )

            async def mirror_ready() -> None:  # the runner the main loop knows shows this one's state
                await moved.ready.wait()
                main_loop.call_soon_threadsafe(runner.ready.set)

            mirroring = asyncio.create_task(mirror_ready())
            try:
                await moved.run(thread_stop)
            finally:
                mirroring.cancel()
                main_loop.call_soon_threadsafe(runner.ready.clear)
        finally:
            await producer.stop()
            await engine.dispose()

    def target() -> None:
        try:
            asyncio.run(lane_main())
        except BaseException as exc:
            main_loop.call_soon_threadsafe(settle, finished, None, exc)
            main_loop.call_soon_threadsafe(settle, started, None, exc)
        else:
            main_loop.call_soon_threadsafe(settle, finished)

    name = f"{runtime.definition.name}-{runner.lane}-lane"
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    lane_loop, thread_stop = await started
    log.info("consumer.lane.thread_started", extra={"lane": runner.lane})
    stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([stopping, finished], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        with contextlib.suppress(RuntimeError):  # its loop already closed
            lane_loop.call_soon_threadsafe(thread_stop.set)
        await finished
