"""ASGI entry point: Django for HTTP, Channels for browser WebSockets."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
django.setup(set_prefix=False)

from desk.http import OneThreadASGIHandler  # noqa: E402

django_asgi_app = OneThreadASGIHandler(pushes_from_loop=True)

# Imported after Django is set up: routing pulls in models through the consumers.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from desk.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
