"""Pushes to browsers through the channel layer. Called from ``transaction.on_commit``."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.selectors import balances_payload


def connection_group(connection_id: int) -> str:
    return f"connection.{connection_id}"


def balances_push(*, connection_id: int) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        connection_group(connection_id),
        {"type": "balances.updated", "payload": balances_payload(connection_id=connection_id)},
    )
