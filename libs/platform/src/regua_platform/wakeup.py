"""Wake-ups over PostgreSQL ``LISTEN``/``NOTIFY``: an idle loop sleeps long and
wakes the moment there is work.

A writer notifies a channel inside its transaction (PostgreSQL delivers the
notification when, and only if, the transaction commits; several in one
transaction arrive as one). Each worker process keeps one connection that
listens to the channels its loops wait on and sets one :class:`asyncio.Event`
per channel. Notifications are a hint, never the only way work is found: a
loop still polls, with a back-off that grows while idle, so a lost
notification (listener reconnecting, database restart) only delays work by the
longest back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from regua_platform.aio import sleep_unless
from regua_platform.db import normalise_url

log = logging.getLogger("regua.wakeup")


class Listener:
    """One ``LISTEN`` connection for ``channels``; :meth:`event` is set on each
    notification (and once on every (re)connect, in case one was missed)."""

    def __init__(
        self, url: str, channels: Sequence[str], *, application_name: str = "regua-listener"
    ) -> None:
        self._dsn = normalise_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)
        self._events = {channel: asyncio.Event() for channel in channels}
        self._application_name = application_name
        self.connected = False

    def event(self, channel: str) -> asyncio.Event:
        return self._events[channel]

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``; reconnect with back-off when the connection drops."""
        delay = 0.5
        while not stop.is_set():
            try:
                await self._listen(stop)
                delay = 0.5
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning(
                    "wakeup.listener.retrying", extra={"error": type(exc).__name__, "backoff_s": delay}
                )
                await sleep_unless(stop, delay)
                delay = min(delay * 2, 10.0)

    async def _listen(self, stop: asyncio.Event) -> None:
        conn = await asyncpg.connect(
            self._dsn, timeout=10, server_settings={"application_name": self._application_name}
        )
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            for channel, event in self._events.items():
                await conn.add_listener(channel, _setter(event))
            self.connected = True
            for event in self._events.values():
                event.set()  # anything notified while we were not listening
            stopping = asyncio.ensure_future(stop.wait())
            dropping = asyncio.ensure_future(lost.wait())
            try:
                await asyncio.wait({stopping, dropping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                dropping.cancel()
            if lost.is_set() and not stop.is_set():
                raise OSError("listener connection lost")
        finally:
            self.connected = False
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)


def _setter(event: asyncio.Event) -> Any:
    def on_notification(_conn: object, _pid: int, _channel: str, _payload: str) -> None:
        event.set()

    return on_notification
