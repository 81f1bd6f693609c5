import contextlib

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.realtime import connection_group
from accounts.selectors import balances_payload, connection_owned_by
from accounts.twofactor import session_is_verified
from desk.sockets import ClosesWhenRedisIsLost


def _socket_allowed(scope, pk: int) -> bool:
    user = scope["user"]
    return session_is_verified(user=user, session=scope["session"]) and connection_owned_by(
        user=user, pk=pk
    )


class ConnectionConsumer(ClosesWhenRedisIsLost, AsyncJsonWebsocketConsumer):
    """Live account events of one connection, only for its owner."""

    group: str | None = None

    async def send_json(self, content, close=False):
        # The browser may leave between our accept and a message (a quick page change); daphne
        # then raises on the closed socket. Nobody is left to tell, and disconnect() follows.
        # (send_json reaches the socket through super(), past an override of send.)
        with contextlib.suppress(Disconnected):
            await super().send_json(content, close=close)

    async def connect(self):
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        if not await database_sync_to_async(_socket_allowed)(self.scope, pk):
            await self.close(code=4404)
            return
        self.group = connection_group(pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        payload = await database_sync_to_async(balances_payload)(connection_id=pk)
        await self.send_json({"type": "balances", **payload})

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def balances_updated(self, event):
        await self.send_json({"type": "balances", **event["payload"]})

    async def order_updated(self, event):
        await self.send_json({"type": "order", "order": event["payload"]})

    async def order_fill(self, event):
        await self.send_json({"type": "fill", "fill": event["payload"]})

    async def order_list_updated(self, event):
        await self.send_json({"type": "orderList", "orderList": event["payload"]})

    async def transfer_run_updated(self, event):
        """A transfer run of the connection changed: its page follows it without polling."""
        await self.send_json({"type": "transferRun", "run": event["payload"]})

    async def history_progress_updated(self, event):
        """A history sync of the connection stepped: the progress bars follow it."""
        await self.send_json({"type": "historyProgress", **event["payload"]})

    async def wallet_activity_updated(self, event):
        """The connection's deposits or withdrawals were synced: the Wallet page re-reads them."""
        await self.send_json({"type": "walletActivity", **event["payload"]})

    async def staking_updated(self, event):
        """A stake or unstake changed, or the staking histories were synced."""
        await self.send_json({"type": "staking", **event["payload"]})

    async def withdrawal_updated(self, event):
        """A withdrawal of the connection changed: its page follows it without polling."""
        await self.send_json({"type": "withdrawal", "withdrawal": event["payload"]})

    async def custody_updated(self, event):
        """A custodian transfer, custodial order, balance or settlement changed."""
        await self.send_json({"type": "custody", **event["payload"]})

    async def credit_line_updated(self, event):
        """The credit line changed; ``alert`` in the payload when a new one arrived."""
        await self.send_json({"type": "creditLine", **event["payload"]})

    async def convert_updated(self, event):
        """An OTC or dust conversion changed."""
        await self.send_json({"type": "convert", **event["payload"]})

    async def rewards_updated(self, event):
        """Rewards or rebates were synced, or a broker export moved."""
        await self.send_json({"type": "rewards", **event["payload"]})
