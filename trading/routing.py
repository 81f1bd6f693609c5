from django.urls import path

from trading.consumers import MarketConsumer, MarketsOverviewConsumer

websocket_urlpatterns = [
    path("ws/market/<str:symbol>/", MarketConsumer.as_asgi()),
    path("ws/markets/", MarketsOverviewConsumer.as_asgi()),
]
