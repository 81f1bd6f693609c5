"""What the streams yield and report: :class:`StreamMessage`, the :class:`Reconnected` marker,
and per-socket health (:class:`SocketStats`, :class:`StreamStats`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Reconnected", "SocketStats", "StreamMessage", "StreamStats"]


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One market stream payload. ``data`` is the raw JSON object (prices stay strings)."""

    stream: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reconnected:
    """Yielded after an automatic reconnect: messages may have been lost, resync now."""

    attempts: int
    """How many connection attempts the reconnect took (0: a rollover that could not prove
    continuity for ``streams``)."""
    downtime: float
    """Seconds between losing the old connection and opening the new one."""
    streams: tuple[str, ...] = ()
    """The affected streams (all of the connection's subscriptions after a reconnect)."""


@dataclass(frozen=True, slots=True)
class SocketStats:
    """Health of one logical connection (a rollover keeps the same logical socket)."""

    url: str
    """Connection URL without the query string (the stream list)."""
    connected: bool
    connected_since: datetime | None
    subscriptions: int
    reconnects: int
    rollovers: int
    messages_received: int
    last_message_at: datetime | None
    duplicates_dropped: int = 0
    """Events received on both connections during a rollover overlap and dropped once."""
    frames_sent: int = 0
    """Control messages, pings and pongs sent on the current connection."""
    rolling_over: bool = False


def _total(name: str) -> Any:
    """A :class:`StreamStats` property: the sum of one :class:`SocketStats` count over the
    sockets (``connected``: how many are connected)."""

    def total(self: StreamStats) -> int:
        return sum(getattr(s, name) for s in self.sockets)

    return property(total, doc=f"``{name}`` summed over the sockets.")


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Per-socket stats plus totals, e.g. for a health page (:meth:`as_dict` is JSON-ready)."""

    sockets: tuple[SocketStats, ...]

    connected = _total("connected")
    subscriptions = _total("subscriptions")
    reconnects = _total("reconnects")
    rollovers = _total("rollovers")
    messages_received = _total("messages_received")

    @property
    def last_message_at(self) -> datetime | None:
        times = [s.last_message_at for s in self.sockets if s.last_message_at is not None]
        return max(times) if times else None

    def as_dict(self) -> dict[str, Any]:
        def iso(dt: datetime | None) -> str | None:
            return None if dt is None else dt.isoformat()

        return {
            "sockets": [
                {
                    "url": s.url,
                    "connected": s.connected,
                    "connectedSince": iso(s.connected_since),
                    "subscriptions": s.subscriptions,
                    "reconnects": s.reconnects,
                    "rollovers": s.rollovers,
                    "messagesReceived": s.messages_received,
                    "lastMessageAt": iso(s.last_message_at),
                    "duplicatesDropped": s.duplicates_dropped,
                    "framesSent": s.frames_sent,
                    "rollingOver": s.rolling_over,
                }
                for s in self.sockets
            ],
            "totals": {
                "sockets": len(self.sockets),
                "connected": self.connected,
                "subscriptions": self.subscriptions,
                "reconnects": self.reconnects,
                "rollovers": self.rollovers,
                "messagesReceived": self.messages_received,
                "lastMessageAt": iso(self.last_message_at),
            },
        }


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)
