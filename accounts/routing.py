from django.urls import path

from accounts.consumers import ConnectionConsumer

websocket_urlpatterns = [
    path("ws/connections/<int:pk>/", ConnectionConsumer.as_asgi()),
]
