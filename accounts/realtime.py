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


def _send(connection_id: int, event_type: str, payload: dict) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        connection_group(connection_id), {"type": event_type, "payload": payload}
    )


def order_push(*, connection_id: int, payload: dict) -> None:
    """An order of the connection changed (placed, filled, canceled, settled after a check)."""
    _send(connection_id, "order.updated", payload)


def fill_push(*, connection_id: int, payload: dict) -> None:
    """One of the connection's orders traded: pages show a toast."""
    _send(connection_id, "order.fill", payload)


def order_list_push(*, connection_id: int, payload: dict) -> None:
    _send(connection_id, "order_list.updated", payload)


def transfer_run_push(*, connection_id: int, payload: dict) -> None:
    """A transfer run of the connection changed: its page follows it without polling."""
    _send(connection_id, "transfer_run.updated", payload)


def history_progress_push(*, connection_id: int, payload: dict) -> None:
    """A history sync of the connection stepped: the progress bars follow it."""
    _send(connection_id, "history_progress.updated", payload)


def wallet_activity_push(*, connection_id: int, payload: dict) -> None:
    """The connection's deposits or withdrawals were synced: the Wallet page re-reads them."""
    _send(connection_id, "wallet_activity.updated", payload)


def staking_push(*, connection_id: int, payload: dict) -> None:
    """A stake or unstake changed, or the staking histories were synced: the Staking tab
    re-reads its figures."""
    _send(connection_id, "staking.updated", payload)


def withdrawal_push(*, connection_id: int, payload: dict) -> None:
    """A withdrawal of the connection changed: its page follows it without polling."""
    _send(connection_id, "withdrawal.updated", payload)


def custody_push(*, connection_id: int, payload: dict) -> None:
    """A custodian transfer, custodial order, balance or settlement of the connection changed:
    the Custody tab re-reads its live part."""
    _send(connection_id, "custody.updated", payload)


def credit_line_push(*, connection_id: int, payload: dict) -> None:
    """The credit line's figures changed (LTV, loans, transfers), or a new alert arrived: the
    Credit line tab redraws, and every page of the owner shows a new alert as a banner."""
    _send(connection_id, "credit_line.updated", payload)


def convert_push(*, connection_id: int, payload: dict) -> None:
    """An OTC conversion or a dust conversion of the connection changed: the Convert and Dust
    tabs re-read their live part."""
    _send(connection_id, "convert.updated", payload)


def rewards_push(*, connection_id: int, payload: dict) -> None:
    """Rewards or rebates were synced, or a broker export moved: the Rewards and Broker pages
    re-read their live part."""
    _send(connection_id, "rewards.updated", payload)
