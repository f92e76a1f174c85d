"""One websocket per logged-in staff browser, joined to the groups whose events it may see."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from civicdesk.cases.permissions import live_channel_groups_for
from civicdesk.core.realtime import user_channel_name


class LiveUpdatesConsumer(AsyncJsonWebsocketConsumer):
    """Pushes case events (created, changed, shared) so that queue counts update without reload."""

    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = [user_channel_name(user.pk), *await self._live_groups(user)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The socket only pushes; anything a browser sends is ignored.
        return

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["event"], "payload": message["payload"]})

    @database_sync_to_async
    def _live_groups(self, user: Any) -> list[str]:
        return live_channel_groups_for(user)
