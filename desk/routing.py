from accounts.routing import websocket_urlpatterns as accounts_ws
from trading.routing import websocket_urlpatterns as trading_ws

websocket_urlpatterns = [*accounts_ws, *trading_ws]
